// Streams traffic records to evidence/traffic/ as JSONL, one file per account and product, without holding
// them: each page is appended (redacted) to a new 0600 file opened O_EXCL|O_NOFOLLOW, hashed as it goes, and
// renamed into place when its stream ends; the manifest lists every file's sha256.
import { createHash, randomBytes, type Hash } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, rename, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { ReadVisitor } from "./traffic-read.js";
import { redact, redactText } from "../core/redact.js";
import { assertPrivateDirectory, writePrivateFile } from "../security/private-file.js";
import type { TrafficProduct, TrafficRecord } from "../vonage/gateway.js";

interface Open {
  handle: FileHandle;
  tmp: string;
  hash: Hash;
  records: number;
}

export class TrafficEvidenceWriter implements ReadVisitor {
  readonly manifest: Record<string, { sha256: string; records: number }> = {};
  private current: Open | undefined;
  private lines: string[] = [];

  private constructor(readonly dir: string) {}

  static async create(runDir: string): Promise<TrafficEvidenceWriter> {
    const dir = join(runDir, "evidence", "traffic");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await assertPrivateDirectory(dir, "traffic evidence directory", { noSymlink: true });
    return new TrafficEvidenceWriter(dir);
  }

  static fileName(accountId: string, product: TrafficProduct): string {
    return `${accountId.replace(/[^A-Za-z0-9_-]/g, "_")}-${product}.jsonl`;
  }

  record(record: TrafficRecord): void {
    this.lines.push(redactText(JSON.stringify(record.raw)));
  }

  /** Called before a page's records: writes the previous page's lines (one write per page). */
  async page(): Promise<void> {
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    if (!this.current) {
      const tmp = join(this.dir, `.${randomBytes(6).toString("hex")}.tmp`);
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
      this.current = { handle: await open(tmp, flags, 0o600), tmp, hash: createHash("sha256"), records: 0 };
    }
    const text = `${this.lines.join("\n")}\n`;
    this.current.records += this.lines.length;
    this.lines = [];
    this.current.hash.update(text);
    await this.current.handle.write(text);
  }

  async end(accountId: string, product: TrafficProduct): Promise<void> {
    await this.flush();
    const name = TrafficEvidenceWriter.fileName(accountId, product);
    const done = this.current;
    this.current = undefined;
    if (!done) {
      await writePrivateFile(join(this.dir, name), "");
      this.manifest[name] = { sha256: createHash("sha256").digest("hex"), records: 0 };
      return;
    }
    await done.handle.sync();
    await done.handle.close();
    await rename(done.tmp, join(this.dir, name));
    this.manifest[name] = { sha256: done.hash.digest("hex"), records: done.records };
  }

  /** Writes manifest.json (and summary.json) last; returns the manifest's own sha256. */
  async finish(summary: unknown, meta: Record<string, unknown>): Promise<string> {
    const summaryText = `${JSON.stringify(redact(summary), null, 2)}\n`;
    await writePrivateFile(join(this.dir, "summary.json"), summaryText);
    const files = {
      ...this.manifest,
      "summary.json": { sha256: createHash("sha256").update(summaryText).digest("hex"), records: 0 },
    };
    const text = `${JSON.stringify({ ...meta, files }, null, 2)}\n`;
    await writePrivateFile(join(this.dir, "manifest.json"), text);
    return createHash("sha256").update(text).digest("hex");
  }
}
