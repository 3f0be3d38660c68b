// The posture audit's first phase: read what the gateway can see (reads only) into one plain PostureData, which the
// pure checks of posture-checks.ts judge. Used by `vonage-ir audit` and the `posture.audit` action.
import type {
  AccountSettings,
  ApplicationRecord,
  AuditEvent,
  Availability,
  Balance,
  Gateway,
  ListProgress,
  NumberRecord,
  SecretMeta,
  SubaccountRecord,
} from "../vonage/gateway.js";

export interface PostureData {
  apiKey: string;
  /** The primary's secrets first, then each subaccount's (`unavailable` when its list failed). */
  secrets: { apiKey: string; secrets: SecretMeta[]; unavailable?: string }[];
  applications: ApplicationRecord[];
  numbers: NumberRecord[];
  subaccounts: Availability<SubaccountRecord[]>;
  balance: Balance;
  settings: AccountSettings;
  /** Audit events since `since`; undefined when no `since` was given (nothing to compare against). */
  audit: Availability<AuditEvent[]> | undefined;
}

export interface CollectOptions {
  since?: string | undefined;
  progress?: ((done: number, total: number | undefined, label: string) => void) | undefined;
}

/** Reads everything the checks need. Only gateway reads (the settings read is Vonage's empty POST). */
export async function collectPosture(gateway: Gateway, options: CollectOptions = {}): Promise<PostureData> {
  const progress = (label: string): ListProgress | undefined =>
    options.progress ? (done, total) => options.progress?.(done, total, label) : undefined;
  const [primarySecrets, applications, numbers, subaccounts, balance, settings, audit] = await Promise.all([
    gateway.listSecrets(gateway.apiKey),
    gateway.listApplications(progress("applications")),
    gateway.listNumbers({}, progress("numbers")),
    gateway.listSubaccounts(),
    gateway.getBalance(),
    gateway.getAccountSettings(),
    options.since === undefined
      ? Promise.resolve(undefined)
      : gateway.listAuditEvents({ since: options.since }),
  ]);
  const subSecrets = subaccounts.available
    ? await Promise.all(
        subaccounts.value.map(async (sub) => {
          try {
            return { apiKey: sub.apiKey, secrets: await gateway.listSecrets(sub.apiKey) };
          } catch (error) {
            return {
              apiKey: sub.apiKey,
              secrets: [],
              unavailable: error instanceof Error ? error.message : String(error),
            };
          }
        }),
      )
    : [];
  return {
    apiKey: gateway.apiKey,
    secrets: [{ apiKey: gateway.apiKey, secrets: primarySecrets }, ...subSecrets],
    applications,
    numbers,
    subaccounts,
    balance,
    settings,
    audit,
  };
}
