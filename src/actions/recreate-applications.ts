// applications.recreate: replaces every selected application with a copy carrying a locally generated key
// pair (the attacker may hold the old private key). Order per application: back up → create (private key in
// the sink first) → move its numbers and its external accounts → verify nothing is left → delete the old one;
// then the old → new id map. Its phases: recreate-plan.ts, recreate-apply.ts (shared: recreate-changes.ts).
import type { Action, UndoPlan } from "./action.js";
import type { JsonObject } from "../core/plan.js";
import { applyDelivery, describeDelivery, undoDelivery } from "./deliver-credentials.js";
import { applyCheck, describeCheck } from "./service-checks.js";
import {
  ID_MAP_FILE,
  prepareApplicationKey,
  replacementKeyPairs,
  safeFingerprint,
  opOf,
  short,
  str,
} from "./application-keys.js";
import {
  accountLabel,
  pendingSinkNameFor,
  recreateApplicationsParams,
  type Op,
  type RecreateApplicationsParams,
} from "./recreate-changes.js";
import { plan } from "./recreate-plan.js";
import {
  applyBackup,
  applyChannels,
  applyCreate,
  applyDelete,
  applyIdMap,
  applyRelink,
  applyVerify,
  createOutput,
  deletePrecondition,
} from "./recreate-apply.js";

export const recreateApplications: Action<RecreateApplicationsParams> = {
  id: "applications.recreate",
  title: "Replace applications with new key pairs",
  why: "an attacker with the account may have an application's private key: a replacement with a key generated here locks them out",
  params: recreateApplicationsParams,

  plan,

  undo(change, output): UndoPlan | undefined {
    if (change.kind === "deliver") return undoDelivery(change);
    const p = (change.params ?? {}) as JsonObject;
    const name = `${str(p.oldId)} "${str(p.name)}"`;
    if (p.op === "delete") {
      return {
        kind: "irreversible",
        reason: `application ${name} was deleted with its compromised key: Vonage cannot restore a deleted application (its configuration is in evidence/applications/); its replacement stays, with the numbers and channels moved to it`,
      };
    }
    if (p.op === "create") {
      return {
        kind: "irreversible",
        reason: `the replacement application ${str(output.newId) || "(new id)"} of ${name} stays: the numbers and channels point at it now, and its key is in the run's sink`,
      };
    }
    return undefined;
  },

  describe(change) {
    const p = change.params;
    const old = short(str(p.oldId));
    const name = str(p.name);
    switch (opOf<Op>(change)) {
      case "backup":
        return `back up application ${old} "${name}" to evidence/applications/`;
      case "create":
        return `application "${name}" (replaces ${old}, new keys)`;
      case "relink": {
        const cleared = Object.entries(
          typeof p.mayBeCleared === "object" && p.mayBeCleared !== null && !Array.isArray(p.mayBeCleared)
            ? p.mayBeCleared
            : {},
        ).map(([field, count]) => `${field} of ${String(count)}`);
        return `move ${typeof p.plannedNumbers === "number" ? p.plannedNumbers : "the"} number(s) from ${old} to the replacement${cleared.length > 0 ? ` (may be cleared by Vonage: ${cleared.join(", ")})` : ""}`;
      }
      case "channels": {
        const accounts = Array.isArray(p.accounts) ? p.accounts : [];
        const labels = accounts.map((a) =>
          typeof a === "object" && a !== null && !Array.isArray(a)
            ? accountLabel({ provider: str(a.provider), externalId: str(a.externalId) })
            : "?",
        );
        return `move ${accounts.length} external account(s)${labels.length > 0 ? ` (${labels.join(", ")})` : ""} from ${old} to the replacement`;
      }
      case "verify":
        return `verify no number nor external account points at ${old} and the replacement exists`;
      case "delete":
        return `delete application ${old} "${name}"`;
      case "deliver":
        return describeDelivery(change);
      case "check":
        return describeCheck(change);
      case "id-map":
        return `write ${ID_MAP_FILE} (${typeof p.count === "number" ? p.count : "?"} application(s): old → new id, key paths)`;
      default:
        return change.target;
    }
  },

  async checkPrecondition(ctx, change) {
    if (opOf<Op>(change) !== "delete") return undefined;
    return deletePrecondition(ctx, change);
  },

  async prepare(ctx, change) {
    if (opOf<Op>(change) === "backup") {
      // The create this backup precedes will take a key pair: start generating it now.
      replacementKeyPairs.announce();
      return {};
    }
    if (opOf<Op>(change) !== "create") return {};
    const oldId = str(change.params.oldId);
    return prepareApplicationKey(ctx, oldId, pendingSinkNameFor(oldId));
  },

  async apply(ctx, change, prepared) {
    switch (opOf<Op>(change)) {
      case "backup":
        return applyBackup(ctx, change);
      case "create":
        return applyCreate(ctx, change, prepared);
      case "relink":
        return applyRelink(ctx, change);
      case "channels":
        return applyChannels(ctx, change);
      case "verify":
        return applyVerify(ctx, change);
      case "delete":
        return applyDelete(ctx, change);
      case "deliver":
        return applyDelivery(ctx, change);
      case "check":
        return applyCheck(ctx, change);
      case "id-map":
        return applyIdMap(ctx, change);
      default:
        throw new Error(`applications.recreate: unknown change ${change.id}`);
    }
  },

  async reconcile(ctx, change, prepared) {
    const op = opOf<Op>(change);
    if (op === "create") {
      const wanted = str(prepared.publicKeyFingerprint);
      if (!wanted) return undefined;
      const apps = await ctx.gateway.listApplications();
      const found = apps.find(
        (app) => app.publicKey !== undefined && safeFingerprint(app.publicKey) === wanted,
      );
      if (!found) return undefined;
      return {
        status: "done",
        output: await createOutput(ctx, change, found.id, prepared),
        note: `found the replacement created before the interruption: ${found.id}`,
      };
    }
    if (op === "delete") {
      const oldId = str(change.params.oldId);
      const app = await ctx.gateway.getApplication(oldId);
      return app === undefined ? { status: "done", output: { deletedId: oldId } } : undefined;
    }
    // Everything else is idempotent: the engine applies it again.
    return undefined;
  },
};
