/**
 * SSH keys as recipients and identities, held to the `age` CLI both ways
 * (age's ssh-ed25519 and ssh-rsa stanzas), with keys that ssh-keygen makes
 * here: what lockstep writes `age -d -i KEY` opens, what `age -R KEY.pub`
 * writes lockstep opens; encrypted keys ask for their passphrase.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AgeIdentity,
  AgeRecipient,
  countStanzas,
  decryptArmored,
  encryptArmored,
  generateKey,
  NO_PROMPTS,
  parseIdentityFile,
  recipientText,
} from "../../src/crypto/index.js";
import { ed25519ToX25519 } from "../../src/crypto/ssh.js";
import { LockstepError } from "../../src/errors.js";
import { answering, have, rejection } from "../support/keys.js";

const HAVE = have("age", ["--version"]) && have("ssh-keygen", ["-?"]);
if (!HAVE) console.warn("ssh.test.ts SKIPPED: `age` and `ssh-keygen` must be on PATH (Debian: age, openssh-client)");

const place = { file: "secrets/test/ssh.yaml", what: "test/ssh version 1" };
const plaintext = new TextEncoder().encode("through an SSH key\n");

describe.skipIf(!HAVE)("SSH keys (age and ssh-keygen on PATH)", () => {
  let dir: string;
  let n = 0;

  /** A key ssh-keygen makes: private key path, public line (with its comment), and the line without it. */
  function sshKey(type: "ed25519" | "rsa", passphrase = "", bits?: number) {
    const path = join(dir, `id_${type}_${n++}`);
    const args = ["-q", "-t", type, "-N", passphrase, "-C", `carol@laptop ${type}`, "-f", path];
    execFileSync("ssh-keygen", bits ? [...args, "-b", String(bits)] : args);
    const line = readFileSync(`${path}.pub`, "utf8").trim();
    return { path, line, bare: line.split(" ").slice(0, 2).join(" ") };
  }
  const age = (args: string[], input: Uint8Array | string = "") =>
    execFileSync("age", args, { input, stdio: ["pipe", "pipe", "pipe"] });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "lockstep-ssh-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const type of ["ed25519", "rsa"] as const) {
    describe(`ssh-${type}`, () => {
      it("reads the .pub line as it is, comment included, and records it without the comment", () => {
        const k = sshKey(type);
        const r = AgeRecipient.parse(k.line);
        expect(r.kind).toBe(`ssh-${type}`);
        expect(r.text).toBe(k.bare);
        expect(r.fast).toBeUndefined();
        expect(recipientText(k.line)).toBe(k.bare);
        expect(recipientText(`${k.bare}   another comment`)).toBe(k.bare);
      });

      it("encrypts so that `age -d -i KEY` opens it, beside an X25519 reader", async () => {
        const k = sshKey(type);
        const x = await generateKey(false);
        const armored = await encryptArmored(plaintext, [AgeRecipient.parse(x.recipient), AgeRecipient.parse(k.line)]);
        expect(countStanzas(armored, place)).toBe(2);
        expect(new Uint8Array(age(["-d", "-i", k.path], armored))).toEqual(plaintext);
      });

      it("opens what `age -R KEY.pub` writes, with the private key file as identity, hinted or not", async () => {
        const k = sshKey(type);
        const armored = age(["-a", "-R", `${k.path}.pub`], plaintext).toString();
        const ids = await parseIdentityFile(readFileSync(k.path), k.path);
        expect(ids.map((i) => [i.kind, i.recipient])).toEqual([[`ssh-${type}`, k.bare]]);
        expect(await decryptArmored(armored, ids, [k.bare], place)).toEqual(plaintext);
        expect(await decryptArmored(armored, ids, [], place)).toEqual(plaintext);
      });

      it("asks for the passphrase of an encrypted key only when a file has a stanza for it", async () => {
        const k = sshKey(type, "correct horse");
        const x = await generateKey(false);
        const prompts = answering("correct horse");
        const ids = [
          ...(await parseIdentityFile(x.fileText, "x.key")),
          ...(await parseIdentityFile(readFileSync(k.path), k.path, { prompts })),
        ];
        // The public key is readable without the passphrase: the recipient is known, nothing asked yet.
        expect(ids[1]?.recipient).toBe(k.bare);
        const forX = await encryptArmored(plaintext, [AgeRecipient.parse(x.recipient)]);
        expect(await decryptArmored(forX, ids, [x.recipient], place)).toEqual(plaintext);
        expect(prompts.asked).toEqual([]);
        const forSsh = age(["-a", "-R", `${k.path}.pub`], plaintext).toString();
        const opened = await Promise.all([1, 2, 3].map(() => decryptArmored(forSsh, ids, [k.bare], place)));
        for (const o of opened) expect(o).toEqual(plaintext);
        expect(prompts.asked.length).toBe(1); // once, however many files wanted it at once
      });

      it("without a terminal, an encrypted key is PASSPHRASE_REQUIRED, and a wrong passphrase NO_IDENTITY after three tries", async () => {
        const k = sshKey(type, "correct horse");
        const forSsh = age(["-a", "-R", `${k.path}.pub`], plaintext).toString();
        const none = await parseIdentityFile(readFileSync(k.path), k.path, { prompts: NO_PROMPTS });
        const e = await rejection(decryptArmored(forSsh, none, [k.bare], place));
        expect(e.code).toBe("PASSPHRASE_REQUIRED");
        expect(e.message).toContain(k.path);
        const wrong = answering("battery staple");
        const ids = await parseIdentityFile(readFileSync(k.path), k.path, { prompts: wrong });
        expect((await rejection(decryptArmored(forSsh, ids, [k.bare], place))).code).toBe("NO_IDENTITY");
        expect(wrong.asked.length).toBe(3);
      });

      it("refuses its own stanza that does not open as tampering", async () => {
        const k = sshKey(type);
        const other = sshKey(type);
        const ids = await parseIdentityFile(readFileSync(k.path), k.path);
        // A stanza made for another key, relabelled with this key's tag: it names this key, and does not open.
        const mine = AgeRecipient.parse(k.line);
        const theirs = AgeRecipient.parse(other.line);
        const good = await encryptArmored(plaintext, [mine]);
        const bad = await encryptArmored(plaintext, [theirs]);
        const tagOf = (armored: string) =>
          /-> ssh-\S+ (\S+)/.exec(
            Buffer.from(armored.split("\n").slice(1, -2).join(""), "base64").toString("latin1"),
          )?.[1];
        const relabelled = Buffer.from(bad.split("\n").slice(1, -2).join(""), "base64")
          .toString("latin1")
          .replace(tagOf(bad) ?? "", tagOf(good) ?? "");
        const armored = `-----BEGIN AGE ENCRYPTED FILE-----\n${Buffer.from(relabelled, "latin1").toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END AGE ENCRYPTED FILE-----\n`;
        expect((await rejection(decryptArmored(armored, ids, [k.bare], place))).code).toBe("INTEGRITY");
      });
    });
  }

  it("refuses RSA keys under 2048 bits and SSH key types age does not use, as recipients and identities", async () => {
    const small = sshKey("rsa", "", 1024);
    expect(() => AgeRecipient.parse(small.line)).toThrow(/not a valid age recipient/);
    const path = join(dir, "id_ecdsa");
    execFileSync("ssh-keygen", ["-q", "-t", "ecdsa", "-N", "", "-f", path]);
    expect(() => AgeRecipient.parse(readFileSync(`${path}.pub`, "utf8"))).toThrow(LockstepError);
    const e = await rejection(parseIdentityFile(readFileSync(path), path));
    expect(e.code).toBe("INVALID_KEY");
    expect(e.message).toContain("ecdsa-sha2-nistp256");
    expect(e.fix).toContain("ssh-ed25519");
    // A line cut short in the copying, and one whose base64 holds another type than its line says.
    const k = sshKey("ed25519");
    const [t, b64] = k.bare.split(" ");
    expect(AgeRecipient.isValid(`${t} ${(b64 ?? "").slice(0, 40)}`)).toBe(false);
    expect(AgeRecipient.isValid(`ssh-rsa ${b64}`)).toBe(false);
    expect(AgeRecipient.isValid(k.line)).toBe(true);
  });

  it("opens a file for several SSH and age readers with any one of their keys, through the age CLI too", async () => {
    const keys = [sshKey("ed25519"), sshKey("rsa"), sshKey("ed25519")];
    const x = await generateKey(false);
    const recipients = [...keys.map((k) => AgeRecipient.parse(k.line)), AgeRecipient.parse(x.recipient)];
    const armored = await encryptArmored(plaintext, recipients);
    const order = recipients.map((r) => r.text);
    for (const k of keys) {
      expect(new Uint8Array(age(["-d", "-i", k.path], armored))).toEqual(plaintext);
      const ids: AgeIdentity[] = await parseIdentityFile(readFileSync(k.path), k.path);
      expect(await decryptArmored(armored, ids, order, place)).toEqual(plaintext);
    }
  });
});

describe("Ed25519 to X25519", () => {
  it("agrees with @noble/curves on valid keys, and refuses what it refuses", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const pub = ed25519.getPublicKey(seed);
        expect(Buffer.from(ed25519ToX25519(pub)).toString("hex")).toBe(
          Buffer.from(ed25519.utils.toMontgomery(pub)).toString("hex"),
        );
      }),
      { numRuns: 50 },
    );
    // Random 32 bytes: about half are not points; both sides agree which.
    for (let i = 0; i < 200; i++) {
      const bytes = new Uint8Array(randomBytes(32));
      let noble: string | undefined;
      try {
        noble = Buffer.from(ed25519.utils.toMontgomery(bytes)).toString("hex");
      } catch {
        noble = undefined;
      }
      let ours: string | undefined;
      try {
        ours = Buffer.from(ed25519ToX25519(bytes)).toString("hex");
      } catch {
        ours = undefined;
      }
      expect(ours).toBe(noble);
    }
  });
});

describe("small-order ssh-ed25519 keys", () => {
  /** An ssh-ed25519 public key line for 32 raw bytes: string "ssh-ed25519", string key (RFC 4253 section 6.6). */
  const line = (hex: string): string => {
    const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    return `ssh-ed25519 ${Buffer.concat([str(Buffer.from("ssh-ed25519")), str(Buffer.from(hex, "hex"))]).toString("base64")}`;
  };
  // The Ed25519 points of order 2, 4 and 8 (libsodium's ed25519 blocklist, crypto_core/ed25519/ref10):
  // each becomes a low-order X25519 point, to which every stanza would have an all-zero shared secret.
  const SMALL_ORDER = [
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "0100000000000000000000000000000000000000000000000000000000000000",
  ];
  it.each(SMALL_ORDER)("%s is not a valid recipient", (hex) => {
    expect(AgeRecipient.isValid(line(hex))).toBe(false);
  });
  it("a key ssh-keygen could make is", () => {
    expect(
      AgeRecipient.isValid(line(Buffer.from(ed25519.getPublicKey(new Uint8Array(32).fill(7))).toString("hex"))),
    ).toBe(true);
  });
});
