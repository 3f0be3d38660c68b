// The e2e harness checks itself: a leak scan that cannot find a planted secret would prove nothing.
import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scanForSecrets } from "./helpers/scan-for-secrets.js";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("scanForSecrets", () => {
  it("finds a secret in a file, in captured text, and a private key by one line of its body; not in a sink", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vonage-ir-harness-"));
    dirs.push(dir);
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const bodyLine = pem.split("\n")[5] ?? "";
    const secret = "Abcdefgh1234567890XYZabcd";
    const runDir = join(dir, "runs", "20261122-100000-abcdef");
    await mkdir(join(runDir, "secrets"), { recursive: true });
    await mkdir(join(runDir, "evidence"), { recursive: true });
    await writeFile(join(runDir, "secrets", "api-secret-x"), secret);
    await writeFile(join(runDir, "secrets", "app-1.key"), pem);
    await writeFile(join(runDir, "journal.jsonl"), `{"t":"done","leak":"${secret}"}\n`);
    await writeFile(join(runDir, "evidence", "applications.json"), `{"key":"${bodyLine}"}`);
    const hits = await scanForSecrets([dir], ["clean", `oops ${secret}`], [secret, pem]);
    expect(hits.map((h) => h.where.replace(dir, "")).sort()).toEqual(
      [
        "/runs/20261122-100000-abcdef/evidence/applications.json",
        "/runs/20261122-100000-abcdef/journal.jsonl",
        "text[1]",
      ].sort(),
    );
  });
});
