// The one place dry-run is enforced: a Gateway built from GATEWAY_METHODS whose "write" methods refuse to run,
// so a new write method is guarded the moment it is tagged, and no action ever checks a dry-run flag.

import { ExitCode, VonageIrError } from "../core/errors.js";
import { GATEWAY_METHODS, type Gateway, type GatewayMethod } from "./gateway.js";

/** A write reached a gateway that must only read: a bug in the caller (plan() or a dry-run path). */
export class DryRunWriteError extends VonageIrError {
  readonly exitCode = ExitCode.stepFailed;
  readonly method: GatewayMethod;
  constructor(method: GatewayMethod) {
    super(
      `dry-run: refused to call ${method}`,
      "nothing was changed; this is a bug in vonage-ir if it happened outside a test",
    );
    this.method = method;
  }
}

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

function guard(inner: Gateway, onBlocked: ((method: GatewayMethod) => void) | undefined): Gateway {
  const methods: Partial<Record<GatewayMethod, AnyMethod>> = {};
  for (const method of Object.keys(GATEWAY_METHODS) as GatewayMethod[]) {
    if (GATEWAY_METHODS[method] === "write") {
      methods[method] = () => {
        onBlocked?.(method);
        return Promise.reject(new DryRunWriteError(method));
      };
    } else {
      methods[method] = (...args: unknown[]) => (inner[method] as AnyMethod).apply(inner, args);
    }
  }
  return Object.freeze({
    ...methods,
    apiKey: inner.apiKey,
    withSecret: (apiSecret: string) => guard(inner.withSecret(apiSecret), onBlocked),
  }) as unknown as Gateway;
}

/** Reads pass through to `inner`; every write rejects with DryRunWriteError without touching `inner`. */
export function createDryRunGateway(inner: Gateway, onBlocked?: (method: GatewayMethod) => void): Gateway {
  return guard(inner, onBlocked);
}

/** The same guard, for plan(): planning may only read. */
export function createReadOnlyGateway(inner: Gateway, onBlocked?: (method: GatewayMethod) => void): Gateway {
  return guard(inner, onBlocked);
}
