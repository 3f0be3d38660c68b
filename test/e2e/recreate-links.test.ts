// The recreate strategy end to end (the built CLI, unattended, the compromised scenario): external accounts move
// with the numbers, and the key files are named after the replacements. (An SMS webhook that does not answer:
// compromise.test.ts.)
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { e2eRunStarter } from "./helpers/e2e-run.js";

const start = e2eRunStarter();

/** The config values that choose the recreate strategy (rekey is the default). */
const RECREATE: Record<string, unknown> = { "applications.strategy": "recreate" };

describe.concurrent("applications.recreate, unattended", () => {
  it("moves chat-bot's RCS account to its replacement and deletes the old application; keys named after the new ids", async () => {
    const e = await start({ scenario: "compromised" }, { values: RECREATE });
    await e.sim.setAutoReload(false);
    const result = await e.run();
    expect(result.code, result.stderr).toBe(0);
    const before = e.sim.initialState;
    const after = await e.sim.fetchState();
    const chat = before.applications.find((a) => a.name === "chat-bot")!;
    const replacement = after.applications.find((a) => a.name === "chat-bot")!;
    expect(replacement.id).not.toBe(chat.id);
    expect(after.applications.some((a) => a.id === chat.id)).toBe(false);
    expect(after.externalAccounts.find((a) => a.provider === "rcs")?.applications).toEqual([replacement.id]);
    // Every external account is linked to a live application of the same name as before.
    const names = (state: typeof before) => new Map(state.applications.map((a) => [a.id, a.name]));
    for (const account of after.externalAccounts) {
      const was = before.externalAccounts.find((a) => a.externalId === account.externalId)!;
      expect(account.applications.map((id) => names(after).get(id))).toEqual(
        was.applications.map((id) => names(before).get(id)),
      );
    }

    const [runId] = await e.runIds();
    const runDir = e.runDir(runId ?? "");
    const idMap = JSON.parse(await readFile(join(runDir, "application-id-map.json"), "utf8")) as {
      oldId: string;
      newId: string;
      keyPath: string;
    }[];
    const entry = idMap.find((m) => m.oldId === chat.id);
    expect(entry).toMatchObject({
      newId: replacement.id,
      keyPath: join(runDir, "secrets", `app-${replacement.id}.key`),
    });
    const keys = (await readdir(join(runDir, "secrets"))).filter((n) => n.endsWith(".key")).sort();
    expect(keys).toEqual(idMap.map((m) => `app-${m.newId}.key`).sort());
    const report = await readFile(join(runDir, "report.md"), "utf8");
    expect(report).toContain(`app-${replacement.id}.key`);
    expect((await stat(join(runDir, "evidence", "applications"))).mode & 0o777).toBe(0o700);
    expect(await e.scan()).toEqual([]);
  });
});
