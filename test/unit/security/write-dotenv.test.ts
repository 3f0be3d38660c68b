// Setting one key in a .env file: every other line and comment kept, values quoted when a reader could misread
// them, a multi-line value replaced whole; the file written 0600, and a symlink refused rather than replaced.
import { mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dotenvValue, setDotenvKey, writeDotenv } from "../../../src/security/write-dotenv.js";

describe("setDotenvKey", () => {
  it("replaces the key's line and keeps every other line and comment", () => {
    const text = '# settings\nA=1\nKEY=old # inline\n\nexport B="x y"\n';
    expect(setDotenvKey(text, "KEY", "new-Value_9")).toBe(
      '# settings\nA=1\nKEY=new-Value_9\n\nexport B="x y"\n',
    );
  });

  it("appends the key when the file does not have it, and keeps `export`", () => {
    expect(setDotenvKey("A=1", "KEY", "v1")).toBe("A=1\nKEY=v1\n");
    expect(setDotenvKey("export KEY=old\n", "KEY", "v2")).toBe("export KEY=v2\n");
  });

  it("replaces a multi-line quoted value whole (a PEM), and quotes a new one with \\n", () => {
    const text = 'A=1\nKEY="-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----"\nB=2\n';
    const pem = "-----BEGIN PRIVATE KEY-----\nxyz\n-----END PRIVATE KEY-----\n";
    expect(setDotenvKey(text, "KEY", pem)).toBe(
      'A=1\nKEY="-----BEGIN PRIVATE KEY-----\\nxyz\\n-----END PRIVATE KEY-----\\n"\nB=2\n',
    );
  });

  it("does not touch a key that only starts with the same letters", () => {
    expect(setDotenvKey("KEY_OLD=1\n", "KEY", "v")).toBe("KEY_OLD=1\nKEY=v\n");
  });

  it("quotes values with spaces, quotes, $ or #", () => {
    expect(dotenvValue("plain-Value_1")).toBe("plain-Value_1");
    expect(dotenvValue('a "b" $c #d')).toBe('"a \\"b\\" \\$c #d"');
  });
});

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("writeDotenv", () => {
  it("leaves the file 0600 whatever its mode was", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vonage-ir-dotenv-"));
    dirs.push(dir);
    const file = join(dir, ".env");
    await writeFile(file, "A=1\n", { mode: 0o644 });
    await writeDotenv(file, "KEY", "v1");
    expect(await readFile(file, "utf8")).toBe("A=1\nKEY=v1\n");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("refuses a symlink instead of replacing it with a file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vonage-ir-dotenv-"));
    dirs.push(dir);
    await writeFile(join(dir, "real.env"), "A=1\n");
    await symlink(join(dir, "real.env"), join(dir, ".env"));
    await expect(writeDotenv(join(dir, ".env"), "KEY", "v")).rejects.toThrow(/symbolic link/);
    expect(await readFile(join(dir, "real.env"), "utf8")).toBe("A=1\n");
  });

  it("serialises writes to one file: keys set at once all land (none lost to a read before another's rename)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vonage-ir-dotenv-"));
    dirs.push(dir);
    const file = join(dir, ".env");
    await writeFile(file, "# shared\nA=1\n", { mode: 0o600 });
    const keys = Array.from({ length: 12 }, (_, i) => `KEY_${String(i)}`);
    // Half through a path with `..` in it: the same file, serialised on its real path.
    await Promise.all(
      keys.map((key, i) =>
        writeDotenv(i % 2 ? join(dir, "..", basename(dir), ".env") : file, key, `v${String(i)}`),
      ),
    );
    const lines = (await readFile(file, "utf8")).split("\n");
    expect(lines.slice(0, 2)).toEqual(["# shared", "A=1"]);
    for (const [i, key] of keys.entries()) expect(lines).toContain(`${key}=v${String(i)}`);
  });

  it("refuses a file that does not exist (a typo, another machine), and creates it 0600 only with `create`", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vonage-ir-dotenv-"));
    dirs.push(dir);
    const file = join(dir, ".env");
    await expect(writeDotenv(file, "KEY", "v")).rejects.toThrow(
      `file ${file} does not exist: create it or set \`create: true\` on the target`,
    );
    expect(await readdir(dir)).toEqual([]);
    await writeDotenv(file, "KEY", "v", { create: true });
    expect(await readFile(file, "utf8")).toBe("KEY=v\n");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
