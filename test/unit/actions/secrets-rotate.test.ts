// secrets.rotate against the real simulator and the real SDK gateway: the order of a rotation, the 2-secret
// case all three ways, never the last secret, subaccounts, reconcile after a crash, and no secret in output.
import { afterEach, describe, expect, it } from "vitest";
import type { ActionContext, ApplyOutcome, PriorRuns } from "../../../src/actions/action.js";
import type { Change, JsonObject } from "../../../src/core/plan.js";
import { secretsRotate } from "../../../src/actions/secrets-rotate.js";
import { type SecretsRotateParams } from "../../../src/actions/secrets-changes.js";
import { UsageError } from "../../../src/core/errors.js";
import { ScriptedPrompter, type Prompter } from "../../../src/io/prompter.js";
import type { SimState } from "../../../src/simulator/index.js";
import { createHarness, type Harness } from "../../helpers/action-harness.js";
import {
  ATTACKER_IP,
  OPERATOR_EMAIL,
  OPERATOR_IP,
  stateWithFreshOperatorSecret,
} from "../../helpers/fresh-operator-secret.js";

const STEP = "rotate";
let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(scenario: "clean" | "compromised"): Promise<Harness> {
  harness = await createHarness({ scenario });
  return harness;
}

interface Planned {
  changes: Change[];
  notes: string[];
}

async function planRotation(
  h: Harness,
  raw: Record<string, unknown>,
  prompter?: Prompter,
  priorRuns?: PriorRuns,
): Promise<Planned> {
  const params: SecretsRotateParams = secretsRotate.params.parse(raw);
  const ctx = h.context({
    stepId: STEP,
    planning: true,
    ...(prompter ? { prompter } : {}),
    ...(priorRuns ? { priorRuns } : {}),
  });
  const result = await secretsRotate.plan(ctx, params);
  const changes = result.changes.map((draft): Change => ({
    ...draft,
    id: `${STEP}:${draft.id}`,
    stepId: STEP,
    action: secretsRotate.id,
    summary: secretsRotate.describe(draft),
  }));
  return { changes, notes: result.notes ?? [] };
}

/** Everything the action handed back, to search for secret values. */
interface Trace {
  prepared: JsonObject[];
  outcomes: ApplyOutcome[];
}

/** Runs changes in plan order as the engine does: dependencies first, precondition → prepare → apply. */
async function runChanges(
  h: Harness,
  changes: Change[],
  outputs: Map<string, JsonObject>,
  options: { prompter?: Prompter; trace?: Trace; until?: (c: Change) => boolean } = {},
): Promise<{ pending: Change[] }> {
  const ctx = h.context({
    stepId: STEP,
    outputs,
    ...(options.prompter ? { prompter: options.prompter } : {}),
  });
  const pending: Change[] = [];
  for (const change of changes) {
    if (options.until?.(change)) break;
    if ((change.dependsOn ?? []).some((dep) => !outputs.has(dep))) {
      pending.push(change);
      continue;
    }
    const drift = await secretsRotate.checkPrecondition?.(ctx, change);
    if (drift !== undefined) throw new Error(`drift: ${drift}`);
    const prepared = (await secretsRotate.prepare?.(ctx, change)) ?? {};
    const outcome = await secretsRotate.apply(ctx, change, prepared);
    options.trace?.prepared.push(prepared);
    options.trace?.outcomes.push(outcome);
    if (outcome.status === "done") outputs.set(change.id, outcome.output ?? {});
    else pending.push(change);
  }
  return { pending };
}

/** Draft ids of the primary's changes without the `<key>/` prefix; subaccounts' keep theirs. */
function localIds(changes: Change[], primaryKey?: string): string[] {
  const key = primaryKey ?? harness?.sim.primary.apiKey ?? "";
  return changes.map((c) => c.id.slice(STEP.length + 1).replace(`${key}/`, ""));
}

/** The full id of one of the primary's changes. */
function pid(role: string): string {
  return `${STEP}:${harness?.sim.primary.apiKey ?? ""}/${role}`;
}

function secretsOf(state: SimState, apiKey: string) {
  if (state.primary.apiKey === apiKey) return state.primary.secrets;
  const sub = state.subaccounts.find((s) => s.apiKey === apiKey);
  if (!sub) throw new Error(`no account ${apiKey}`);
  return sub.secrets;
}

function allSecretValues(...states: SimState[]): string[] {
  const values = new Set<string>();
  for (const state of states) {
    for (const s of state.primary.secrets) values.add(s.value);
    for (const sub of state.subaccounts) for (const s of sub.secrets) values.add(s.value);
  }
  return [...values];
}

async function expectRotated(h: Harness, apiKey: string, outputs: Map<string, JsonObject>) {
  const created = outputs.get(`${STEP}:${apiKey}/create`);
  expect(created).toBeDefined();
  const state = h.sim.dumpState();
  const secrets = secretsOf(state, apiKey);
  expect(secrets.map((s) => s.id)).toEqual([created?.["secretId"]]);
  const value = await h.sink.read(`api-secret-${apiKey}`);
  expect(secrets[0]?.value).toBe(value);
  expect(await h.gateway.checkCredentials({ apiKey, apiSecret: value })).toBe(true);
  return value;
}

describe("secrets.rotate on an account with one secret", () => {
  it("ends with exactly one secret, the new one: in the sink, authenticating, the old one refused", async () => {
    const h = await start("clean");
    const oldId = h.sim.meta.legitimateSecretIds[0] ?? "";
    const planned = await planRotation(h, {});
    expect(localIds(planned.changes)).toEqual([
      "create",
      "verify-new",
      `revoke/${oldId}`,
      "prove-old-rejected",
      "verify-end",
    ]);
    expect(h.sim.requests().every((r) => r.method === "GET")).toBe(true);

    const outputs = new Map<string, JsonObject>();
    const { pending } = await runChanges(h, planned.changes, outputs);
    expect(pending).toEqual([]);
    await expectRotated(h, h.sim.primary.apiKey, outputs);
    expect(
      await h.gateway.checkCredentials({ apiKey: h.sim.primary.apiKey, apiSecret: h.sim.primary.apiSecret }),
    ).toBe(false);
    // The run switched to the new secret: later calls still work.
    expect(await h.current().listSecrets(h.sim.primary.apiKey)).toHaveLength(1);
    const created = outputs.get(pid("create"));
    expect(created).toMatchObject({ sinkName: `api-secret-${h.sim.primary.apiKey}` });
    expect(String(created?.["fingerprint"])).toMatch(/\S/);
  });

  it("describes each change as a short diff line", async () => {
    const h = await start("clean");
    const planned = await planRotation(h, {});
    const summaries = planned.changes.map((c) => c.summary);
    expect(summaries[0]).toBe(`new API secret for ${h.sim.primary.apiKey} (25 chars, stored in the sink)`);
    expect(summaries[1]).toMatch(/^prove the new secret of \w+ authenticates, then switch to it$/);
    expect(summaries[2]).toMatch(/^revoke secret [0-9a-f]{8}… of \w+ \(old\) \(created /);
  });

  it("revokes a secrets.revokeFirst that is the only secret in the normal order, never first", async () => {
    const h = await start("clean");
    const oldId = h.sim.meta.legitimateSecretIds[0] ?? "";
    const planned = await planRotation(h, { revokeFirst: oldId });
    expect(localIds(planned.changes)).toEqual([
      "create",
      "verify-new",
      `revoke/${oldId}`,
      "prove-old-rejected",
      "verify-end",
    ]);
    expect(planned.notes.join("\n")).toMatch(/only secret.*normal order/);
  });
});

describe("secrets.rotate when the key holds 2 secrets", () => {
  async function rotateWith(h: Harness, raw: Record<string, unknown>, prompter?: Prompter) {
    const attackerId = h.sim.meta.attackerSecretIds[0] ?? "";
    const legitId = h.sim.meta.legitimateSecretIds[0] ?? "";
    const planned = await planRotation(h, raw, prompter);
    expect(localIds(planned.changes)).toEqual([
      `revoke-first/${attackerId}`,
      "create",
      "verify-new",
      `revoke/${legitId}`,
      "prove-old-rejected",
      "verify-end",
    ]);
    const outputs = new Map<string, JsonObject>();
    expect((await runChanges(h, planned.changes, outputs)).pending).toEqual([]);
    await expectRotated(h, h.sim.primary.apiKey, outputs);
    return planned;
  }

  it("revokes the secret named by secrets.revokeFirst first", async () => {
    const h = await start("compromised");
    const planned = await rotateWith(h, { revokeFirst: h.sim.meta.attackerSecretIds[0] });
    expect(planned.notes.join("\n")).toContain("named by secrets.revokeFirst");
  });

  it("marks the secret named by secrets.revokeFirst as a suspect when created after compromisedSince", async () => {
    const h = await start("compromised");
    const planned = await rotateWith(h, {
      revokeFirst: h.sim.meta.attackerSecretIds[0],
      compromisedSince: h.sim.meta.compromisedSince,
    });
    expect(planned.changes[0]?.summary).toMatch(/^revoke secret .* first .*\(suspect, created /);
  });

  it("asks the operator which one to revoke when interactive", async () => {
    const h = await start("compromised");
    const prompter = new ScriptedPrompter([
      { match: "holds 2 API secrets", answer: h.sim.meta.attackerSecretIds[0] },
    ]);
    await rotateWith(h, {}, prompter);
    expect(prompter.asked).toHaveLength(1);
    expect(prompter.asked[0]).toContain("NOT using in VONAGE_API_SECRET");
    expect(prompter.unused()).toEqual([]);
  });

  it("fails at plan time naming secrets.revokeFirst when non-interactive and undecidable", async () => {
    const h = await start("compromised");
    const attempt = planRotation(h, {});
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    const error = (await attempt.catch((e: unknown) => e)) as UsageError;
    expect(error.message).toContain(`account ${h.sim.primary.apiKey} holds 2 API secrets`);
    expect(error.message).toContain("set secrets.revokeFirst in the config");
    for (const id of [...h.sim.meta.attackerSecretIds, ...h.sim.meta.legitimateSecretIds]) {
      expect(error.message).toContain(id);
    }
    expect(h.sim.dumpState().primary.secrets).toHaveLength(2);
  });

  it("refuses a secrets.revokeFirst that is not a secret of the account, listing the ids", async () => {
    const h = await start("compromised");
    const attempt = planRotation(h, { revokeFirst: "00000000-0000-4000-8000-000000000000" });
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(attempt).rejects.toThrow(/secrets\.revokeFirst.*created/);
  });

  it("stops loudly when the remaining secret is not the one in VONAGE_API_SECRET", async () => {
    const h = await start("compromised");
    const legitId = h.sim.meta.legitimateSecretIds[0] ?? "";
    const planned = await planRotation(h, { revokeFirst: legitId });
    const attempt = runChanges(h, planned.changes, new Map());
    await expect(attempt).rejects.toThrow(/NOT the one in VONAGE_API_SECRET.*Contact Vonage support/);
    // Nothing after it ran: no new secret was created.
    expect(h.sim.dumpState().primary.secrets.map((s) => s.id)).toEqual(h.sim.meta.attackerSecretIds);
  });
});

/** A scripted prompter that also keeps the choices it was offered, in order. */
class ChoiceRecorder extends ScriptedPrompter {
  readonly offered: string[][] = [];
  override async select<T>(question: {
    message: string;
    choices: { value: T; name?: string }[];
  }): Promise<T> {
    this.offered.push(question.choices.map((c) => c.name ?? String(c.value)));
    return super.select(question as Parameters<ScriptedPrompter["select"]>[0]) as Promise<T>;
  }
}

/** The line of an evidence listing that names `id`, and the audit line under it. */
function evidenceOf(message: string, id: string): [string, string] {
  const lines = message.split("\n");
  const at = lines.findIndex((l) => l.includes(id) && l.includes("created "));
  return [lines[at] ?? "", lines[at + 1] ?? ""];
}

describe("secrets.rotate never guesses which of 2 secrets to revoke first", () => {
  it("fails an unattended plan instead of revoking the operator's fresh secret, the only one after compromisedSince", async () => {
    const fx = stateWithFreshOperatorSecret();
    harness = await createHarness({ state: fx.state });
    const h = harness;
    const error = await planRotation(h, { compromisedSince: fx.guessedSince }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as UsageError).message;
    expect(message).toContain("unattended run does not guess");
    expect(message).toContain("set secrets.revokeFirst in the config");
    for (const secret of fx.state.primary.secrets)
      expect(message).toContain(`${secret.id}  created ${secret.createdAt}`);
    const [fresh, freshAudit] = evidenceOf(message, fx.freshId);
    expect(fresh).toContain("probably yours: created in the last 6 hours");
    expect(freshAudit).toContain(`by ${OPERATOR_EMAIL} from ${OPERATOR_IP}`);
    const [attacker, attackerAudit] = evidenceOf(message, fx.attackerId);
    expect(attacker).not.toContain("probably yours");
    expect(attackerAudit).toMatch(
      new RegExp(`ACCOUNT_SECRET_CREATE .* from ${ATTACKER_IP.replaceAll(".", "\\.")}`),
    );
    expect(h.sim.requests().every((r) => r.method === "GET")).toBe(true);
    expect(h.sim.dumpState().primary.secrets).toHaveLength(2);
  });

  it("asks an interactive operator with that evidence, offering the secret that is probably theirs last", async () => {
    const fx = stateWithFreshOperatorSecret();
    harness = await createHarness({ state: fx.state });
    const h = harness;
    const prompter = new ChoiceRecorder([{ match: "holds 2 API secrets", answer: fx.attackerId }]);
    const planned = await planRotation(h, { compromisedSince: fx.guessedSince }, prompter);
    expect(prompter.asked).toHaveLength(1);
    const [fresh, freshAudit] = evidenceOf(prompter.asked[0] ?? "", fx.freshId);
    expect(fresh).toContain("probably yours");
    expect(freshAudit).toContain(OPERATOR_IP);
    expect(evidenceOf(prompter.asked[0] ?? "", fx.attackerId)[1]).toContain(ATTACKER_IP);
    expect(prompter.offered[0]?.[0]).toContain(fx.attackerId);
    expect(prompter.offered[0]?.[1]).toContain(`${fx.freshId}  created`);
    expect(prompter.offered[0]?.[1]).toContain("probably yours");
    expect(localIds(planned.changes)[0]).toBe(`revoke-first/${fx.attackerId}`);
    const outputs = new Map<string, JsonObject>();
    expect((await runChanges(h, planned.changes, outputs)).pending).toEqual([]);
    await expectRotated(h, h.sim.primary.apiKey, outputs);
  });

  it("never takes a secret a vonage-ir run created for a suspect; an unattended plan names that run", async () => {
    const h = await start("compromised");
    const key = h.sim.primary.apiKey;
    const legitId = h.sim.meta.legitimateSecretIds[0] ?? "";
    // An earlier run revoked the attacker's secret, created one and asked for it to be deployed (exit 3).
    await h.gateway.revokeSecret(key, h.sim.meta.attackerSecretIds[0] ?? "");
    const earlier = await h.gateway.createSecret(key, "Earl1er-run-secret");
    const priorRuns: PriorRuns = {
      secretsCreated: [
        { apiKey: key, secretId: earlier.id, runId: "20261201-090000-a1b2c3", createdAt: earlier.createdAt },
      ],
    };
    const since = h.sim.meta.compromisedSince;
    const error = await planRotation(h, { compromisedSince: since }, undefined, priorRuns).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    const [line] = evidenceOf((error as UsageError).message, earlier.id);
    expect(line).toContain("probably yours: created by vonage-ir run 20261201-090000-a1b2c3");
    expect(line).not.toContain("suspect");

    // Named, the other one goes first; the earlier run's secret is listed, never as a suspect.
    const planned = await planRotation(
      h,
      { compromisedSince: since, revokeFirst: legitId },
      undefined,
      priorRuns,
    );
    expect(localIds(planned.changes)[0]).toBe(`revoke-first/${legitId}`);
    expect(planned.notes.join("\n")).toContain(
      `${earlier.id} (created ${earlier.createdAt}, created by vonage-ir run`,
    );
    expect(planned.notes.join("\n")).not.toMatch(/suspect secrets/);
    const create = planned.changes.find((c) => c.id === pid("create"));
    expect(create?.before).toMatchObject({
      secrets: expect.arrayContaining([{ id: earlier.id, createdAt: earlier.createdAt, suspect: false }]),
    });
  });
});

describe("secrets.rotate re-verifies its end state", () => {
  it('reports a secret added after "one secret, the new one" was verified as a suspect', async () => {
    const h = await start("clean");
    const key = h.sim.primary.apiKey;
    const planned = await planRotation(h, {});
    const outputs = new Map<string, JsonObject>();
    expect((await runChanges(h, planned.changes, outputs)).pending).toEqual([]);
    const verifyEnd = planned.changes.find((c) => c.id === pid("verify-end"));
    if (!verifyEnd) throw new Error("no verify-end");
    const output = outputs.get(verifyEnd.id) ?? {};
    expect(
      await secretsRotate.reverify?.(h.context({ stepId: STEP, outputs }), verifyEnd, output),
    ).toBeUndefined();

    // Whoever still holds the dashboard adds a secret.
    const added = await h.current().createSecret(key, "Att4cker-again-x");
    const problem = await secretsRotate.reverify?.(h.context({ stepId: STEP, outputs }), verifyEnd, output);
    expect(problem).toMatch(/^suspect: /);
    expect(problem).toContain(`${added.id} (created ${added.createdAt})`);
    expect(problem).toContain("secrets.revokeFirst");

    // A secret a later vonage-ir run created is not a suspect.
    const priorRuns: PriorRuns = {
      secretsCreated: [{ apiKey: key, secretId: added.id, runId: "20261201-120000-c3d4e5", createdAt: "" }],
    };
    expect(
      await secretsRotate.reverify?.(h.context({ stepId: STEP, outputs, priorRuns }), verifyEnd, output),
    ).toBeUndefined();

    // Once it is revoked the end state holds again.
    await h.current().revokeSecret(key, added.id);
    expect(
      await secretsRotate.reverify?.(h.context({ stepId: STEP, outputs }), verifyEnd, output),
    ).toBeUndefined();
    // Other changes have nothing to re-verify.
    const create = planned.changes[0];
    if (!create) throw new Error("no create");
    await h.current().createSecret(key, "Att4cker-again-y");
    expect(
      await secretsRotate.reverify?.(
        h.context({ stepId: STEP, outputs }),
        create,
        outputs.get(create.id) ?? {},
      ),
    ).toBeUndefined();
  });
});

describe("secrets.rotate never revokes the last secret", () => {
  it("refuses a revoke when the key holds only one secret", async () => {
    const h = await start("clean");
    const planned = await planRotation(h, {});
    const outputs = new Map<string, JsonObject>();
    const revoke = planned.changes.find((c) => c.id.includes("/revoke/"));
    if (!revoke) throw new Error("no revoke change");
    // Before the new secret exists, a revoke would remove the last secret.
    outputs.set(pid("create"), { secretId: "not-created-yet" });
    const ctx = h.context({ stepId: STEP, outputs });
    expect(await secretsRotate.checkPrecondition?.(ctx, revoke)).toMatch(/refusing to revoke the last one/);
  });

  it("refuses a revoke when the new secret is not among the listed ones", async () => {
    const h = await start("clean");
    const planned = await planRotation(h, {});
    const outputs = new Map<string, JsonObject>();
    await runChanges(h, planned.changes, outputs, { until: (c) => c.id.endsWith("/verify-new") });
    expect(h.sim.dumpState().primary.secrets).toHaveLength(2);
    const revoke = planned.changes.find((c) => c.id.includes("/revoke/"));
    if (!revoke) throw new Error("no revoke change");
    // The output names a secret that is not there (e.g. an attacker revoked ours and added their own).
    const wrong = new Map(outputs);
    wrong.set(pid("create"), {
      ...outputs.get(pid("create")),
      secretId: "11111111-2222-4333-8444-555555555555",
    });
    const ctx = h.context({ stepId: STEP, outputs: wrong });
    expect(await secretsRotate.checkPrecondition?.(ctx, revoke)).toMatch(/new secret .* is not listed/);
    // With the real output it may go ahead.
    expect(
      await secretsRotate.checkPrecondition?.(h.context({ stepId: STEP, outputs }), revoke),
    ).toBeUndefined();
  });

  it("refuses to create when the key is already at 2 secrets", async () => {
    const h = await start("clean");
    const planned = await planRotation(h, {});
    await h.gateway.createSecret(h.sim.primary.apiKey, "Another0ne-secret");
    const create = planned.changes[0];
    if (!create) throw new Error("no create");
    const ctx = h.context({ stepId: STEP });
    expect(await secretsRotate.checkPrecondition?.(ctx, create)).toMatch(/no room for a new one/);
  });
});

describe("secrets.rotate with subaccounts", () => {
  it("rotates the primary and each active subaccount, skipping suspended ones with a note", async () => {
    const h = await start("compromised");
    const [keepKey, suspendKey] = h.sim.meta.legitimateSubaccountKeys;
    if (!keepKey || !suspendKey) throw new Error("scenario lacks subaccounts");
    await h.gateway.setSubaccountSuspended(suspendKey, true);
    const planned = await planRotation(h, {
      includeSubaccounts: true,
      compromisedSince: h.sim.meta.compromisedSince,
      revokeFirst: h.sim.meta.attackerSecretIds[0],
    });
    expect(planned.notes.join("\n")).toContain(`subaccount ${suspendKey}`);
    expect(planned.changes.some((c) => c.id.includes(suspendKey))).toBe(false);
    const subCreate = planned.changes.find((c) => c.id === `${STEP}:${keepKey}/create`);
    expect(subCreate?.dependsOn).toContain(pid("verify-new"));

    const outputs = new Map<string, JsonObject>();
    expect((await runChanges(h, planned.changes, outputs)).pending).toEqual([]);
    await expectRotated(h, h.sim.primary.apiKey, outputs);
    const rotated = [keepKey, ...h.sim.meta.attackerSubaccountKeys];
    for (const key of rotated) await expectRotated(h, key, outputs);
    const before = secretsOf(h.sim.dumpState(), suspendKey);
    expect(before).toHaveLength(1);
  });

  it("revokes first in a subaccount at the limit, with secrets.revokeFirst naming the subaccount's secret", async () => {
    const h = await start("compromised");
    const subKey = h.sim.meta.legitimateSubaccountKeys[0] ?? "";
    const extra = await h.gateway.createSecret(subKey, "Extra-sub-s3cret");
    // secrets.revokeFirst names one secret: the primary's two are the operator's decision, asked here.
    const prompter = new ScriptedPrompter([
      {
        match: `Account ${h.sim.primary.apiKey} holds 2 API secrets`,
        answer: h.sim.meta.attackerSecretIds[0],
      },
    ]);
    const planned = await planRotation(
      h,
      { includeSubaccounts: true, compromisedSince: h.sim.meta.compromisedSince, revokeFirst: extra.id },
      prompter,
    );
    const subIds = localIds(planned.changes).filter((id) => id.startsWith(`${subKey}/`));
    expect(subIds[0]).toBe(`${subKey}/revoke-first/${extra.id}`);
    expect(localIds(planned.changes)[0]).toBe(`revoke-first/${h.sim.meta.attackerSecretIds[0] ?? ""}`);
    expect(prompter.unused()).toEqual([]);
    const outputs = new Map<string, JsonObject>();
    expect((await runChanges(h, planned.changes, outputs)).pending).toEqual([]);
    await expectRotated(h, subKey, outputs);
    await expectRotated(h, h.sim.primary.apiKey, outputs);
  });

  it("notes, without failing, that subaccounts are not available", async () => {
    harness = await createHarness({ scenario: "clean", subaccountsAvailable: false });
    const planned = await planRotation(harness, { includeSubaccounts: true });
    expect(planned.notes.join("\n")).toMatch(/Subaccounts API is not available/);
    expect(localIds(planned.changes)).toHaveLength(5);
  });
});

describe("secrets.rotate reconciles after a crash between intent and done", () => {
  it("finds the created secret by the list and its value: no duplicate secret", async () => {
    const h = await start("clean");
    const planned = await planRotation(h, {});
    const create = planned.changes[0];
    if (!create) throw new Error("no create");
    const ctx = h.context({ stepId: STEP });
    const prepared = (await secretsRotate.prepare?.(ctx, create)) ?? {};
    // Crash before the call reached Vonage: nothing to find, the engine re-applies.
    expect(await secretsRotate.reconcile?.(ctx, create, prepared)).toBeUndefined();

    const applied = await secretsRotate.apply(ctx, create, prepared);
    expect(applied.status).toBe("done");
    // ... done was lost: reconcile must find the same secret.
    const reconciled = await secretsRotate.reconcile?.(ctx, create, prepared);
    expect(reconciled?.status).toBe("done");
    const appliedOutput = applied.status === "done" ? applied.output : undefined;
    const reconciledOutput = reconciled?.status === "done" ? reconciled.output : undefined;
    expect(reconciledOutput?.["secretId"]).toBe(appliedOutput?.["secretId"]);
    expect(reconciledOutput?.["fingerprint"]).toBe(prepared["fingerprint"]);
    expect(h.sim.dumpState().primary.secrets).toHaveLength(2);
    expect(h.sim.requests().filter((r) => r.method === "POST" && r.path.endsWith("/secrets"))).toHaveLength(
      1,
    );

    // A second prepare after a failed attempt reuses the value in the sink instead of refusing.
    const again = (await secretsRotate.prepare?.(ctx, create)) ?? {};
    expect(again["fingerprint"]).toBe(prepared["fingerprint"]);

    // The rotation then finishes from the reconciled output.
    const outputs = new Map<string, JsonObject>([[create.id, reconciledOutput ?? {}]]);
    await runChanges(h, planned.changes.slice(1), outputs);
    await expectRotated(h, h.sim.primary.apiKey, outputs);
  });

  it("does not take a stranger's secret for ours", async () => {
    const h = await start("clean");
    const planned = await planRotation(h, {});
    const create = planned.changes[0];
    if (!create) throw new Error("no create");
    const ctx = h.context({ stepId: STEP });
    const prepared = (await secretsRotate.prepare?.(ctx, create)) ?? {};
    await h.gateway.createSecret(h.sim.primary.apiKey, "Str4nger-secret-x");
    expect(await secretsRotate.reconcile?.(ctx, create, prepared)).toBeUndefined();
  });

  it("finds a revoke that took effect", async () => {
    const h = await start("clean");
    const planned = await planRotation(h, {});
    const outputs = new Map<string, JsonObject>();
    await runChanges(h, planned.changes, outputs, { until: (c) => c.id.includes("/revoke/") });
    const revoke = planned.changes.find((c) => c.id.includes("/revoke/"));
    if (!revoke) throw new Error("no revoke change");
    const ctx = h.context({ stepId: STEP, outputs });
    expect(await secretsRotate.reconcile?.(ctx, revoke, {})).toBeUndefined();
    await secretsRotate.apply(ctx, revoke, {});
    expect(await secretsRotate.reconcile?.(ctx, revoke, {})).toMatchObject({ status: "done" });
    // Applying it again is harmless (idempotent).
    expect(await secretsRotate.apply(ctx, revoke, {})).toMatchObject({ status: "done" });
    expect(h.sim.dumpState().primary.secrets).toHaveLength(1);
  });

  it("restores the switch to the new secret on resume", async () => {
    const h = await start("clean");
    const planned = await planRotation(h, {});
    const outputs = new Map<string, JsonObject>();
    await runChanges(h, planned.changes, outputs);
    const verifyNew = planned.changes.find((c) => c.id === pid("verify-new"));
    if (!verifyNew) throw new Error("no verify-new");
    const ctx: ActionContext = h.context({ stepId: STEP, outputs });
    const before = h.current();
    await secretsRotate.restore?.(ctx, verifyNew, outputs.get(verifyNew.id) ?? {});
    expect(h.current()).not.toBe(before);
    expect(await h.current().listSecrets(h.sim.primary.apiKey)).toHaveLength(1);
    // Other changes restore nothing.
    const create = planned.changes[0];
    if (!create) throw new Error("no create");
    const after = h.current();
    await secretsRotate.restore?.(ctx, create, outputs.get(create.id) ?? {});
    expect(h.current()).toBe(after);
  });
});

describe("secrets.rotate with revoke: after-confirmation", () => {
  it("puts a manual deploy change before the revokes and waits for it", async () => {
    const h = await start("compromised");
    const planned = await planRotation(h, {
      revoke: "after-confirmation",
      revokeFirst: h.sim.meta.attackerSecretIds[0],
    });
    const ids = localIds(planned.changes);
    const deploy = planned.changes.find((c) => c.id === pid("deploy"));
    expect(deploy?.kind).toBe("manual");
    expect(deploy?.manual?.instructions).toContain(`API key ${h.sim.primary.apiKey}`);
    expect(deploy?.manual?.instructions).toContain("The old secret keeps working until then.");
    const legitId = h.sim.meta.legitimateSecretIds[0] ?? "";
    expect(ids.indexOf("deploy")).toBeLessThan(ids.indexOf(`revoke/${legitId}`));
    const revoke = planned.changes.find((c) => c.id === pid(`revoke/${legitId}`));
    expect(revoke?.dependsOn).toEqual([pid("verify-new"), pid("deploy")]);

    // Non-interactive without an attestation: the deploy stays pending and the old secret is not revoked.
    const outputs = new Map<string, JsonObject>();
    const { pending } = await runChanges(h, planned.changes, outputs);
    expect(localIds(pending)).toEqual(["deploy", `revoke/${legitId}`, "prove-old-rejected", "verify-end"]);
    expect(h.sim.dumpState().primary.secrets.map((s) => s.id)).toContain(legitId);
    expect(h.sim.dumpState().primary.secrets).toHaveLength(2);

    // The operator confirms interactively: the revokes run.
    const prompter = new ScriptedPrompter([
      { match: "is it done?", answer: "done" },
      { match: "Your name or email", answer: "ops@example.com" },
    ]);
    const rest = planned.changes.filter((c) => !outputs.has(c.id));
    expect((await runChanges(h, rest, outputs, { prompter })).pending).toEqual([]);
    await expectRotated(h, h.sim.primary.apiKey, outputs);
    // The instructions shown name the new secret's fingerprint and file, known once it was created.
    const created = outputs.get(pid("create"));
    const shown = prompter.said.join("\n");
    expect(shown).toContain(`fingerprint ${String(created?.["fingerprint"])}`);
    expect(shown).toContain(`file ${String(created?.["path"])}`);
  });
});

describe("secrets.rotate never outputs a secret value", () => {
  it("keeps every value out of params, before/after, notes, outputs and events", async () => {
    const h = await start("compromised");
    const initial = h.sim.dumpState();
    const planned = await planRotation(h, {
      includeSubaccounts: true,
      compromisedSince: h.sim.meta.compromisedSince,
      revoke: "after-confirmation",
      revokeFirst: h.sim.meta.attackerSecretIds[0],
    });
    const trace: Trace = { prepared: [], outcomes: [] };
    const outputs = new Map<string, JsonObject>();
    const prompter = new ScriptedPrompter(
      Array.from({ length: 8 }, () => [
        { match: "is it done?", answer: "done" },
        { match: "Your name or email", answer: "ops@example.com" },
      ]).flat(),
    );
    await runChanges(h, planned.changes, outputs, { trace, prompter });
    const final = h.sim.dumpState();
    const sinkValues = await Promise.all(
      [final.primary.apiKey, ...final.subaccounts.filter((s) => !s.suspended).map((s) => s.apiKey)].map((k) =>
        h.sink.read(`api-secret-${k}`),
      ),
    );
    const values = [...allSecretValues(initial, final), ...sinkValues];
    expect(values.length).toBeGreaterThan(6);
    const everything = JSON.stringify({
      planned,
      trace,
      outputs: [...outputs],
      events: h.events,
      said: prompter.said,
      asked: prompter.asked,
    });
    for (const value of values) expect(everything).not.toContain(value);
  });
});
