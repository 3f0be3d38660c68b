// The four clients of @vonage/server-sdk the gateway uses, built without loading the SDK's other API packages.

import { createRequire } from "node:module";
import type { Vonage } from "@vonage/server-sdk";

/** The clients of @vonage/server-sdk the gateway uses, under the names the SDK's `Vonage` class gives them. */
export type VonageParts = Pick<Vonage, "accounts" | "secrets" | "applications" | "numbers">;
export type VonageAuth = ConstructorParameters<typeof Vonage>[0];
export type VonageOptions = ConstructorParameters<typeof Vonage>[1];
type PartClass<T> = new (auth: VonageAuth, options: VonageOptions) => T;

/**
 * What `new Vonage(auth, options)` builds for accounts, secrets, applications and numbers, without loading the
 * SDK's twelve other API packages (Voice, Video, Messages, ...): that halves the SDK's load time (~140 ms on
 * the 2-vCPU machines), which is time before the first request of a run. Each package is resolved from the
 * SDK's own location, so it is the exact version the SDK depends on, whatever else is installed.
 */
export function loadVonageParts(auth: VonageAuth, options: VonageOptions): VonageParts {
  const fromSdk = createRequire(import.meta.resolve("@vonage/server-sdk"));
  const accounts = fromSdk("@vonage/accounts") as {
    Accounts: PartClass<Vonage["accounts"]>;
    Secrets: PartClass<Vonage["secrets"]>;
  };
  const { Applications } = fromSdk("@vonage/applications") as {
    Applications: PartClass<Vonage["applications"]>;
  };
  const { Numbers } = fromSdk("@vonage/numbers") as { Numbers: PartClass<Vonage["numbers"]> };
  return {
    accounts: new accounts.Accounts(auth, options),
    secrets: new accounts.Secrets(auth, options),
    applications: new Applications(auth, options),
    numbers: new Numbers(auth, options),
  };
}
