// `audit` after a compromise run: the run's own changes (new secret, revoked secrets, rekeyed or replacement
// applications, moved numbers, suspended subaccount) are listed as done by that run, matched to its journal; the
// attacker's events seeded by the compromised scenario stay suspects, on top. Both application strategies.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { e2eRunStarter } from "./helpers/e2e-run.js";

const startRun = e2eRunStarter();

interface AuditJson {
  findings: { id: string; severity: string; detail: string }[];
  ownChanges: { runId: string; changeId: string; summary: string; events: { id: string; type: string }[] }[];
}

/** Per strategy: the config values, and what its application changes leave in the audit log as the run's own. */
const STRATEGIES = [
  {
    strategy: "rekey (the default)",
    values: {},
    own: [/application .* "[^"]+": new key pair in place .*\(audit: APP_UPDATE\)/],
    notSuspect: /APP_CREATE|APP_DELETE|NUMBER_LINKED|NUMBER_UPDATED/,
    /** The change that ends an application's old key, and the event it leaves. */
    ends: (appId: string) => ({ changeId: `applications.rekey:${appId}/rekey`, type: "APP_UPDATE" }),
  },
  {
    strategy: "recreate",
    values: { "applications.strategy": "recreate" },
    own: [
      /application ".*" \(replaces .*APP_CREATE/,
      /delete application .*APP_DELETE/,
      /move \d+ number\(s\) .*NUMBER_LINKED/,
    ],
    notSuspect: /APP_CREATE|NUMBER_LINKED|NUMBER_UPDATED/,
    ends: (appId: string) => ({ changeId: `applications:${appId}/delete`, type: "APP_DELETE" }),
  },
];

describe.concurrent("audit after a run", () => {
  it.each(STRATEGIES)(
    "$strategy: attributes the run's own changes to it and keeps the attacker's events as suspects on top",
    async ({ values, own: ownApplications, notSuspect, ends }) => {
      const e = await startRun({ scenario: "compromised" }, { values });
      await e.sim.setAutoReload(false);
      const run = await e.run();
      expect(run.code, run.stderr).toBe(0);
      const [runId = ""] = await e.runIds();
      const key = e.sim.primary.apiKey;
      const secret = (await readFile(join(e.runDir(runId), "secrets", `api-secret-${key}`), "utf8")).trim();
      const since = e.sim.meta.compromisedSince ?? "";
      const env = { env: { VONAGE_API_SECRET: secret } };

      const text = await e.cli(["audit", "--since", since, "--out", e.out], env);
      expect(text.code, text.stderr).toBe(0);
      const ownAt = text.stdout.indexOf(`done by vonage-ir run ${runId}:`);
      expect(ownAt).toBeGreaterThan(0);
      const suspects = text.stdout.slice(0, ownAt);
      const own = text.stdout.slice(ownAt);
      // none of the run's own events is a suspect: every suspect event comes from the attacker's address
      const suspectEvents = suspects
        .split("\n")
        .filter((l) => /suspects\.created-after +audit-event/.test(l));
      expect(suspectEvents.length).toBeGreaterThan(0);
      for (const line of suspectEvents) expect(line).toContain("from 203.0.113.66");
      expect(suspects).not.toMatch(notSuspect);
      // the attacker's own change to ivr-legacy stays a suspect, whatever the run later did to that application
      expect(suspects).toMatch(/APP_UPDATE by DEVAPI from 203\.0\.113\.66/);
      // the attacker's secret creation and subaccount stay suspects, above everything of the run's
      expect(suspects).toMatch(
        /audit-event \S+ at \S+: ACCOUNT_SECRET_CREATE by DEVAPI from 203\.0\.113\.66/,
      );
      expect(suspects).toContain(`subaccount ${e.sim.meta.attackerSubaccountKeys[0] ?? "?"}`);
      // the run's new secret is not a suspect either (the secrets list, not only the audit log)
      const state = await e.sim.fetchState();
      const newSecretId = state.primary.secrets.find(
        (s) => !e.sim.initialState.primary.secrets.some((o) => o.id === s.id),
      )?.id;
      expect(newSecretId).toBeDefined();
      expect(suspects).not.toContain(newSecretId ?? "?");
      for (const what of [
        /new API secret .*ACCOUNT_SECRET_CREATE/,
        /revoke secret .*ACCOUNT_SECRET_DELETE/,
        ...ownApplications,
        /suspend subaccount .*USER_STATUS/,
      ])
        expect(own).toMatch(what);

      // JSON: the same split, and --run names the run
      const json = await e.cli(["audit", "--since", since, "--out", e.out, "--run", runId, "--json"], env);
      expect(json.code, json.stderr).toBe(0);
      const parsed = JSON.parse(json.stdout) as AuditJson;
      expect(parsed.ownChanges.length).toBeGreaterThan(5);
      expect(new Set(parsed.ownChanges.map((c) => c.runId))).toEqual(new Set([runId]));
      // every application's old key ends in a change of this run, which explains that change's audit event
      for (const app of e.sim.initialState.applications) {
        const { changeId, type } = ends(app.id);
        const change = parsed.ownChanges.find((c) => c.changeId === changeId);
        expect(
          change?.events.map((ev) => ev.type),
          `${changeId} in ${JSON.stringify(parsed.ownChanges)}`,
        ).toEqual([type]);
      }
      const ownEventIds = new Set(parsed.ownChanges.flatMap((c) => c.events.map((ev) => ev.id)));
      for (const f of parsed.findings) for (const id of ownEventIds) expect(f.detail).not.toContain(id);
      expect(parsed.findings[0]?.severity).toBe("high");

      // without the journals, the same events are suspects again (the attribution comes from them)
      const elsewhere = await e.cli(["audit", "--since", since, "--out", join(e.dir, "empty")], env);
      // (the suspects list shows creations and changes; a deletion or a suspension is no suspect of its own)
      const shown = /^(ACCOUNT_SECRET_CREATE|APP_CREATE|APP_UPDATE|NUMBER_LINKED)$/;
      const ownShown = parsed.ownChanges.flatMap((c) => c.events.filter((ev) => shown.test(ev.type)));
      expect(ownShown.length).toBeGreaterThan(0);
      for (const ev of ownShown) expect(elsewhere.stdout).toContain(`audit-event ${ev.id} at `);
      expect(elsewhere.stdout).not.toContain("done by vonage-ir run");

      // an unknown run id is a usage error naming the directory
      const unknown = await e.cli(["audit", "--out", e.out, "--run", "20200101-000000-abcdef"], env);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain(`no run 20200101-000000-abcdef of account ${key} in ${e.out}`);
    },
  );
});
