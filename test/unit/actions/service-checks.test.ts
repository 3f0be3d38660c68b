// Service checks as changes (issue 17): real check processes; the operator's answer after a failure (retry, wait,
// revoke anyway, stop) decides the outcome, and a failing check's output is shown redacted.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Change } from "../../../src/core/plan.js";
import { applyCheck, checkDrafts } from "../../../src/actions/service-checks.js";
import type { Prompter } from "../../../src/io/prompter.js";
import { registerSecret } from "../../../src/core/redact.js";
import type { ServiceCheck } from "../../../src/actions/delivery-config.js";
import { createHarness, type Harness } from "../../helpers/action-harness.js";

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await createHarness({ scenario: "clean" });
  dir = await mkdtemp(join(tmpdir(), "vonage-ir-checks-"));
});
afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

/** Healthy once `flag` exists; otherwise says so on stderr (with `say`) and exits 1. */
function check(flag: string, say = "unhealthy"): ServiceCheck {
  const script = `const fs=require("fs");if(fs.existsSync(${JSON.stringify(flag)}))process.exit(0);console.error(${JSON.stringify(say)});process.exit(1)`;
  return {
    name: "health",
    run: [process.execPath, "-e", script],
    timeoutSeconds: 5,
    intervalSeconds: 0.01,
    deadlineSeconds: 0.05,
  };
}

function changeFor(
  c: ServiceCheck,
  prompter?: Prompter,
): { ctx: ReturnType<Harness["context"]>; change: Change } {
  const delivery = { config: { targets: [], checks: [c] }, baseEnv: { PATH: process.env.PATH ?? "" } };
  const ctx = h.context({ stepId: "secrets", delivery, ...(prompter ? { prompter } : {}) });
  const [draft] = checkDrafts(ctx, { role: "check" }, []);
  if (!draft) throw new Error("no check planned");
  return {
    ctx,
    change: { ...draft, id: `secrets:${draft.id}`, stepId: "secrets", action: "secrets.rotate", summary: "" },
  };
}

/** A prompter that answers the check's question with `answers` in turn, running `before` first. */
function answering(answers: string[], before: () => Promise<void> = async () => undefined): Prompter {
  return {
    select: (async () => {
      await before();
      return answers.shift();
    }) as Prompter["select"],
    checkbox: () => Promise.reject(new Error("not asked")),
    input: () => Promise.reject(new Error("not asked")),
    confirm: () => Promise.reject(new Error("not asked")),
    say: () => undefined,
    wait: (_label, work) => work(),
  };
}

describe("service checks", () => {
  it("unattended, a failing check is pending with its output, redacted", async () => {
    const secret = "Sekr1t-value-in-output";
    registerSecret(secret);
    const { ctx, change } = changeFor(check(join(dir, "never"), `unhealthy, token ${secret}`));
    const outcome = await applyCheck(ctx, change);
    expect(outcome.status).toBe("pending");
    const reason = outcome.status === "pending" ? outcome.reason : "";
    expect(reason).toContain("service check health failed");
    expect(reason).toContain("unhealthy, token [redacted]");
    expect(reason).not.toContain(secret);
  });

  it("a passing check is done", async () => {
    const flag = join(dir, "up");
    await writeFile(flag, "");
    const { ctx, change } = changeFor(check(flag));
    expect(await applyCheck(ctx, change)).toMatchObject({
      status: "done",
      output: { passed: true, attempts: 1 },
    });
  });

  it("in a terminal, 'revoke anyway' is done with the operator's decision in its output", async () => {
    const { ctx, change } = changeFor(check(join(dir, "never")), answering(["revoke-anyway"]));
    expect(await applyCheck(ctx, change)).toMatchObject({
      status: "done",
      output: { passed: false, decision: "revoke anyway" },
    });
  });

  it("in a terminal, 'wait' keeps checking until the service is healthy", async () => {
    const flag = join(dir, "later");
    const { ctx, change } = changeFor(
      check(flag),
      answering(["wait"], () => writeFile(flag, "")),
    );
    expect(await applyCheck(ctx, change)).toMatchObject({ status: "done", output: { passed: true } });
  });

  it("in a terminal, 'retry' runs it once more and 'stop' leaves it pending", async () => {
    const { ctx, change } = changeFor(check(join(dir, "never")), answering(["retry", "stop"]));
    const outcome = await applyCheck(ctx, change);
    expect(outcome.status).toBe("pending");
  });
});
