// How the engine asks the operator things. The Inquirer implementation is for terminals; the scripted one
// answers from a list (tests, `--answers`), and fails loudly on a question it has no answer for.
export interface Choice<T> {
  value: T;
  name: string;
  description?: string | undefined;
  checked?: boolean | undefined;
  /** What the answered question shows for this choice (default: its name). */
  short?: string | undefined;
}

export interface Prompter {
  select<T>(question: { message: string; choices: Choice<T>[]; default?: T | undefined }): Promise<T>;
  checkbox<T>(question: { message: string; choices: Choice<T>[] }): Promise<T[]>;
  input(question: {
    message: string;
    default?: string | undefined;
    validate?: ((value: string) => true | string) | undefined;
  }): Promise<string>;
  confirm(question: { message: string; default?: boolean | undefined }): Promise<boolean>;
  /**
   * Prints text between prompts (instructions); never while a task list renders. Escape sequences are removed,
   * except with `painted`: text whose foreign parts were cleaned where it was built, coloured by us (plan lines).
   */
  say(text: string, options?: { painted?: boolean }): void;
  /** Runs `work` while showing that we are waiting (a spinner with the elapsed time on a terminal). */
  wait<T>(label: string, work: () => Promise<T>): Promise<T>;
}

export interface ScriptedAnswer {
  /** Matched against the question's message (substring or regular expression). */
  match: string | RegExp;
  answer: unknown;
}

/** Answers questions in order of the script; each answer is used once. */
export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = [];
  readonly said: string[] = [];
  private readonly script: ScriptedAnswer[];

  constructor(script: ScriptedAnswer[]) {
    this.script = [...script];
  }

  private take(message: string): unknown {
    this.asked.push(message);
    const index = this.script.findIndex((entry) =>
      typeof entry.match === "string" ? message.includes(entry.match) : entry.match.test(message),
    );
    if (index < 0) throw new Error(`scripted prompter: no answer for question "${message}"`);
    const [entry] = this.script.splice(index, 1);
    return entry?.answer;
  }

  async select<T>(question: { message: string; choices: Choice<T>[] }): Promise<T> {
    const answer = this.take(question.message);
    const choice = question.choices.find((c) => c.value === answer || c.name === answer);
    if (!choice)
      throw new Error(`scripted prompter: "${String(answer)}" is not a choice of "${question.message}"`);
    return choice.value;
  }

  async checkbox<T>(question: { message: string; choices: Choice<T>[] }): Promise<T[]> {
    const answer = this.take(question.message);
    if (answer === "defaults") return question.choices.filter((c) => c.checked).map((c) => c.value);
    if (!Array.isArray(answer))
      throw new Error(`scripted prompter: expected a list for "${question.message}"`);
    return question.choices
      .filter((c) => answer.includes(c.value) || answer.includes(c.name))
      .map((c) => c.value);
  }

  async input(question: { message: string; validate?: ((value: string) => true | string) | undefined }) {
    const answer = String(this.take(question.message));
    const verdict = question.validate?.(answer) ?? true;
    if (verdict !== true)
      throw new Error(`scripted prompter: answer to "${question.message}" rejected: ${verdict}`);
    return answer;
  }

  async confirm(question: { message: string }): Promise<boolean> {
    return Boolean(this.take(question.message));
  }

  say(text: string): void {
    this.said.push(text);
  }

  wait<T>(label: string, work: () => Promise<T>): Promise<T> {
    this.said.push(label);
    return work();
  }

  /** Questions the script prepared answers for but which were never asked. */
  unused(): ScriptedAnswer[] {
    return [...this.script];
  }
}
