/**
 * age plugins, end to end: lockstep runs the suite's test-only plugin
 * (test/support/age-plugin-locktest, a real process speaking the age plugin
 * protocol) from PATH, as the age CLI does; what lockstep encrypts to a
 * plugin recipient the age CLI opens with the plugin's identity, and the
 * other way round. A missing plugin is a coded error naming it.
 */
import { execFileSync } from "node:child_process";
import { createECDH } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { bech32 } from "@scure/base";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AgeRecipient,
  decryptArmored,
  encryptArmored,
  generateKey,
  type KeyPrompts,
  NO_PROMPTS,
  parseIdentityFile,
} from "../../src/crypto/index.js";
import { ROOT } from "../e2e/helpers.js";
import { have, rejection } from "../support/keys.js";

const SUPPORT = join(ROOT, "test", "support");
const ORIGINAL_PATH = process.env.PATH ?? "";
const WITH_PLUGIN = `${SUPPORT}${delimiter}${ORIGINAL_PATH}`;

const HAVE_AGE = have("age", ["--version"]);
if (!HAVE_AGE) console.warn("plugin.test.ts: the age CLI interop cases are SKIPPED (no `age` on PATH)");

const place = { file: "secrets/test/plugin.yaml", what: "test/plugin version 1" };
const plaintext = new TextEncoder().encode("through a plugin\n");

describe("age plugins (test/support/age-plugin-locktest)", () => {
  let dir: string;
  let log: string;
  let n = 0;

  /** A key pair from the plugin's own keygen: the identity file and its recipient. */
  function pluginKey(): { path: string; text: string; recipient: string } {
    const text = execFileSync(join(SUPPORT, "age-plugin-locktest"), ["--keygen"]).toString();
    const recipient = /Recipient: (\S+)/.exec(text)?.[1] ?? "";
    const path = join(dir, `locktest-${n++}.txt`);
    writeFileSync(path, text, { mode: 0o600 });
    return { path, text, recipient };
  }
  const sessions = () => (readFileSync(log, "utf8").trim() || "").split("\n").filter(Boolean);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "lockstep-plugin-"));
    log = join(dir, "sessions.log");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    process.env.PATH = ORIGINAL_PATH;
    delete process.env.LOCKTEST_LOG;
    delete process.env.LOCKTEST_PIN;
    delete process.env.LOCKTEST_MSG;
  });
  function withPlugin() {
    process.env.PATH = WITH_PLUGIN;
    writeFileSync(log, "");
    process.env.LOCKTEST_LOG = log;
  }

  it("parses age1NAME1... recipients and AGE-PLUGIN-NAME-1... identities as the plugin kind, the recipient from the file's comment as a hint", async () => {
    const k = pluginKey();
    const r = AgeRecipient.parse(k.recipient);
    expect(r.kind).toBe("plugin");
    expect(r.fast).toBeUndefined();
    const [id] = await parseIdentityFile(k.text, k.path);
    expect(id?.kind).toBe("plugin");
    expect(id?.recipient).toBeUndefined(); // a plugin identity does not tell its recipient
    expect(id?.recipientHint).toBe(k.recipient);
  });

  it("encrypts and decrypts through the plugin, one stanza per recipient, beside X25519 readers", async () => {
    withPlugin();
    const k = pluginKey();
    const x = await generateKey(false);
    const recipients = [AgeRecipient.parse(x.recipient), AgeRecipient.parse(k.recipient)];
    const armored = await encryptArmored(plaintext, recipients);
    const ids = await parseIdentityFile(k.text, k.path);
    expect(await decryptArmored(armored, ids, [x.recipient, k.recipient], place)).toEqual(plaintext);
    expect(await decryptArmored(armored, ids, [], place)).toEqual(plaintext);
    // The hint sent the plugin one stanza; the full scan, both.
    expect(sessions()).toEqual([
      "recipient-v1 files=1",
      "identity-v1 files=1 stanzas=1",
      "identity-v1 files=1 stanzas=2",
    ]);
  });

  it("batches: files that arrive while a session runs share the next session", async () => {
    withPlugin();
    const k = pluginKey();
    const r = AgeRecipient.parse(k.recipient);
    const armored = await Promise.all(Array.from({ length: 12 }, () => encryptArmored(plaintext, [r])));
    const ids = await parseIdentityFile(k.text, k.path);
    const opened = await Promise.all(armored.map((a) => decryptArmored(a, ids, [k.recipient], place)));
    for (const o of opened) expect(o).toEqual(plaintext);
    const runs = sessions();
    const files = (machine: string) =>
      runs.filter((l) => l.startsWith(machine)).reduce((t, l) => t + Number(/files=(\d+)/.exec(l)?.[1]), 0);
    expect(files("recipient-v1")).toBe(12);
    expect(files("identity-v1")).toBe(12);
    expect(runs.filter((l) => l.startsWith("recipient-v1")).length).toBeLessThan(12);
    expect(runs.filter((l) => l.startsWith("identity-v1")).length).toBeLessThan(12);
  });

  it.skipIf(!HAVE_AGE)("interoperates with the age CLI running the same plugin, both ways", async () => {
    withPlugin();
    const k = pluginKey();
    const ours = await encryptArmored(plaintext, [AgeRecipient.parse(k.recipient)]);
    const env = { ...process.env, PATH: WITH_PLUGIN };
    expect(new Uint8Array(execFileSync("age", ["-d", "-i", k.path], { input: ours, env }))).toEqual(plaintext);
    const theirs = execFileSync("age", ["-a", "-r", k.recipient], { input: plaintext, env }).toString();
    const ids = await parseIdentityFile(k.text, k.path);
    expect(await decryptArmored(theirs, ids, [k.recipient], place)).toEqual(plaintext);
  });

  it("answers the plugin's PIN request and message through the prompts, and fails without a terminal", async () => {
    withPlugin();
    process.env.LOCKTEST_PIN = "123456";
    process.env.LOCKTEST_MSG = "touch the test key";
    const k = pluginKey();
    const armored = await encryptArmored(plaintext, [AgeRecipient.parse(k.recipient)]);
    const shown: string[] = [];
    const prompts: KeyPrompts = {
      ...NO_PROMPTS,
      secret: async (prompt) => {
        shown.push(prompt);
        return "123456";
      },
      message: async (text) => {
        shown.push(text);
        return true;
      },
    };
    const ids = await parseIdentityFile(k.text, k.path, { prompts });
    expect(await decryptArmored(armored, ids, [k.recipient], place)).toEqual(plaintext);
    expect(shown).toEqual([
      "age-plugin-locktest: touch the test key",
      "age-plugin-locktest: Enter the PIN of the test key:",
    ]);
    // Later sessions of the same command answer the PIN it was given: one question for many batches.
    for (let i = 0; i < 3; i++) {
      const next = await encryptArmored(plaintext, [AgeRecipient.parse(k.recipient)]);
      expect(await decryptArmored(next, ids, [k.recipient], place)).toEqual(plaintext);
    }
    expect(shown.filter((p) => p.includes("PIN")).length).toBe(1);
    expect(sessions().filter((l) => l.startsWith("identity-v1")).length).toBe(4);
    // A wrong PIN is forgotten: the next session asks again instead of sending it twice.
    const tries: string[] = [];
    const wrongThenRight: KeyPrompts = {
      ...NO_PROMPTS,
      secret: async (prompt) => {
        tries.push(prompt);
        return tries.length === 1 ? "000000" : "123456";
      },
    };
    const retry = await parseIdentityFile(k.text, k.path, { prompts: wrongThenRight });
    expect((await rejection(decryptArmored(armored, retry, [k.recipient], place))).code).toBe("NO_IDENTITY");
    expect(await decryptArmored(armored, retry, [k.recipient], place)).toEqual(plaintext);
    expect(tries.length).toBe(2);
    const mute = await parseIdentityFile(k.text, k.path, { prompts: NO_PROMPTS });
    const e = await rejection(decryptArmored(armored, mute, [k.recipient], place));
    expect(e.code).toBe("NO_IDENTITY");
    expect(e.message).toContain("wrong PIN or no PIN");
  });

  it("a missing plugin is PLUGIN_MISSING, naming it and how to install it; another identity still opens the file", async () => {
    const k = pluginKey();
    process.env.PATH = ORIGINAL_PATH; // no test plugin
    const enc = await rejection(encryptArmored(plaintext, [AgeRecipient.parse(k.recipient)]));
    expect(enc.code).toBe("PLUGIN_MISSING");
    expect(enc.message).toContain("age-plugin-locktest");
    expect(enc.fix).toMatch(/install age-plugin-locktest/);
    const yubikey = await rejection(
      encryptArmored(plaintext, [AgeRecipient.parse(bech32.encodeFromBytes("age1yubikey", new Uint8Array(33)))]),
    );
    expect(yubikey.fix).toContain("brew install age-plugin-yubikey");

    process.env.PATH = WITH_PLUGIN;
    const x = await generateKey(false);
    const armored = await encryptArmored(plaintext, [AgeRecipient.parse(k.recipient), AgeRecipient.parse(x.recipient)]);
    process.env.PATH = ORIGINAL_PATH;
    const pluginOnly = await parseIdentityFile(k.text, k.path);
    const dec = await rejection(decryptArmored(armored, pluginOnly, [], place));
    expect(dec.code).toBe("PLUGIN_MISSING");
    const both = [...pluginOnly, ...(await parseIdentityFile(x.fileText, "x.key"))];
    expect(await decryptArmored(armored, both, [], place)).toEqual(plaintext);
  });

  it("encrypts to the recipient kinds age-encryption knows (age1tag1...) without any plugin", async () => {
    process.env.PATH = ""; // nothing to run
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const tag = bech32.encodeFromBytes("age1tag", ecdh.getPublicKey(undefined, "compressed"));
    const r = AgeRecipient.parse(tag);
    expect(r.kind).toBe("tag");
    const armored = await encryptArmored(plaintext, [r]);
    const header = Buffer.from(armored.split("\n").slice(1, -2).join(""), "base64").toString("latin1");
    expect(header).toMatch(/\n-> p256tag \S+ \S+\n/);
    // A P-256 point off the curve is refused when parsed.
    const bad = new Uint8Array(33);
    bad[0] = 2;
    bad.fill(0xff, 1);
    expect(AgeRecipient.isValid(bech32.encodeFromBytes("age1tag", bad))).toBe(false);
  });
});
