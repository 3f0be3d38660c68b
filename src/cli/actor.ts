// Who runs this: the OS user and host, and the operator's name from `--operator`, VONAGE_IR_OPERATOR or, in a
// terminal, asked once per run. The journal stamps it on every record (engine/journal.ts).
import { hostname, userInfo } from "node:os";
import type { Actor } from "../core/journal-records.js";
import { UsageError } from "../core/errors.js";
import type { Prompter } from "../io/prompter.js";
import type { CliIo } from "./io.js";
import type { Values } from "./command.js";

/** The question an interactive run asks when no name was given (manual steps reuse the answer). */
export const OPERATOR_QUESTION = "Your name or email (recorded with every step of this run)";

const MAX_OPERATOR = 200;

function osUser(io: CliIo): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (a container's arbitrary uid): what the shell says, else the uid.
    return io.env.USER ?? io.env.LOGNAME ?? `uid ${process.getuid?.() ?? "?"}`;
  }
}

/** One line, printable, bounded: a name goes into every record and the report's timeline. */
function cleanName(name: string, from: string): string {
  const clean = name.replace(/\p{Cc}/gu, " ").trim();
  if (clean === "" || clean.length > MAX_OPERATOR)
    throw new UsageError(`${from} must be a name or email of 1 to ${MAX_OPERATOR} characters`);
  return clean;
}

/** The actor as far as argv and env say; `operator` is absent when neither names one. */
export function givenActor(values: Values, io: CliIo): Actor {
  const flag = values.operator as string | undefined;
  const env = io.env.VONAGE_IR_OPERATOR;
  const operator =
    flag !== undefined
      ? cleanName(flag, "--operator")
      : env?.trim()
        ? cleanName(env, "VONAGE_IR_OPERATOR")
        : undefined;
  return { user: osUser(io), host: hostname(), ...(operator === undefined ? {} : { operator }) };
}

/** The actor of a run: asks the operator's name once when a terminal is there and none was given. */
export async function completeActor(actor: Actor, prompter: Prompter | undefined): Promise<Actor> {
  if (actor.operator !== undefined || !prompter) return actor;
  const name = await prompter.input({
    message: OPERATOR_QUESTION,
    validate: (value) => (value.trim() ? true : "a name is required"),
  });
  return { ...actor, operator: cleanName(name, "the name") };
}
