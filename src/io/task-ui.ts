// What the engine needs from a progress display: run work under a titled task, show one progress line.
// listr2 implements it on terminals and in CI; a silent one serves `--json` and tests.
export interface TaskUi {
  task(title: string, work: () => Promise<void>): Promise<void>;
  progress(line: string): void;
}

export const silentTaskUi: TaskUi = {
  task: (_title, work) => work(),
  progress: () => undefined,
};
