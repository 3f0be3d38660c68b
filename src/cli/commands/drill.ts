// `vonage-ir drill`: the compromise runbook against an in-process simulator (`compromised` scenario).
// Interactive on a terminal (you make the decisions); without one it uses the scenario's own drill config
// and attestations, so it works anywhere. The simulated dashboard stands in for what has no API.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { givenActor } from "../actor.js";
import type { Action, Attestation } from "../../actions/action.js";
import { rewriteReport } from "../rewrite-report.js";
import { containmentLines } from "../../actions/traffic-report.js";
import { UsageError } from "../../core/errors.js";
import { canonicalJson, digestInputs, type RunConfig } from "../../runbook/config.js";
import { executeRun } from "../execute-run.js";
import type { CliIo } from "../io.js";
import type { Values } from "../command.js";
import { printedCommand, printedPath } from "../printed-command.js";
import { createPrompter } from "../prompter-factory.js";
import { createShippedRegistry } from "../shipped-registry.js";
import { buildGateway, completeInputs, detectMode, loadRunbookAndConfig, sha256 } from "../session.js";
import { createRegistry } from "../../actions/registry.js";
import type { RunningSimulator } from "../../simulator/index.js";

export const DRILL_OUT = "vonage-ir-drills";

/** The decisions and attestations a person would give, derived from the scenario's metadata. */
export function drillConfig(sim: RunningSimulator, interactive: boolean, now: string): RunConfig {
  const meta = sim.meta;
  const values: Record<string, unknown> = {
    compromisedSince: meta.compromisedSince ?? new Date(Date.now() - 86_400_000).toISOString(),
    "users.expected": ["oncall@example.com", "finance@example.com"],
    "mfa.expectedPhone": "+44 7700 900123",
    "mfa.expectedEmail": "oncall@example.com",
    ipAllowlist: ["198.51.100.10", "198.51.100.11"],
    "autoreload.waitSeconds": 20,
    // The scenario's business serves these; the attacker's premium-rate destinations are elsewhere.
    "traffic.allowCountries": ["GB", "US"],
    // Long enough for the simulated attacker (one record a second while live) to show, short for a drill.
    "traffic.verifySeconds": 10,
  };
  const attest: Record<string, Attestation> = {};
  if (!interactive) {
    values["subaccounts.allow"] = meta.legitimateSubaccountKeys;
    values["traffic.blockSuspects"] = true;
    if (meta.attackerSecretIds[0]) values["secrets.revokeFirst"] = meta.attackerSecretIds[0];
    // What an operator who recognised the attacker's collector would write: the copy drops it.
    if (meta.attackerWebhookHosts.length > 0)
      values["webhooks.decisions"] = meta.attackerWebhookHosts.map((host) => `${host} clear`);
    const by = "drill (scripted)";
    attest["autoreload"] = { by, at: now, note: "the drill switched it off in the simulated dashboard" };
    attest["users.review"] = { by, at: now, evidence: { removed: "intruder@example.net" } };
    attest["mfa.verify-contacts"] = {
      by,
      at: now,
      evidence: { phone: "0123", email: "oncall@example.com", matches: "yes" },
    };
    attest["signature-secret.rotate"] = { by, at: now, note: "set in the simulated dashboard" };
    attest["password.rotate"] = { by, at: now, evidence: { users: "all" } };
    attest["ip-allowlist.request"] = { by, at: now, evidence: { ticket: "DRILL-1001" } };
    attest["fraud-defender.enable"] = {
      by,
      at: now,
      evidence: { enabled: "alerts, traffic rules, AIT, burst" },
    };
    attest["support.contact"] = { by, at: now, evidence: { ticket: "DRILL-1002" } };
  }
  return {
    file: undefined,
    runbook: "compromise",
    out: undefined,
    concurrency: undefined,
    values,
    attest,
    delivery: undefined,
    canonical: canonicalJson({ values }),
    inputDigests: digestInputs(values),
  };
}

/** autoreload.disable, with the operator's dashboard click played by the drill against the simulator. */
function withSimulatedDashboard(action: Action, sim: RunningSimulator, interactive: boolean): Action {
  return {
    ...action,
    async apply(ctx, change, prepared) {
      if (interactive)
        ctx.prompter?.say(
          "    (drill: the simulated dashboard switches auto-reload off for you in a moment; then answer Done)",
        );
      await fetch(`${sim.url}/_sim/dashboard/autoreload`, {
        method: "POST",
        headers: { authorization: `Bearer ${sim.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify(interactive ? { enabled: false, afterMs: 2500 } : { enabled: false }),
      });
      return action.apply(ctx, change, prepared);
    },
  };
}

export default async function drill(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals.join(" ")}`);
  const mode = detectMode({ ...values, yes: values.yes ?? !(io.stdin.isTTY && io.stderr.isTTY) }, io, {
    mutates: false,
  });
  const { startSimulator } = await import("../../simulator/index.js");
  // The simulated account lives in this process only: its lock belongs to this drill, not to the per-user
  // state directory, where a second drill, a test suite or a real run keyed like it would refuse it.
  const lockDir = await mkdtemp(join(tmpdir(), "vonage-ir-drill-"));
  const drillIo: CliIo = { ...io, env: { ...io.env, VONAGE_IR_STATE_DIR: lockDir } };
  const sim = await startSimulator({ scenario: "compromised" }).catch(async (error: unknown) => {
    await rm(lockDir, { recursive: true, force: true });
    throw error;
  });
  try {
    const shipped = createShippedRegistry();
    const autoreload = shipped.actions.get("autoreload.disable");
    const registry = autoreload
      ? createRegistry({
          actions: [withSimulatedDashboard(autoreload as Action, sim, mode.interactive) as Action<never>],
        })
      : shipped;
    const base = await loadRunbookAndConfig("compromise", undefined, io, registry);
    const config = drillConfig(sim, mode.interactive, new Date().toISOString());
    const loaded = { ...base, config, configHash: sha256(config.canonical) };
    const prompter = await createPrompter(
      mode,
      io,
      () =>
        `a drill cannot be resumed (its simulator lived in that process): start a new one with ${printedCommand(io, ["drill"])}`,
    );
    const { gateway } = await buildGateway(sim.primary, { apiHost: sim.url, restHost: sim.url }, 8);
    if (!mode.json) {
      io.stderr.write(
        `Drill: the compromise runbook against a simulated Vonage account (${sim.url}, scenario "compromised").\nNothing here touches a real account. ${mode.interactive ? "You make the decisions, as in a real incident." : "No terminal: the scenario's drill config answers for you."}\n\n`,
      );
    }
    // After the banner: the first decisions (how applications get their new keys) are the drill's own.
    const inputs = await completeInputs(loaded.loaded.runbook, config, prompter, undefined);
    const out = (values.out as string | undefined) ?? DRILL_OUT;
    const dryRun = Boolean(values["dry-run"]);
    let runDir: string | undefined;
    const code = await executeRun({
      io: drillIo,
      mode,
      registry,
      loaded,
      inputs,
      attestations: config.attest,
      gateway,
      operatorSecret: sim.primary.apiSecret,
      prompter,
      actor: givenActor(values, io),
      out,
      concurrency: 8,
      dryRun,
      full: Boolean(values.full),
      breakLock: false,
      rehearsal: true,
      // Pasted, the line runs a new drill: the words after `#` are a shell comment.
      resumeCommand: () =>
        `${printedCommand(io, ["drill", ...(values.out === undefined ? [] : ["--out", printedPath(out, io)])])}   # a drill is not resumable (its simulator lived in that process): this starts a new one`,
      onFinished: async (info) => {
        runDir = info.runDir;
      },
    });
    if (runDir && !mode.json) {
      io.stderr.write(await drillSummary(runDir, sim, inputs["applications.strategy"] === "recreate"));
    }
    if (dryRun && !mode.json) {
      io.stderr.write(`The simulated account received ${mutatingRequests(sim)} mutating request(s).\n`);
    }
    return code;
  } finally {
    await sim.close().finally(() => rm(lockDir, { recursive: true, force: true }));
  }
}

/**
 * The simulator's own request log, not our gateway's word for it: what reached the account. POST /account/settings
 * without parameters only reads the settings (Vonage's API shape).
 */
function mutatingRequests(sim: RunningSimulator): number {
  return sim
    .requests()
    .filter(
      (r) =>
        r.method !== "GET" &&
        r.method !== "HEAD" &&
        !(r.method === "POST" && r.path === "/account/settings" && r.query === ""),
    ).length;
}

async function drillSummary(runDir: string, sim: RunningSimulator, recreated: boolean): Promise<string> {
  const { report, markdown } = await rewriteReport(runDir);
  const count = (pattern: RegExp) =>
    report.changes.filter((c) => c.status === "done" && pattern.test(c.id)).length;
  const state = sim.dumpState();
  const lines = [
    "",
    "What a real run would have done:",
    `  - preserved evidence (manifest sha256 ${report.evidenceManifestSha256?.slice(0, 16) ?? "none"}…) and flagged ${report.suspects.length} suspect(s)`,
    `  - revoked ${count(/^secrets:.*\/(revoke-first|revoke)\//)} API secret(s) and left exactly ${state.primary.secrets.length} working one (in the sink)`,
    recreated
      ? `  - replaced ${report.applicationIdMap.length} application(s) with new keys and moved ${state.numbers.filter((n) => n.appId).length} linked number(s) (applications.strategy recreate: new ids; rekey would have kept them)`
      : `  - gave ${report.applicationIdMap.length} application(s) a new key in place (applications.strategy rekey: ids, numbers and channels unchanged; recreate would have replaced the applications)`,
    `  - suspended ${count(/^subaccounts:suspend\//)} unknown subaccount(s)`,
    ...(report.traffic
      ? [
          `  - blocked ${report.traffic.rules.length} destination prefix(es) with Fraud Defender BLOCK rules`,
          ...containmentLines(report.traffic).map((line) => `  - ${line}`),
        ]
      : []),
    ...report.attention.map((line) => `  - found ${line}`),
    ...report.webhookDecisions.map((line) => `  - ${line}`),
    `  - guided ${report.changes.filter((c) => c.kind === "manual").length} dashboard-only step(s); ${report.pending.length} pending`,
    `The report explains each change: ${markdown}`,
    "",
  ];
  return `${lines.join("\n")}\n`;
}
