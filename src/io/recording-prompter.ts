// A Prompter that passes questions to another and records the answers, so that a saved plan carries the decisions
// it was made with and `apply` can replay them (engine/verify-saved-plan.ts) instead of asking again.
import type { DecisionKind, JsonValue, RecordedDecision } from "../core/plan.js";
import type { Choice, Prompter } from "./prompter.js";

export class RecordingPrompter implements Prompter {
  readonly decisions: RecordedDecision[] = [];

  constructor(private readonly inner: Prompter) {}

  private record<T>(kind: DecisionKind, message: string, answer: T): T {
    this.decisions.push({ kind, message, answer: answer as JsonValue });
    return answer;
  }

  async select<T>(question: { message: string; choices: Choice<T>[]; default?: T | undefined }): Promise<T> {
    return this.record("select", question.message, await this.inner.select(question));
  }

  async checkbox<T>(question: { message: string; choices: Choice<T>[] }): Promise<T[]> {
    return this.record("checkbox", question.message, await this.inner.checkbox(question));
  }

  async input(question: {
    message: string;
    default?: string | undefined;
    validate?: ((value: string) => true | string) | undefined;
  }): Promise<string> {
    return this.record("input", question.message, await this.inner.input(question));
  }

  async confirm(question: { message: string; default?: boolean | undefined }): Promise<boolean> {
    return this.record("confirm", question.message, await this.inner.confirm(question));
  }

  say(text: string, options?: { painted?: boolean }): void {
    this.inner.say(text, options);
  }

  wait<T>(label: string, work: () => Promise<T>): Promise<T> {
    return this.inner.wait(label, work);
  }
}
