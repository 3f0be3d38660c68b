// The leak scan: every secret value the simulator ever held, every value in a run's sink (PEM private keys
// also by each base64 body line), the passwords of webhook URLs, the admin token, each in every encoding the
// tool produces (plain, URL-encoded, base64 of `key:secret`); searched in files and captured outputs.
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
    // Messenger's page access token: a credential of the account's Facebook page.
    ...state.externalAccounts.flatMap((a) => (a.accessToken === undefined ? [] : [a.accessToken])),
  ];
}

/** The needles of one sink file: its value, and for a PEM each base64 body line (long enough to be unique). */
export function needlesOf(value: string): string[] {
  const trimmed = value.trim();
  if (!trimmed.startsWith("-----BEGIN")) return [trimmed];
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

/**
 * Searches `paths` (files or directories, run sinks excluded) and `texts` for every secret, and for escape
 * sequences (a terminal would run them): the hits.
 */
export async function scanForSecrets(
  paths: string[],
  texts: string[],
  secrets: string[],
): Promise<SecretHit[]> {
  const needles = new Map<string, string>();
  secrets.forEach((secret, index) => {
    for (const needle of needlesOf(secret)) if (needle.length >= 6) needles.set(needle, `secret #${index}`);
  });
  // Names from the account may carry escape sequences (the e2e scenarios have one): none may reach an output.
  needles.set("\u001b", "an escape sequence (ESC)");
  needles.set("\u009b", "an escape sequence (CSI)");
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

/** Every API key of a simulator state: the primary's and the subaccounts'. */
export function stateApiKeys(state: SimState): string[] {
  return [state.primary.apiKey, ...state.subaccounts.map((sub) => sub.apiKey)];
}

/** The passwords of every URL with userinfo (`scheme://user:password@host`) anywhere in a state. */
export function userinfoPasswords(state: SimState): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === "string") {
      for (const match of value.matchAll(/:\/\/[^\s/?#@:]*:([^\s/?#@]+)@/g)) {
        const password = match[1] ?? "";
        found.push(password);
        found.push(decodeURIComponent(password));
      }
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(state);
  return found;
}

/**
 * Every encoding of a secret the tool itself produces: plain, URL-encoded, and base64 of `key:secret` (the
 * HTTP Basic header, unpadded so a copy that lost its `=` still counts) for every key it could pair with.
 */
export function encodingsOf(secret: string, apiKeys: readonly string[]): string[] {
  const out = [secret];
  if (encodeURIComponent(secret) !== secret) out.push(encodeURIComponent(secret));
  if (!secret.includes("\n")) {
    for (const key of apiKeys)
      out.push(Buffer.from(`${key}:${secret}`).toString("base64").replace(/=+$/, ""));
  }
  return out;
}

/**
 * The secrets a run could leak, in every encoding: simulator states (initial and final) with the passwords of
 * their webhook URLs, its sinks, the admin token.
 */
export async function allSecrets(
  states: SimState[],
  sinkDirs: string[],
  adminToken: string,
): Promise<string[]> {
  const keys = [...new Set(states.flatMap(stateApiKeys))];
  const plain = new Set<string>([...states.flatMap(stateSecrets), ...states.flatMap(userinfoPasswords)]);
  for (const dir of sinkDirs) for (const { value } of await sinkValues(dir)) plain.add(value);
  const values = new Set<string>([...plain].flatMap((secret) => encodingsOf(secret, keys)));
  values.add(adminToken);
  return [...values];
}
