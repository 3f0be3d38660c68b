// The leak scan: every secret value the simulator ever held, every value in a run's sink (PEM private keys
// also by each base64 body line), the admin token; searched in files and captured outputs.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { SimState } from "../../../src/simulator/index.js";

export interface SecretHit {
  /** A file path, or `text[i]` for the i-th captured text. */
  where: string;
  /** Which secret (a label, never the value). */
  secret: string;
}

/** Every secret value in a simulator state: primary and subaccount API secrets. */
export function stateSecrets(state: SimState): string[] {
  return [
    ...state.primary.secrets.map((s) => s.value),
    ...state.subaccounts.flatMap((sub) => sub.secrets.map((s) => s.value)),
  ];
}

/** The needles of one sink file: its value, and for a PEM each base64 body line (long enough to be unique). */
export function needlesOf(value: string): string[] {
  const trimmed = value.trim();
  if (!trimmed.includes("-----BEGIN")) return [trimmed];
  return trimmed
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length >= 16 && !line.startsWith("-----"));
}

/** Values of every file in a run's `secrets/` directory (the README excluded). */
export async function sinkValues(sinkDir: string): Promise<{ name: string; value: string }[]> {
  const names = await readdir(sinkDir).catch(() => [] as string[]);
  const result: { name: string; value: string }[] = [];
  for (const name of names) {
    if (name === "README.txt") continue;
    const path = join(sinkDir, name);
    if (!(await stat(path)).isFile()) continue;
    result.push({ name, value: await readFile(path, "utf8") });
  }
  return result;
}

/** Every file under `dir` (recursively), except those under the directories `skip` accepts. */
export async function filesUnder(
  dir: string,
  skip: (path: string) => boolean = () => false,
): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (skip(path)) continue;
    if (entry.isDirectory()) out.push(...(await filesUnder(path, skip)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Searches `paths` (files or directories, run sinks excluded) and `texts` for every secret: the hits. */
export async function scanForSecrets(
  paths: string[],
  texts: string[],
  secrets: string[],
): Promise<SecretHit[]> {
  const needles = new Map<string, string>();
  secrets.forEach((secret, index) => {
    for (const needle of needlesOf(secret)) if (needle.length >= 6) needles.set(needle, `secret #${index}`);
  });
  const hits: SecretHit[] = [];
  const search = (where: string, text: string) => {
    for (const [needle, label] of needles) if (text.includes(needle)) hits.push({ where, secret: label });
  };
  texts.forEach((text, index) => search(`text[${index}]`, text));
  // a run's sink: <out>/<run-id>/secrets (the only place secret values belong)
  const isSink = (p: string) => /[/\\]\d{8}-\d{6}-[0-9a-f]{6}[/\\]secrets$/.test(p);
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) continue;
    const files = info.isDirectory() ? await filesUnder(path, isSink) : [path];
    for (const file of files) search(file, await readFile(file, "utf8"));
  }
  return hits;
}

/** The secrets a run could leak: simulator states (initial and final), its sinks, the admin token. */
export async function allSecrets(
  states: SimState[],
  sinkDirs: string[],
  adminToken: string,
): Promise<string[]> {
  const values = new Set<string>(states.flatMap(stateSecrets));
  for (const dir of sinkDirs) for (const { value } of await sinkValues(dir)) values.add(value);
  values.add(adminToken);
  return [...values];
}
