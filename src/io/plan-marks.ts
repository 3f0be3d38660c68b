// The marks of a plan, one per meaning and one meaning per mark, and the one-line legend that explains the
// marks a screen uses. Every plan line (dry run, start screen, confirm screens, end summary) takes its mark here.

export interface PlanMark {
  mark: string;
  meaning: string;
  /** The change kinds shown with this mark (none: the mark is not a change's, e.g. a warning). */
  kinds: readonly string[];
  /** Lines with this mark take something away from the account: coloured, and confirmed with No as default. */
  destructive: boolean;
}

export const PLAN_MARKS: readonly PlanMark[] = [
  { mark: "+", meaning: "create", kinds: ["create"], destructive: false },
  { mark: "~", meaning: "change in place", kinds: ["update"], destructive: false },
  { mark: "-", meaning: "revoke, delete or suspend", kinds: ["delete", "suspend"], destructive: true },
  { mark: "=", meaning: "check (reads only)", kinds: ["verify"], destructive: false },
  { mark: "*", meaning: "a person does it", kinds: ["manual"], destructive: false },
  {
    mark: ">",
    meaning: "write a file, or deliver a credential to a configured target",
    kinds: ["write-file", "deliver"],
    destructive: false,
  },
  { mark: "!", meaning: "warning about the line above", kinds: [], destructive: false },
];

/** A warning under the change it concerns (never a mark of a change). */
export const WARNING_MARK = "!";
/** A change kind no table entry knows (a newer journal read by an older version). */
const UNKNOWN_MARK = "·";

export function markOf(kind: string): string {
  return PLAN_MARKS.find((m) => m.kinds.includes(kind))?.mark ?? UNKNOWN_MARK;
}

export function isDestructive(kind: string): boolean {
  return PLAN_MARKS.some((m) => m.destructive && m.kinds.includes(kind));
}

/** How plan lines are shown on this screen. */
export interface PlanStyle {
  /** Destructive lines in colour: only on a terminal and without NO_COLOR (decided in cli/). */
  colour: boolean;
  /** Every change of a long list, instead of the first few and a count of the rest. */
  full?: boolean | undefined;
  /** Where the whole list can be seen when a list is cut (a file, or the flag that shows it). */
  seeAll?: string | undefined;
}

export const PLAIN: PlanStyle = { colour: false };

/** At most this many changes of one list are shown unless `full`: a long list must not scroll the question away. */
export const LIST_LIMIT = 10;

/** `Legend: + create · - revoke, delete or suspend · ! warning…`: only the marks of these kinds (and warnings). */
export function planLegend(kinds: Iterable<string>, warnings: boolean): string | undefined {
  const used = new Set(kinds);
  const marks = PLAN_MARKS.filter(
    (m) => m.kinds.some((k) => used.has(k)) || (warnings && m.mark === WARNING_MARK),
  );
  if (marks.length === 0) return undefined;
  return `Legend: ${marks.map((m) => `${m.mark} ${m.meaning}`).join(" · ")}`;
}

const RED = "\u001b[31m";
const DEFAULT_FOREGROUND = "\u001b[39m";

/** A destructive line in red when the style allows colour; the text is already clean of escape sequences. */
export function paintLine(text: string, kind: string, style: PlanStyle): string {
  return style.colour && isDestructive(kind) ? `${RED}${text}${DEFAULT_FOREGROUND}` : text;
}
