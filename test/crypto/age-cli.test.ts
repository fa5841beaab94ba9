/**
 * Interop with the reference `age` CLI (Debian package `age`): what lockstep
 * writes, `age -d` opens; what `age` writes, lockstep opens; keys go both ways.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decrypter } from "age-encryption";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { addRecipientsArmored, countStanzas, decryptArmored, encryptArmored } from "../../src/crypto/age.js";
import { type AgeIdentity, AgeRecipient, generateKey, parseIdentityFile } from "../../src/crypto/keys.js";
import { NativeX25519Identity } from "../../src/crypto/x25519.js";

function onPath(cmd: string): boolean {
  try {
    execFileSync(cmd, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const HAVE_AGE = onPath("age") && onPath("age-keygen");
if (!HAVE_AGE) {
  console.warn("age-cli.test.ts SKIPPED: `age` / `age-keygen` not on PATH (install the Debian package `age`)");
}

const place = { file: "secrets/test/cli.yaml", what: "test/cli version 1" };
const plaintext = new TextEncoder().encode("from lockstep to age and back\n\u00e9\u{1f511}\n");

function age(args: string[], input?: Uint8Array | string): Buffer {
  return execFileSync("age", args, { input: input ?? "", stdio: ["pipe", "pipe", "pipe"] });
}

interface KeyFile {
  path: string;
  text: string;
  recipient: string;
  identities: AgeIdentity[];
  /** The AGE-SECRET-KEY-1... line. */
  secret: string;
}

describe.skipIf(!HAVE_AGE)("age CLI interop (age must be on PATH)", () => {
  let dir: string;
  let keys: KeyFile[];
  let n = 0;

  async function lockstepKey(): Promise<KeyFile> {
    const { fileText, recipient } = await generateKey(false);
    const path = join(dir, `lockstep-${n++}.key`);
    writeFileSync(path, fileText, { mode: 0o600 });
    const secret = fileText.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1")) ?? "";
    return { path, text: fileText, recipient, identities: await parseIdentityFile(fileText, path), secret };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lockstep-age-cli-"));
    keys = [await lockstepKey(), await lockstepKey(), await lockstepKey()];
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe("lockstep encrypts, age decrypts", () => {
    it("`age -d -i KEY` opens encryptArmored output for each of 3 recipients", async () => {
      const armored = await encryptArmored(
        plaintext,
        keys.map((k) => AgeRecipient.parse(k.recipient)),
      );
      expect(countStanzas(armored, place)).toBe(3);
      for (const k of keys) {
        expect(new Uint8Array(age(["-d", "-i", k.path], armored))).toEqual(plaintext);
      }
    });

    it("`age -d` opens a file that rekey extended with a reader (file key kept), for old and new readers", async () => {
      const [a, b, c] = keys.map((k) => AgeRecipient.parse(k.recipient));
      if (!a || !b || !c) throw new Error("three keys expected");
      const armored = await encryptArmored(plaintext, [a, b]);
      const added = await addRecipientsArmored(armored, keys[0]?.identities ?? [], [a.text, b.text], [a, b, c]);
      if (!added) throw new Error("expected the add-only path");
      for (const k of keys) expect(new Uint8Array(age(["-d", "-i", k.path], added.armored))).toEqual(plaintext);
    });

    it("`age -d` refuses it with a key that is not a recipient", async () => {
      const armored = await encryptArmored(plaintext, [AgeRecipient.parse(keys[0]?.recipient ?? "")]);
      expect(() => age(["-d", "-i", keys[1]?.path ?? ""], armored)).toThrow();
    });
  });

  describe("age encrypts, lockstep decrypts", () => {
    it("decryptArmored opens `age -a -r ... -r ...` output with an identity from parseIdentityFile", async () => {
      const recipients = keys.map((k) => k.recipient);
      const armored = age(["-a", ...recipients.flatMap((r) => ["-r", r])], plaintext).toString();
      expect(armored.startsWith("-----BEGIN AGE ENCRYPTED FILE-----")).toBe(true);
      for (const k of keys) {
        expect(await decryptArmored(armored, k.identities, recipients, place)).toEqual(plaintext);
        expect(await decryptArmored(armored, k.identities, [], place)).toEqual(plaintext);
      }
    });

    it("the native identity opens binary `age -r` output through age-encryption's Decrypter", async () => {
      const recipients = keys.map((k) => k.recipient);
      const binary = age(
        recipients.flatMap((r) => ["-r", r]),
        plaintext,
      );
      expect(binary.subarray(0, 22).toString()).toBe("age-encryption.org/v1\n");
      for (const k of keys) {
        const d = new Decrypter();
        d.addIdentity(new NativeX25519Identity(k.secret));
        expect(await d.decrypt(new Uint8Array(binary))).toEqual(plaintext);
      }
    });

    it("decryptArmored opens `age -R recipients-file` output and a large multi-chunk payload", async () => {
      const big = new Uint8Array(200_000).map((_, i) => (i * 7) % 251);
      const recipientsFile = join(dir, "recipients.txt");
      writeFileSync(recipientsFile, `${keys.map((k) => k.recipient).join("\n")}\n`);
      const armored = age(["-a", "-R", recipientsFile], big).toString();
      expect(await decryptArmored(armored, keys[2]?.identities ?? [], [], place)).toEqual(big);
    });
  });

  describe("keys", () => {
    it("identity files written by age-keygen parse with parseIdentityFile", async () => {
      const path = join(dir, "age-keygen.key");
      execFileSync("age-keygen", ["-o", path], { stdio: "pipe" });
      const text = readFileSync(path, "utf8");
      const identities = await parseIdentityFile(text, path);
      expect(identities).toHaveLength(1);
      expect(identities[0]?.kind).toBe("x25519");
      const recipient = execFileSync("age-keygen", ["-y", path]).toString().trim();
      expect(identities[0]?.recipient).toBe(recipient);
      expect(text).toContain(`# public key: ${recipient}`);
      // And the pair works end to end: age encrypts to it, lockstep decrypts.
      const armored = age(["-a", "-r", recipient], plaintext).toString();
      expect(await decryptArmored(armored, identities, [recipient], place)).toEqual(plaintext);
    });

    it("a file of several age-keygen keys yields every identity", async () => {
      const texts = [0, 1].map(() => execFileSync("age-keygen", { stdio: ["ignore", "pipe", "pipe"] }).toString());
      const identities = await parseIdentityFile(texts.join("\n"), "two.key");
      expect(identities).toHaveLength(2);
      expect(identities[0]?.recipient).not.toBe(identities[1]?.recipient);
    });

    it("keys from lockstep's generateKey(false) are accepted by age and age-keygen", async () => {
      const k = keys[0] as KeyFile;
      expect(execFileSync("age-keygen", ["-y", k.path]).toString().trim()).toBe(k.recipient);
      expect(k.text).toContain(`# public key: ${k.recipient}`);
      const binary = age(["-r", k.recipient], plaintext);
      expect(new Uint8Array(age(["-d", "-i", k.path], binary))).toEqual(plaintext);
    });
  });

  describe("stanza-order hints on files written by age", () => {
    let recipients: string[];
    let armored: string;

    beforeAll(() => {
      recipients = keys.map((k) => k.recipient);
      armored = age(["-a", ...recipients.flatMap((r) => ["-r", r])], plaintext).toString();
    });

    it("age writes stanzas in -r order, so the right order lets the last recipient try one stanza", async () => {
      const spy = vi.spyOn(NativeX25519Identity.prototype, "unwrapStanza");
      expect(await decryptArmored(armored, keys[2]?.identities ?? [], recipients, place)).toEqual(plaintext);
      expect(spy).toHaveBeenCalledTimes(1);
    });

    it("a shuffled (wrong) order still decrypts, by falling back to every stanza", async () => {
      const shuffled = [recipients[1], recipients[2], recipients[0]] as string[];
      for (const k of keys) {
        expect(await decryptArmored(armored, k.identities, shuffled, place)).toEqual(plaintext);
      }
    });
  });
});
