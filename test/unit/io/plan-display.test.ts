import { describe, expect, it } from "vitest";
import {
  formatChangeList,
  formatPlan,
  formatStartScreen,
  type PlannedStepSummary,
} from "../../../src/io/events.js";
import { LIST_LIMIT, PLAN_MARKS, isDestructive, markOf, planLegend } from "../../../src/io/plan-marks.js";

const KINDS = ["create", "update", "delete", "suspend", "manual", "verify", "write-file"];
// eslint-disable-next-line no-control-regex -- SGR sequences
const SGR = /\u001b\[\d+m/;

function step(id: string, changes: PlannedStepSummary["changes"]): PlannedStepSummary {
  return { id, title: `Step ${id}`, changes };
}

function revokes(n: number): PlannedStepSummary["changes"] {
  return Array.from({ length: n }, (_, i) => ({
    id: `s:revoke/${i}`,
    kind: "delete",
    summary: `revoke secret ${i}`,
  }));
}

describe("plan marks", () => {
  it("one mark per meaning: no mark is shared by two meanings, and every kind has exactly one mark", () => {
    const marks = PLAN_MARKS.map((m) => m.mark);
    expect(new Set(marks).size).toBe(marks.length);
    for (const kind of KINDS) expect(PLAN_MARKS.filter((m) => m.kinds.includes(kind))).toHaveLength(1);
    // `?` is the prompt's question mark; `!` is the warning's alone
    expect(marks).not.toContain("?");
    expect(PLAN_MARKS.find((m) => m.mark === "!")?.kinds).toEqual([]);
    expect(markOf("manual")).not.toBe("!");
    expect(markOf("verify")).not.toBe("?");
  });

  it("revoke, delete and suspend are the destructive kinds", () => {
    expect(KINDS.filter(isDestructive)).toEqual(["delete", "suspend"]);
  });

  it("the legend names only the marks the plan uses, on one line", () => {
    expect(planLegend(["delete", "create"], false)).toBe("Legend: + create · - revoke, delete or suspend");
    expect(planLegend(["verify"], true)).toBe(
      "Legend: = check (reads only) · ! warning about the line above",
    );
    expect(planLegend([], false)).toBeUndefined();
  });
});

describe("the plan renderer", () => {
  it("prints the legend once, however many steps", () => {
    const text = formatPlan([step("a", revokes(2)), step("b", revokes(3))]);
    expect(text.match(/Legend:/g)).toHaveLength(1);
  });

  it("a long list shows the first ones and how to see all; --full shows every one", () => {
    const cut = formatChangeList(revokes(369), { colour: false, seeAll: "add --full to list every one" });
    expect(cut).toHaveLength(LIST_LIMIT + 1);
    expect(cut.at(-1)).toBe(`    … and ${369 - LIST_LIMIT} more: add --full to list every one`);
    expect(formatChangeList(revokes(369), { colour: false, full: true })).toHaveLength(369);
    expect(formatChangeList(revokes(LIST_LIMIT), { colour: false })).toHaveLength(LIST_LIMIT);
  });

  it("colours destructive lines only when the style allows it, and never a name's own escape sequence", () => {
    const changes = [
      { id: "s:a", kind: "create", summary: "new API secret" },
      { id: "s:b", kind: "suspend", summary: "suspend subaccount \u001b[2Jevil" },
    ];
    const [create, suspend] = formatChangeList(changes, { colour: true });
    expect(create).toBe("    + new API secret");
    expect(suspend).toBe("\u001b[31m    - suspend subaccount evil\u001b[39m");
    expect(formatChangeList(changes, { colour: false }).some((l) => SGR.test(l))).toBe(false);
    expect(SGR.test(formatPlan([step("s", changes)]))).toBe(false);
  });

  it("the start screen puts each warning under the change it concerns, not as a count", () => {
    const text = formatStartScreen([
      step("applications", [
        { id: "a:1", kind: "create", summary: 'application "ivr"', warnings: ["answer_url uses plain http"] },
        { id: "a:2", kind: "delete", summary: "delete application old" },
      ]),
    ]);
    expect(text).toMatch(
      /applications {2}1 create, 1 delete\n {4}\+ application "ivr"\n {8}! answer_url uses plain http/,
    );
    expect(text).not.toMatch(/warning\(s\)/);
    expect(text.match(/Legend:/g)).toHaveLength(1);
  });
});
