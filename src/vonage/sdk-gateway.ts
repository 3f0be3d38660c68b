// The Gateway over @vonage/server-sdk, @vonage/subaccounts and @vonage/audit, assembled from one module per API
// family (sdk/*-methods.ts) over the request machinery they share (sdk/sdk-runtime.ts: hosts, timeouts, pacing and
// retries through the RequestScheduler, error mapping). The SDK is imported lazily so that commands which never
// call Vonage (`--help`, `validate`) do not load it.

import type { Gateway } from "./gateway.js";
import { accountMethods } from "./sdk/account-methods.js";
import { applicationMethods } from "./sdk/application-methods.js";
import { auditMethods } from "./sdk/audit-methods.js";
import { externalAccountMethods } from "./sdk/external-account-methods.js";
import { numberMethods } from "./sdk/number-methods.js";
import { createSdkRuntime, type SdkGatewayOptions } from "./sdk/sdk-runtime.js";
import { secretMethods } from "./sdk/secret-methods.js";
import { subaccountMethods } from "./sdk/subaccount-methods.js";
import { trafficMethods } from "./sdk/traffic-methods.js";

export function createSdkGateway(options: SdkGatewayOptions): Gateway {
  const rt = createSdkRuntime(options);
  return {
    apiKey: rt.credentials.apiKey,
    ...secretMethods(rt),
    ...accountMethods(rt),
    ...applicationMethods(rt),
    ...numberMethods(rt),
    ...subaccountMethods(rt),
    ...auditMethods(rt),
    ...externalAccountMethods(rt),
    ...trafficMethods(rt),
    // A gateway for another secret of the same key shares the scheduler: the key's pacing is one.
    withSecret(apiSecret) {
      return createSdkGateway({
        ...options,
        credentials: { apiKey: rt.credentials.apiKey, apiSecret },
        scheduler: rt.scheduler,
      });
    },
  };
}
