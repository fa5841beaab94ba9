/**
 * The table of key kinds: each key string belongs to exactly one kind, the
 * kind decides the fast path, and a string of no kind is refused with every
 * kind's source named.
 */
import { createECDH, generateKeyPairSync, randomBytes } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bech32 } from "@scure/base";
import { describe, expect, it } from "vitest";
import { AgeIdentity, AgeRecipient, generateKey, parseIdentityFile } from "../../src/crypto/index.js";
import { KEY_KINDS } from "../../src/crypto/kinds.js";
import { LockstepError } from "../../src/errors.js";

/** An SSH public key line (`TYPE BASE64`) for a fresh key, in RFC 4253's wire format. */
function sshLine(type: "ssh-ed25519" | "ssh-rsa"): string {
  const str = (b: Uint8Array) => Buffer.concat([Buffer.from([0, 0, b.length >> 8, b.length & 255]), b]);
  const mpint = (b64url: string) => {
    const b = Buffer.from(b64url, "base64url");
    return str((b[0] as number) & 0x80 ? Buffer.concat([Buffer.of(0), b]) : b);
  };
  if (type === "ssh-ed25519") {
    const pub = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
    return `${type} ${Buffer.concat([str(Buffer.from(type)), str(pub)]).toString("base64")}`;
  }
  const jwk = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" });
  const wire = Buffer.concat([str(Buffer.from(type)), mpint(jwk.e ?? ""), mpint(jwk.n ?? "")]);
  return `${type} ${wire.toString("base64")}`;
}

/** A hardware tag recipient (`age1tag1...`): a compressed P-256 point. */
function tagRecipient(): string {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return bech32.encodeFromBytes("age1tag", ecdh.getPublicKey(undefined, "compressed"));
}

describe("key kinds", () => {
  it("matches each recipient and identity to exactly one kind", async () => {
    const x = await generateKey(false);
    const pq = await generateKey(true);
    const last = (text: string) => text.trim().split("\n").at(-1) ?? "";
    const recipients: [string, string][] = [
      ["x25519", x.recipient],
      ["pq", pq.recipient],
      ["tag", tagRecipient()],
      ["ssh-ed25519", `${sshLine("ssh-ed25519")} carol@laptop`],
      ["ssh-rsa", sshLine("ssh-rsa")],
      ["plugin", bech32.encodeFromBytes("age1yubikey", new Uint8Array(randomBytes(33)))],
    ];
    for (const [kind, text] of recipients) {
      expect(KEY_KINDS.filter((k) => k.recipient.matches(text)).map((k) => k.kind)).toEqual([kind]);
      expect(AgeRecipient.parse(text).kind).toBe(kind);
    }
    const identities: [string, string][] = [
      ["x25519", last(x.fileText)],
      ["pq", last(pq.fileText)],
      ["plugin", bech32.encodeFromBytes("AGE-PLUGIN-YUBIKEY-", new Uint8Array(randomBytes(40))).toUpperCase()],
    ];
    for (const [kind, line] of identities) {
      expect(KEY_KINDS.filter((k) => k.identity?.line?.(line)).map((k) => k.kind)).toEqual([kind]);
      expect((await AgeIdentity.parse(line, "test")).kind).toBe(kind);
    }
  });

  it("gives X25519 keys the fast path, and post-quantum ones none", async () => {
    const x = await generateKey(false);
    const pq = await generateKey(true);
    expect(AgeRecipient.parse(x.recipient).fast).toBeDefined();
    expect(AgeRecipient.parse(pq.recipient).fast).toBeUndefined();
    const [xi] = await parseIdentityFile(x.fileText, "x.key");
    const [pqi] = await parseIdentityFile(pq.fileText, "pq.key");
    expect(xi?.fast).toBeDefined();
    expect(xi?.recipient).toBe(x.recipient);
    expect(pqi?.fast).toBeUndefined();
    expect(pqi?.recipient).toBe(pq.recipient);
    // A fast identity's string reads back as the same identity (what a worker thread gets).
    const encoded = xi?.fast?.encode() ?? "";
    expect((await AgeIdentity.parse(encoded, "worker")).recipient).toBe(x.recipient);
  });

  it("refuses a string of no kind, naming where every kind's keys come from", () => {
    let error: unknown;
    try {
      AgeRecipient.parse("not-a-key");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LockstepError);
    expect((error as LockstepError).code).toBe("INVALID_KEY");
    for (const k of KEY_KINDS) expect((error as LockstepError).fix).toContain(k.help);
    // A string of a known kind, but damaged: that kind's source alone.
    try {
      AgeRecipient.parse("age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq");
    } catch (e) {
      error = e;
    }
    expect((error as LockstepError).fix).toBe(
      `use the public key printed by ${KEY_KINDS.find((k) => k.kind === "x25519")?.help}`,
    );
  });
});
