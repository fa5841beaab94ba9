import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { generateKey } from "../../../src/crypto/keys.js";
import { loadSopsIdentities, sopsDefaultKeyFile } from "../../../src/storage/import-sources/sops-keys.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "lockstep-sops-keys-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const keyLine = (text: string) => text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-")) as string;

test("sops' default key file is <config dir>/sops/age/keys.txt on each platform", () => {
  const env = { HOME: "/home/u" };
  expect(sopsDefaultKeyFile(env, "linux")).toBe(join("/home/u", ".config", "sops", "age", "keys.txt"));
  expect(sopsDefaultKeyFile({ ...env, XDG_CONFIG_HOME: "/x" }, "linux")).toBe(join("/x", "sops", "age", "keys.txt"));
  expect(sopsDefaultKeyFile(env, "darwin")).toBe(
    join("/home/u", "Library", "Application Support", "sops", "age", "keys.txt"),
  );
  expect(sopsDefaultKeyFile({ ...env, XDG_CONFIG_HOME: "/x" }, "darwin")).toBe(join("/x", "sops", "age", "keys.txt"));
  expect(sopsDefaultKeyFile({ AppData: "C:\\Users\\u\\AppData\\Roaming" }, "win32")).toContain("keys.txt");
});

test("every place sops reads is read: SOPS_AGE_KEY (several to a line), SOPS_AGE_KEY_FILE, keys.txt", async () => {
  const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => generateKey(false)));
  const file = join(dir, "file-keys.txt");
  await writeFile(file, c!.fileText);
  await mkdir(join(dir, "config", "sops", "age"), { recursive: true });
  const fallback = join(dir, "config", "sops", "age", "keys.txt");
  // A plugin identity is passed over; the X25519 key beside it is read.
  await writeFile(fallback, `# keys\nAGE-PLUGIN-YUBIKEY-1QQQQQQQQ\n${keyLine(d!.fileText)}\n`);
  const found = await loadSopsIdentities({
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, "config"),
    SOPS_AGE_KEY: `${keyLine(a!.fileText)} ${keyLine(b!.fileText)}`,
    SOPS_AGE_KEY_FILE: file,
    SOPS_AGE_KEY_CMD: "cat /dev/null",
  });
  expect(found.identities.map((i) => i.recipient)).toEqual([a!.recipient, b!.recipient, c!.recipient, d!.recipient]);
  expect(found.places).toEqual(["SOPS_AGE_KEY", file, fallback]);
  expect(found.unsupported).toEqual(["SOPS_AGE_KEY_CMD"]);
});

test("no place set: no identities; an unreadable SOPS_AGE_KEY_FILE is NO_IDENTITY; a bad key INVALID_KEY", async () => {
  const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, "none") };
  expect((await loadSopsIdentities(env)).identities).toEqual([]);
  await expect(loadSopsIdentities({ ...env, SOPS_AGE_KEY_FILE: join(dir, "missing") })).rejects.toMatchObject({
    code: "NO_IDENTITY",
  });
  await expect(loadSopsIdentities({ ...env, SOPS_AGE_KEY: "AGE-SECRET-KEY-1NOTAKEY" })).rejects.toMatchObject({
    code: "INVALID_KEY",
  });
});
