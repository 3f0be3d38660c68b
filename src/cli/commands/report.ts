// `vonage-ir report <run-id>`: rebuilds report.md/report.json from the journal and prints it.
import { resolve } from "node:path";
import { renderMarkdown } from "../../actions/render-report.js";
import { rewriteReport } from "../rewrite-report.js";
import { ExitCode, UsageError } from "../../core/errors.js";
import type { CliIo } from "../io.js";
import type { Values } from "../command.js";
import { loadResume } from "../load-resume.js";
import { DEFAULT_OUT } from "../session.js";

export default async function report(
  { values, positionals }: { values: Values; positionals: string[] },
  io: CliIo,
): Promise<number> {
  const [runId, ...extra] = positionals;
  if (!runId || extra.length > 0)
    throw new UsageError("expected one run id", "usage: vonage-ir report <run-id> [--out DIR] [--json]");
  const out = resolve(io.cwd, (values.out as string | undefined) ?? DEFAULT_OUT);
  await loadResume(out, runId);
  const written = await rewriteReport(resolve(out, runId));
  io.stdout.write(
    values.json ? `${JSON.stringify(written.report, null, 2)}\n` : renderMarkdown(written.report),
  );
  return ExitCode.ok;
}
