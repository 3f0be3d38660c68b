// Where events go. Human: text on stderr, automated work under a listr2 task list (renderer chosen once:
// default on a TTY, simple otherwise) with change lines held back while the list renders (printing around a
// running list corrupts it). JSON: one event per line on stdout, nothing else on stdout.
import type { Writable } from "node:stream";
import { formatHuman, formatJsonLine, formatPlan, type Event, type EventSink } from "./events.js";
import { PLAIN, type PlanStyle } from "./plan-marks.js";
import { redact } from "../core/redact.js";
import type { TaskUi } from "./task-ui.js";

export type RendererKind = "default" | "simple" | "silent";

/** The one place the renderer is chosen. */
export function chooseRenderer(options: { json: boolean; tty: boolean }): RendererKind {
  if (options.json) return "silent";
  return options.tty ? "default" : "simple";
}

const MAX_HELD_LINES = 40;

export class ConsoleReporter implements EventSink, TaskUi {
  private held: string[] | undefined;
  private setOutput: ((line: string) => void) | undefined;

  constructor(
    private readonly out: Writable,
    private readonly renderer: RendererKind,
    private readonly style: PlanStyle = PLAIN,
  ) {}

  emit(event: Event): void {
    if (event.kind === "progress" || event.kind === "change.started") return;
    // The plan is painted line by line after each line is cleaned (formatHuman would strip the colour).
    const text =
      event.kind === "plan.ready" ? formatPlan(redact(event).steps, this.style) : formatHuman(event);
    if (text === undefined) return;
    if (this.held) this.held.push(text);
    else this.out.write(`${text}\n`);
  }

  async task(title: string, work: () => Promise<void>): Promise<void> {
    if (this.renderer === "silent") return work();
    // Without a TTY the step's own lines (its title when it starts, its status when it ends) already say it:
    // listr2's simple renderer would print the title twice more.
    if (this.renderer === "simple") return this.holding(work);
    const { Listr, ListrLogger, ProcessOutput, PRESET_TIMER } = await import("listr2");
    const stream = this.out as NodeJS.WriteStream;
    const list = new Listr(
      [
        {
          title,
          task: async (_ctx, task) => {
            this.setOutput = (line) => {
              task.output = line;
            };
            await work();
          },
        },
      ],
      {
        renderer: this.renderer,
        rendererOptions: {
          timer: PRESET_TIMER,
          logger: new ListrLogger({ processOutput: new ProcessOutput(stream, stream) }),
        },
        registerSignalListeners: false,
        exitOnError: true,
        collectErrors: false,
      },
    );
    await this.holding(() => list.run().then(() => undefined));
  }

  /** Runs `work` with change lines held back, then prints them (at most MAX_HELD_LINES). */
  private async holding(work: () => Promise<void>): Promise<void> {
    this.held = [];
    try {
      await work();
    } finally {
      this.setOutput = undefined;
      const held = this.held ?? [];
      this.held = undefined;
      const shown = held.length > MAX_HELD_LINES ? held.slice(0, MAX_HELD_LINES) : held;
      for (const line of shown) this.out.write(`${line}\n`);
      if (held.length > shown.length) {
        this.out.write(`  … and ${held.length - shown.length} more (see the journal and the report)\n`);
      }
    }
  }

  progress(line: string): void {
    // The simple renderer prints every update as a line: on a non-TTY only the per-change lines are shown.
    if (this.renderer === "default") this.setOutput?.(line);
  }
}

export class JsonReporter implements EventSink {
  constructor(private readonly out: Writable) {}
  emit(event: Event): void {
    this.out.write(`${formatJsonLine(event)}\n`);
  }
}
