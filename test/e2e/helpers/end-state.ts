// What must hold of a compromise run, read from the simulator's state and the run directory. Each check
// returns a list of violations (empty = holds), so a test can assert `toEqual([])` and read what broke.
import { createPublicKey } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readJournal } from "../../../src/engine/journal.js";
import type { SimApplication, SimState } from "../../../src/simulator/index.js";
import { carriedConfig, numberAfterRelink } from "../../helpers/carried-over.js";
import { sinkValues } from "./scan-for-secrets.js";

const APP_KEY_FILE = /^app-(.+)\.key$/;

function spki(pem: string): string {
  return createPublicKey(pem).export({ type: "spki", format: "der" }).toString("base64");
}

/** The application's configuration apart from id and keys (what a replacement must carry over). */
export function appConfig(app: SimApplication): Record<string, unknown> {
  const { id: _id, keys: _keys, ...rest } = app as Record<string, unknown>;
  return rest;
}

/** What a create carries over: the request-schema fields (a response-only field such as verify.version is not). */
function transferable(app: SimApplication): Record<string, unknown> {
  return { owner: app.owner, ...carriedConfig(appConfig(app)) };
}

/** The secret values of a run's sink by file name. */
async function sinkByName(runDir: string): Promise<Map<string, string>> {
  return new Map((await sinkValues(join(runDir, "secrets"))).map((f) => [f.name, f.value.trim()]));
}

/**
 * Holds at every moment, even right after a kill: some secret in the sink or the operator's original
 * authenticates the primary; no number points at a deleted application; the journal (if any) parses.
 */
export async function endStateInvariants(
  state: SimState,
  original: { apiKey: string; apiSecret: string },
  runDir: string,
): Promise<string[]> {
  const violations: string[] = [];
  const sink = await sinkByName(runDir);
  const live = new Set(state.primary.secrets.map((s) => s.value));
  const ours = [original.apiSecret, sink.get(`api-secret-${original.apiKey}`)].filter(
    (v): v is string => v !== undefined,
  );
  if (!ours.some((v) => live.has(v)))
    violations.push("neither the original secret nor the one in the sink authenticates the primary");
  const appIds = new Set(state.applications.map((a) => a.id));
  for (const n of state.numbers) {
    if (n.appId && !appIds.has(n.appId))
      violations.push(`number ${n.msisdn} points at deleted application ${n.appId}`);
  }
  const journalPath = join(runDir, "journal.jsonl");
  if (!existsSync(journalPath)) {
    // killed while planning: nothing may have been written to the sink (or sent) yet
    if (sink.size > 0) violations.push("the sink holds values but the run has no journal");
  } else {
    try {
      await readJournal(journalPath);
    } catch (error) {
      violations.push(`journal does not parse: ${(error as Error).message}`);
    }
  }
  return violations;
}

export interface ExpectedEndState {
  /** The state before the run. */
  initial: SimState;
  /** API keys of subaccounts that must stay active (the rest active at the start must end suspended). */
  allowedSubaccounts: string[];
}

/**
 * The compromise runbook's end state: exactly one primary secret, the one in the sink; every application
 * given a new key once (same name and configuration, new key = the private key in the sink): rekeyed in place
 * (same id, its numbers untouched) or replaced (new id, the old one deleted, its numbers relinked with their
 * other fields unchanged); no number pointing at a deleted application; unknown subaccounts suspended, allowed
 * ones not. Returns the old → new application id map (old → old for a rekey) with the violations.
 */
export async function compromiseEndState(
  state: SimState,
  runDir: string,
  expected: ExpectedEndState,
): Promise<{ violations: string[]; idMap: Map<string, string> }> {
  const { initial } = expected;
  const violations: string[] = [];
  const key = initial.primary.apiKey;
  const sink = await sinkByName(runDir);

  const newSecret = sink.get(`api-secret-${key}`);
  const secrets = state.primary.secrets;
  if (secrets.length !== 1) violations.push(`primary holds ${secrets.length} secrets, not exactly one`);
  if (!newSecret) violations.push("no new primary secret in the sink");
  else if (!secrets.some((s) => s.value === newSecret))
    violations.push("the primary's secret is not the one in the sink");
  for (const old of initial.primary.secrets) {
    if (secrets.some((s) => s.id === old.id)) violations.push(`old primary secret ${old.id} still exists`);
  }

  const oldApps = initial.applications.filter((a) => a.owner === key);
  const liveApps = state.applications.filter((a) => a.owner === key);
  const byKey = new Map(liveApps.map((a) => [spki(a.keys.public_key), a]));
  const idMap = new Map<string, string>();
  for (const old of oldApps) {
    // The sink names each key after the application that uses it: the same id after a rekey, the replacement
    // (found by name) after a recreate.
    const named = liveApps.find((a) => a.name === old.name && a.id !== old.id);
    const pem =
      sink.get(`app-${old.id}.key`) ?? (named === undefined ? undefined : sink.get(`app-${named.id}.key`));
    if (!pem) {
      violations.push(`no private key in the sink for the replacement of ${old.id} (${old.name})`);
      continue;
    }
    const replacement = byKey.get(spki(pem));
    if (!replacement) {
      violations.push(`no live application has the public key of the sink's key for ${old.id} (${old.name})`);
      continue;
    }
    if (replacement.id !== old.id && liveApps.some((a) => a.id === old.id))
      violations.push(`old application ${old.id} (${old.name}) still exists`);
    idMap.set(old.id, replacement.id);
    const same =
      JSON.stringify(sortKeys(transferable(replacement))) === JSON.stringify(sortKeys(transferable(old)));
    if (!same) violations.push(`replacement ${replacement.id} of ${old.name} differs in configuration`);
  }
  const keyFiles = [...sink.keys()].filter((n) => APP_KEY_FILE.test(n));
  if (keyFiles.length !== oldApps.length)
    violations.push(`${keyFiles.length} application keys in the sink for ${oldApps.length} applications`);
  const names = new Map<string, number>();
  for (const a of liveApps) names.set(a.name, (names.get(a.name) ?? 0) + 1);
  for (const [name, count] of names) if (count > 1) violations.push(`${count} applications named ${name}`);
  if (liveApps.length !== oldApps.length)
    violations.push(`${liveApps.length} applications at the end, ${oldApps.length} at the start`);

  const appIds = new Set(state.applications.map((a) => a.id));
  for (const n of state.numbers) {
    if (n.appId && !appIds.has(n.appId))
      violations.push(`number ${n.msisdn} points at deleted application ${n.appId}`);
  }
  for (const before of initial.numbers) {
    const after = state.numbers.find((n) => n.msisdn === before.msisdn);
    if (!after) {
      violations.push(`number ${before.msisdn} disappeared`);
      continue;
    }
    const wanted = before.appId ? (idMap.get(before.appId) ?? before.appId) : undefined;
    if (after.appId !== wanted)
      violations.push(`number ${before.msisdn} points at ${String(after.appId)}, expected ${String(wanted)}`);
    // A rekeyed application keeps its numbers as they were: no relink, nothing cleared.
    const expectedAfter =
      before.appId && wanted !== before.appId ? numberAfterRelink(before, wanted) : before;
    if (JSON.stringify(sortKeys(expectedAfter)) !== JSON.stringify(sortKeys(after)))
      violations.push(`number ${before.msisdn} changed more than its application`);
  }

  for (const sub of initial.subaccounts) {
    const now = state.subaccounts.find((s) => s.apiKey === sub.apiKey);
    const shouldSuspend = !sub.suspended && !expected.allowedSubaccounts.includes(sub.apiKey);
    if (!now) violations.push(`subaccount ${sub.apiKey} disappeared`);
    else if (shouldSuspend && !now.suspended)
      violations.push(`unknown subaccount ${sub.apiKey} is not suspended`);
    else if (!shouldSuspend && now.suspended !== sub.suspended)
      violations.push(`subaccount ${sub.apiKey} changed its suspension`);
  }
  return { violations, idMap };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

/** The run's report.json agrees with the simulator: status done, nothing pending, the same id map. */
export async function reportAgrees(runDir: string, idMap: Map<string, string>): Promise<string[]> {
  const violations: string[] = [];
  const { readFile } = await import("node:fs/promises");
  const report = JSON.parse(await readFile(join(runDir, "report.json"), "utf8")) as {
    status: string;
    pending: unknown[];
    applicationIdMap: { oldId: string; newId: string }[];
  };
  if (report.status !== "done") violations.push(`report status is ${report.status}, not done`);
  if (report.pending.length > 0) violations.push(`report lists ${report.pending.length} pending change(s)`);
  const reported = new Map(report.applicationIdMap.map((e) => [e.oldId, e.newId]));
  if (reported.size !== report.applicationIdMap.length) violations.push("report's id map repeats an old id");
  for (const [oldId, newId] of idMap) {
    if (reported.get(oldId) !== newId)
      violations.push(`report maps ${oldId} to ${String(reported.get(oldId))}, the simulator to ${newId}`);
  }
  if (reported.size !== idMap.size)
    violations.push(`report maps ${reported.size} applications, the simulator replaced ${idMap.size}`);
  return violations;
}

/** How many applications the scenario's primary account started with (each must be replaced). */
export function primaryApplications(e: {
  sim: { initialState: SimState; primary: { apiKey: string } };
}): number {
  return e.sim.initialState.applications.filter((a) => a.owner === e.sim.primary.apiKey).length;
}
