// The Prompter for a real terminal, over Inquirer.js. Loaded lazily (commands that never prompt must not pay
// for it). Ctrl-C inside a prompt becomes an AbortError: the run stops with a consistent, resumable journal.
import type { Readable, Writable } from "node:stream";
import { AbortError } from "../core/errors.js";
import { foreignText, terminalText } from "../core/foreign-text.js";
import type { Choice, Prompter } from "./prompter.js";

function isPromptExit(error: unknown): boolean {
  return error instanceof Error && (error.name === "ExitPromptError" || error.name === "AbortPromptError");
}

const CHOICE_MAX = 200;

export async function createInquirerPrompter(io: {
  input: Readable;
  output: Writable;
  resumeHint: () => string;
}): Promise<Prompter> {
  const inquirer = (await import("inquirer")).default;
  const prompt = inquirer.createPromptModule({
    input: io.input as NodeJS.ReadStream,
    output: io.output as NodeJS.WriteStream,
  });
  const ask = async <T>(question: Record<string, unknown>): Promise<T> => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Inquirer's question union is not worth restating
      const answers = (await prompt([{ ...question, name: "value" } as any])) as { value: T };
      return answers.value;
    } catch (error) {
      if (isPromptExit(error)) {
        throw new AbortError("aborted by the operator (Ctrl-C at a prompt)", io.resumeHint());
      }
      throw error;
    }
  };
  // Questions and choices carry names from the account (secrets' ids, subaccounts, applications): an escape
  // sequence in one could redraw the very screen the operator is answering.
  const toChoices = <T>(choices: Choice<T>[]) =>
    choices.map((c) => ({
      value: c.value,
      name: foreignText(c.name, CHOICE_MAX),
      description: c.description === undefined ? undefined : terminalText(c.description),
      checked: c.checked,
      ...(c.short === undefined ? {} : { short: foreignText(c.short, CHOICE_MAX) }),
    }));
  const message = (text: string) => terminalText(text);
  return {
    select: (q) =>
      ask({
        type: "select",
        message: message(q.message),
        choices: toChoices(q.choices),
        default: q.default,
      }),
    checkbox: (q) => ask({ type: "checkbox", message: message(q.message), choices: toChoices(q.choices) }),
    input: (q) =>
      ask({ type: "input", message: message(q.message), default: q.default, validate: q.validate }),
    confirm: (q) => ask({ type: "confirm", message: message(q.message), default: q.default }),
    say: (text, options) => {
      io.output.write(`${options?.painted ? text : terminalText(text)}\n`);
    },
    wait: async (label, work) => {
      const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
      const started = Date.now();
      let frame = 0;
      const draw = () => {
        const seconds = Math.floor((Date.now() - started) / 1000);
        io.output.write(`\r\u001b[2K  ${frames[frame++ % frames.length]} ${label} (${seconds}s)`);
      };
      draw();
      const timer = setInterval(draw, 100);
      try {
        return await work();
      } finally {
        clearInterval(timer);
        io.output.write("\r\u001b[2K");
      }
    },
  };
}
