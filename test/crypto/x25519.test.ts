/**
 * The native X25519 recipient and identity must be drop-in, byte-compatible
 * replacements for age-encryption's own X25519 path.
 */
import { base64nopad, bech32 } from "@scure/base";
import {
  Decrypter,
  Encrypter,
  generateX25519Identity,
  type Identity,
  identityToRecipient,
  Stanza,
} from "age-encryption";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AgeRecipient } from "../../src/crypto/keys.js";
import { generateNativeX25519Identity, NativeX25519Identity, NativeX25519Recipient } from "../../src/crypto/x25519.js";

const BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

async function keyPair(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** An identity that records the stanzas of the file it is shown, and matches nothing. */
function stanzaRecorder(): Identity & { stanzas: Stanza[] } {
  const r = {
    stanzas: [] as Stanza[],
    unwrapFileKey(stanzas: Stanza[]) {
      r.stanzas = stanzas;
      return null;
    },
  };
  return r;
}

/** The stanzas of a file that age-encryption's own X25519 recipient writes. */
async function referenceStanzas(recipient: string, identity: string): Promise<Stanza[]> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  const file = await e.encrypt("x");
  const rec = stanzaRecorder();
  const d = new Decrypter();
  d.addIdentity(rec);
  d.addIdentity(identity);
  await d.decrypt(file);
  return rec.stanzas;
}

const text = new TextEncoder();

describe("NativeX25519Recipient / NativeX25519Identity round trip", () => {
  it("decrypts what it encrypted, through age-encryption's Encrypter and Decrypter", async () => {
    const { identity, recipient } = await keyPair();
    const e = new Encrypter();
    e.addRecipient(new NativeX25519Recipient(recipient));
    const file = await e.encrypt("hunter2\n");
    const d = new Decrypter();
    d.addIdentity(new NativeX25519Identity(identity));
    expect(await d.decrypt(file, "text")).toBe("hunter2\n");
  });

  it("round-trips any plaintext to any of several recipients", async () => {
    const keys = await Promise.all([keyPair(), keyPair(), keyPair()]);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.integer({ min: 0, max: 2 }), async (plaintext, who) => {
        const e = new Encrypter();
        for (const k of keys) e.addRecipient(new NativeX25519Recipient(k.recipient));
        const d = new Decrypter();
        d.addIdentity(new NativeX25519Identity(keys[who]?.identity ?? ""));
        expect(await d.decrypt(await e.encrypt(plaintext))).toEqual(plaintext);
      }),
      { numRuns: 25 },
    );
  });

  it("derives the same recipient as age-encryption from an identity", async () => {
    for (let i = 0; i < 5; i++) {
      const { identity, recipient } = await keyPair();
      expect(new NativeX25519Identity(identity).recipient).toBe(recipient);
    }
  });

  it("generates identities that age-encryption accepts and that match their recipient", async () => {
    const identity = generateNativeX25519Identity();
    expect(identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    expect(generateNativeX25519Identity()).not.toBe(identity);
    const recipient = await identityToRecipient(identity);
    expect(new NativeX25519Identity(identity).recipient).toBe(recipient);
    const e = new Encrypter();
    e.addRecipient(recipient);
    const d = new Decrypter();
    d.addIdentity(identity);
    expect(await d.decrypt(await e.encrypt("ok"), "text")).toBe("ok");
  });

  it("exposes the recipient string it was made from", async () => {
    const { recipient } = await keyPair();
    expect(new NativeX25519Recipient(recipient).text).toBe(recipient);
  });
});

describe("byte compatibility with age-encryption's default X25519 path", () => {
  it("native encryption opens with age-encryption's string identity", async () => {
    const { identity, recipient } = await keyPair();
    const plaintext = text.encode("native -> reference");
    const e = new Encrypter();
    e.addRecipient(new NativeX25519Recipient(recipient));
    const d = new Decrypter();
    d.addIdentity(identity);
    expect(await d.decrypt(await e.encrypt(plaintext))).toEqual(plaintext);
  });

  it("age-encryption's string-recipient encryption opens with the native identity", async () => {
    const { identity, recipient } = await keyPair();
    const plaintext = text.encode("reference -> native");
    const e = new Encrypter();
    e.addRecipient(recipient);
    const d = new Decrypter();
    d.addIdentity(new NativeX25519Identity(identity));
    expect(await d.decrypt(await e.encrypt(plaintext))).toEqual(plaintext);
  });

  it("mixes native and reference recipients in one file, each opened by the other kind", async () => {
    const a = await keyPair();
    const b = await keyPair();
    const e = new Encrypter();
    e.addRecipient(new NativeX25519Recipient(a.recipient));
    e.addRecipient(b.recipient);
    const file = await e.encrypt("mixed");
    const da = new Decrypter();
    da.addIdentity(a.identity);
    expect(await da.decrypt(file, "text")).toBe("mixed");
    const db = new Decrypter();
    db.addIdentity(new NativeX25519Identity(b.identity));
    expect(await db.decrypt(file, "text")).toBe("mixed");
  });

  it("writes stanzas of the same shape as age-encryption, with a fresh ephemeral share each time", async () => {
    const { identity, recipient } = await keyPair();
    const [reference] = await referenceStanzas(recipient, identity);
    const fileKey = crypto.getRandomValues(new Uint8Array(16));
    const native = new NativeX25519Recipient(recipient);
    const first = native.wrapFileKey(fileKey);
    const second = native.wrapFileKey(fileKey);
    expect(first).toHaveLength(1);
    const [s] = first;
    expect(s?.args).toHaveLength(2);
    expect(s?.args[0]).toBe("X25519");
    expect(s?.args[0]).toBe(reference?.args[0]);
    expect(s?.args[1]).toHaveLength(reference?.args[1]?.length ?? -1);
    expect(base64nopad.decode(s?.args[1] ?? "")).toHaveLength(32);
    expect(s?.body).toHaveLength(reference?.body.length ?? -1);
    expect(second[0]?.args[1]).not.toBe(s?.args[1]);
    // Both wraps carry the same file key.
    const id = new NativeX25519Identity(identity);
    expect(id.unwrapFileKey(first)).toEqual(fileKey);
    expect(id.unwrapFileKey(second)).toEqual(fileKey);
  });

  it("unwraps a stanza that age-encryption's own recipient wrote", async () => {
    const { identity, recipient } = await keyPair();
    const stanzas = await referenceStanzas(recipient, identity);
    const fileKey = new NativeX25519Identity(identity).unwrapStanza(stanzas[0] as Stanza);
    expect(fileKey).toBeInstanceOf(Uint8Array);
    expect(fileKey).toHaveLength(16);
  });
});

describe("NativeX25519Recipient rejects bad recipient strings", () => {
  it.each([
    ["empty", ""],
    ["not bech32", "age1notavalidrecipient"],
    ["an identity", "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"],
    ["whitespace around", " age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq "],
  ])("%s", (_what, s) => {
    expect(() => new NativeX25519Recipient(s)).toThrow();
  });

  it("a recipient with a wrong checksum", async () => {
    const { recipient } = await keyPair();
    const last = recipient.at(-1) === "q" ? "p" : "q";
    expect(() => new NativeX25519Recipient(recipient.slice(0, -1) + last)).toThrow();
  });

  it("a well-formed bech32 string with the wrong prefix or length", () => {
    const key = new Uint8Array(32).fill(9);
    expect(() => new NativeX25519Recipient(bech32.encodeFromBytes("age1x", key))).toThrow();
    expect(() => new NativeX25519Recipient(bech32.encodeFromBytes("age", key.subarray(0, 31)))).toThrow();
    expect(() => new NativeX25519Recipient(bech32.encodeFromBytes("age", new Uint8Array(33)))).toThrow();
    expect(() => new NativeX25519Recipient(bech32.encodeFromBytes("agf", key))).toThrow();
  });

  it("any single-character change to a valid recipient", async () => {
    const { recipient } = await keyPair();
    await fc.assert(
      fc.property(fc.integer({ min: 4, max: recipient.length - 1 }), fc.constantFrom(...BECH32_CHARSET), (i, c) => {
        fc.pre(recipient[i] !== c);
        const changed = recipient.slice(0, i) + c + recipient.slice(i + 1);
        expect(() => new NativeX25519Recipient(changed)).toThrow();
      }),
      { numRuns: 200 },
    );
  });
});

describe("NativeX25519Identity rejects bad identity strings", () => {
  it.each([
    ["empty", ""],
    ["a recipient", "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"],
    ["truncated", "AGE-SECRET-KEY-1QQQQQQ"],
    ["a post-quantum identity prefix", "AGE-SECRET-KEY-PQ-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"],
  ])("%s", (_what, s) => {
    expect(() => new NativeX25519Identity(s)).toThrow();
  });

  it("an identity with a wrong checksum, or one character changed", async () => {
    const { identity } = await keyPair();
    await fc.assert(
      fc.property(
        fc.integer({ min: "AGE-SECRET-KEY-1".length, max: identity.length - 1 }),
        fc.constantFrom(...BECH32_CHARSET.toUpperCase()),
        (i, c) => {
          fc.pre(identity[i] !== c);
          const changed = identity.slice(0, i) + c + identity.slice(i + 1);
          expect(() => new NativeX25519Identity(changed)).toThrow();
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a well-formed bech32 identity of the wrong length", () => {
    const short = bech32.encodeFromBytes("AGE-SECRET-KEY-", new Uint8Array(31).fill(7)).toUpperCase();
    expect(() => new NativeX25519Identity(short)).toThrow();
  });
});

describe("NativeX25519Identity.unwrapStanza", () => {
  it("returns null for a stanza wrapped to another key", async () => {
    const mine = await keyPair();
    const theirs = await keyPair();
    const [stanza] = new NativeX25519Recipient(theirs.recipient).wrapFileKey(new Uint8Array(16));
    const id = new NativeX25519Identity(mine.identity);
    expect(id.unwrapStanza(stanza as Stanza)).toBeNull();
    expect(id.unwrapFileKey([stanza as Stanza])).toBeNull();
  });

  it("returns null for stanzas of other recipient types", async () => {
    const id = new NativeX25519Identity((await keyPair()).identity);
    expect(id.unwrapStanza(new Stanza(["scrypt", "c2FsdHNhbHRzYWx0c2FsdA", "10"], new Uint8Array(32)))).toBeNull();
    expect(
      id.unwrapStanza(new Stanza(["x25519", base64nopad.encode(new Uint8Array(32).fill(9))], new Uint8Array(32))),
    ).toBeNull();
    expect(id.unwrapStanza(new Stanza(["mlkem768x25519", "AAAA"], new Uint8Array(32)))).toBeNull();
  });

  it("finds its own stanza among others", async () => {
    const keys = await Promise.all([keyPair(), keyPair(), keyPair()]);
    const fileKey = crypto.getRandomValues(new Uint8Array(16));
    const stanzas = keys.flatMap((k) => new NativeX25519Recipient(k.recipient).wrapFileKey(fileKey));
    for (const k of keys) expect(new NativeX25519Identity(k.identity).unwrapFileKey(stanzas)).toEqual(fileKey);
  });

  describe("throws on a malformed X25519 stanza", () => {
    const id = new NativeX25519Identity(generateNativeX25519Identity());
    const [good] = new NativeX25519Recipient(id.recipient).wrapFileKey(new Uint8Array(16).fill(1));
    const share = good?.args[1] ?? "";
    const body = good?.body ?? new Uint8Array();
    const shareBytes = base64nopad.decode(share);

    it("the well-formed stanza opens (control)", () => {
      expect(id.unwrapStanza(new Stanza(["X25519", share], body))).toEqual(new Uint8Array(16).fill(1));
    });

    it.each([
      ["no share argument", ["X25519"], body],
      ["an extra argument", ["X25519", share, "extra"], body],
      ["a 31-byte share", ["X25519", base64nopad.encode(shareBytes.subarray(0, 31))], body],
      ["a 33-byte share", ["X25519", base64nopad.encode(Uint8Array.of(...shareBytes, 0))], body],
      ["a padded share", ["X25519", `${share}=`], body],
      ["a share that is not base64", ["X25519", "!".repeat(43)], body],
      ["a 31-byte body", ["X25519", share], body.subarray(0, 31)],
      ["a 33-byte body", ["X25519", share], Uint8Array.of(...body, 0)],
      ["an empty body", ["X25519", share], new Uint8Array()],
      ["an all-zero (low-order) share", ["X25519", base64nopad.encode(new Uint8Array(32))], body],
      ["the identity point as share", ["X25519", base64nopad.encode(Uint8Array.of(1, ...new Uint8Array(31)))], body],
    ])("%s", (_what, args, b) => {
      const stanza = new Stanza(args as string[], b as Uint8Array);
      expect(() => id.unwrapStanza(stanza)).toThrow();
      expect(() => id.unwrapFileKey([stanza])).toThrow();
    });
  });
});

describe("low-order public keys", () => {
  // The points of order dividing 8 on Curve25519 and its twist, as libsodium's blocklist lists them
  // (crypto_scalarmult/curve25519/ref10/x25519_ref10.c), and the non-canonical encodings of 0 and 1.
  const LOW_ORDER = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  ];
  it.each(LOW_ORDER)("%s is refused as a recipient", (hex) => {
    const s = bech32.encodeFromBytes("age", Uint8Array.from(Buffer.from(hex, "hex")));
    expect(() => new NativeX25519Recipient(s)).toThrow(/low-order/);
    expect(AgeRecipient.isValid(s)).toBe(false);
  });
  it("an ordinary key is not", () => {
    const s = bech32.encodeFromBytes("age", Uint8Array.from(Buffer.from(`09${"00".repeat(31)}`, "hex")));
    expect(() => new NativeX25519Recipient(s)).not.toThrow();
  });
});
