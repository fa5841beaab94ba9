/**
 * The dotenvx decoder against files the real dotenvx CLI
 * (@dotenvx/dotenvx, a devDependency) encrypts, its keys in `.env.keys` or
 * the environment; dotenvx's own `get` is the reference for the values.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ImportNode } from "../../../src/core/import-tree.js";
import { decodeDotenvx, dotenvxKeyName } from "../../../src/ops/import-sources/dotenvx.js";
import { loadDotenvxKeys } from "../../../src/storage/import-sources/dotenvx-keys.js";
import { codeOf } from "../../support/errors.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const CLI = join(dirname(require.resolve("@dotenvx/dotenvx/package.json")), "src", "cli", "dotenvx.js");
const LOCAL = ["--no-armor", "--no-native", "--no-1password", "--no-bitwarden"];

let dir: string;
const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: join(dir, ".config") });
const dotenvx = async (...args: string[]) =>
  (await run(process.execPath, [CLI, ...args], { cwd: dir, env: env() })).stdout;

const values = (tree: { entries: readonly { key: string; node: ImportNode }[] }) =>
  Object.fromEntries(tree.entries.map((e) => [e.key, e.node.kind === "scalar" ? e.node.text : "?"]));

const PLAIN = [
  "# app settings",
  "DATABASE_URL=postgres://u:p@db:5432/app?sslmode=require",
  'GREETING="hello, world # not a comment"',
  "SINGLE='it is $literal'",
  'MULTI="line one\nline two"',
  "EMPTY=",
  "UNICODE=päßwörd ✓",
  "EQUALS=a=b=c",
  "PUBLIC_URL=https://example.com",
  "",
].join("\n");

let production: string;
let reference: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lockstep-dotenvx-"));
  production = join(dir, ".env.production");
  await writeFile(production, PLAIN);
  await writeFile(join(dir, ".env"), "OTHER=x\n");
  await dotenvx("encrypt", "-f", ".env.production", "-ek", "PUBLIC_URL", ...LOCAL);
  await dotenvx("encrypt", "-f", ".env", ...LOCAL);
  reference = JSON.parse(await dotenvx("get", "-f", ".env.production", ...LOCAL));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("files dotenvx encrypted", () => {
  test("every value decrypts to what dotenvx itself reads; its public key is not a value", async () => {
    const text = await readFile(production, "utf8");
    expect(text).toContain("DATABASE_URL=encrypted:");
    expect(text).not.toContain("postgres://");
    const privateKeys = await loadDotenvxKeys(production, { env: {} });
    const out = await decodeDotenvx(text, { source: production, privateKeys });
    const { DOTENV_PUBLIC_KEY_PRODUCTION, ...expected } = reference;
    expect(DOTENV_PUBLIC_KEY_PRODUCTION).toMatch(/^0[23][0-9a-f]{64}$/);
    expect(values(out.tree)).toEqual(expected);
    expect(values(out.tree).MULTI).toBe("line one\nline two");
    expect(values(out.tree).PUBLIC_URL).toBe("https://example.com"); // left plain by -ek
    expect(out.keyName).toBe("DOTENV_PRIVATE_KEY_PRODUCTION");
    expect(out.keyFrom).toBe(join(dir, ".env.keys"));
    expect(out.skipped).toEqual([{ key: "DOTENV_PUBLIC_KEY_PRODUCTION", reason: "dotenvx's public key" }]);
  });

  test("the key from the environment wins over .env.keys, and works without it", async () => {
    const keysText = await readFile(join(dir, ".env.keys"), "utf8");
    const key = (/^DOTENV_PRIVATE_KEY_PRODUCTION=(.*)$/m.exec(keysText) as RegExpExecArray)[1] as string;
    const elsewhere = join(dir, "keys.moved");
    await rename(join(dir, ".env.keys"), elsewhere);
    try {
      const text = await readFile(production, "utf8");
      const none = await loadDotenvxKeys(production, { env: {} });
      expect(none).toEqual([]);
      const err = await decodeDotenvx(text, { source: production, privateKeys: none }).catch((e) => e);
      expect(err.code).toBe("NO_IDENTITY");
      expect(err.message).toContain("DOTENV_PRIVATE_KEY_PRODUCTION");
      const fromEnv = await loadDotenvxKeys(production, { env: { DOTENV_PRIVATE_KEY_PRODUCTION: key } });
      const out = await decodeDotenvx(text, { source: production, privateKeys: fromEnv });
      expect(out.keyFrom).toBe("environment");
      expect(values(out.tree).DATABASE_URL).toBe(reference.DATABASE_URL);
      // Several keys in one variable, comma-separated: the matching one is used.
      const other = await loadDotenvxKeys(production, { keysFile: elsewhere });
      const otherKey = other.find((k) => k.name === "DOTENV_PRIVATE_KEY")?.keys[0] as string;
      const both = await loadDotenvxKeys(production, { env: { DOTENV_PRIVATE_KEY_PRODUCTION: `${otherKey},${key}` } });
      expect(values((await decodeDotenvx(text, { source: production, privateKeys: both })).tree).EQUALS).toBe("a=b=c");
    } finally {
      await rename(elsewhere, join(dir, ".env.keys"));
    }
  });

  test("another file's key does not open it (NO_IDENTITY); a changed ciphertext is INTEGRITY", async () => {
    const text = await readFile(production, "utf8");
    const keys = await loadDotenvxKeys(production, { env: {} });
    const wrong = keys
      .filter((k) => k.name === "DOTENV_PRIVATE_KEY")
      .map((k) => ({ ...k, name: "DOTENV_PRIVATE_KEY_PRODUCTION" }));
    expect(await codeOf(decodeDotenvx(text, { source: production, privateKeys: wrong }))).toBe("NO_IDENTITY");
    const line = (/^EQUALS=encrypted:(.*)$/m.exec(text) as RegExpExecArray)[0];
    const tail = line.slice(-6, -5);
    const tampered = text.replace(line, `${line.slice(0, -6)}${tail === "A" ? "B" : "A"}${line.slice(-5)}`);
    expect(tampered).not.toBe(text);
    const err = await decodeDotenvx(tampered, { source: production, privateKeys: keys }).catch((e) => e);
    expect(err.code).toBe("INTEGRITY");
    expect(err.message).toContain("EQUALS");
    expect(err.line).toBe(text.split("\n").findIndex((l) => l.startsWith("EQUALS=")) + 1);
  });

  test(".env's key is DOTENV_PRIVATE_KEY; an invalid key is INVALID_KEY", async () => {
    const file = join(dir, ".env");
    const text = await readFile(file, "utf8");
    const out = await decodeDotenvx(text, { source: file, privateKeys: await loadDotenvxKeys(file, { env: {} }) });
    expect(values(out.tree)).toEqual({ OTHER: "x" });
    expect(out.keyName).toBe("DOTENV_PRIVATE_KEY");
    const bad = [{ name: "DOTENV_PRIVATE_KEY", keys: ["nothex"], from: "environment" }];
    expect(await codeOf(decodeDotenvx(text, { source: file, privateKeys: bad }))).toBe("INVALID_KEY");
  });
});

test("a file with no encrypted value needs no key, and keeps variable references as written", async () => {
  const reference = "$" + "{A}-x"; // dotenvx expands this when it runs a program; an import keeps it
  const out = await decodeDotenvx(`A=1\nB=${reference}\n`, { source: ".env", privateKeys: [] });
  expect(values(out.tree)).toEqual({ A: "1", B: reference });
});

test("the private key's name follows dotenvx's conventions", () => {
  expect(dotenvxKeyName(".env")).toBe("DOTENV_PRIVATE_KEY");
  expect(dotenvxKeyName("/x/.env.production")).toBe("DOTENV_PRIVATE_KEY_PRODUCTION");
  expect(dotenvxKeyName(".env.ci.local")).toBe("DOTENV_PRIVATE_KEY_CI_LOCAL");
  expect(dotenvxKeyName(".env.production.txt")).toBe("DOTENV_PRIVATE_KEY_PRODUCTION");
  expect(dotenvxKeyName("anything", "DOTENV_PUBLIC_KEY_STAGING")).toBe("DOTENV_PRIVATE_KEY_STAGING");
});
