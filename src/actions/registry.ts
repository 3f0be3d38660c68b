// The shipped actions and verifiers. Runbook validation and the engine look actions up here; tests build
// their own registries (test actions never ship).
import type { Action, Registry, Verifier } from "./action.js";
import { autoreloadOffVerifier, disableAutoreload } from "./disable-autoreload.js";
import { evidenceSnapshot } from "./evidence-snapshot.js";
import { createManualAction } from "./manual.js";
import { postureAudit } from "./posture-audit.js";
import { contactSupport, requestIpAllowlist, rotateSignatureSecret } from "./guided-steps.js";
import { preflight } from "./preflight.js";
import { recreateApplications } from "./recreate-applications.js";
import { rekeyApplications } from "./rekey-applications.js";
import { writeReportAction } from "./report.js";
import { reviewWebhooks } from "./review-webhooks.js";
import { secretsRotate } from "./secrets-rotate.js";
import { suspendSubaccounts } from "./suspend-subaccounts.js";
import { trafficBlock } from "./traffic-block.js";
import { trafficRecords } from "./traffic-records.js";
import { trafficVerify } from "./traffic-verify.js";

export function createRegistry(extra: { actions?: Action<never>[]; verifiers?: Verifier[] } = {}): Registry {
  const verifiers = new Map<string, Verifier>();
  for (const verifier of [
    autoreloadOffVerifier({ timeoutSeconds: 120, pollSeconds: 3 }),
    ...(extra.verifiers ?? []),
  ]) {
    verifiers.set(verifier.id, verifier);
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each action has its own params type
  const actions = new Map<string, Action<any>>();
  const all = [
    createManualAction(() => verifiers),
    preflight,
    evidenceSnapshot,
    trafficRecords,
    secretsRotate,
    trafficBlock,
    rekeyApplications,
    recreateApplications,
    reviewWebhooks,
    suspendSubaccounts,
    disableAutoreload,
    trafficVerify,
    rotateSignatureSecret,
    requestIpAllowlist,
    contactSupport,
    writeReportAction,
    postureAudit,
    ...(extra.actions ?? []),
  ];
  for (const action of all) actions.set(action.id, action);
  return { actions, verifiers };
}
