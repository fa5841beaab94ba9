/**
 * Native X25519 recipients and identities for age, on Node's built-in crypto.
 *
 * age-encryption's own X25519 goes through WebCrypto's async API (importing the
 * key anew for every operation) or pure JS; Node's synchronous KeyObject API is
 * many times faster, and X25519 is most of lockstep's work. The stanza format
 * is age's `X25519` recipient type, byte for byte:
 *
 *   -> X25519 base64(ephemeral share)
 *   ChaCha20-Poly1305(HKDF-SHA-256(shared, share || recipient, label), fileKey)
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { base64nopad, bech32 } from "@scure/base";
import type { Identity, Recipient, Stanza } from "age-encryption";
import { hkdf32 } from "./hkdf.js";
import { randomKeyBytes } from "./random.js";

const LABEL = "age-encryption.org/v1/X25519";
const ZERO_NONCE = new Uint8Array(12);

// JWK, not DER: Node imports and exports X25519 keys as JWK over ten times faster.
/** An X25519 public key object from its 32 raw bytes. */
export function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: "OKP", crv: "X25519", x: Buffer.from(raw).toString("base64url") },
    format: "jwk",
  });
}

/**
 * A private key object from 32 random (or stored) bytes. Not
 * generateKeyPairSync: on Node 20, exporting a key it made can deadlock when
 * garbage collection runs inside the export (the key-generation job's
 * destructor waits on the lock the export holds). JWK import is also far
 * faster than PKCS#8; X25519 takes the public `x` from `d`, so `x` is left empty.
 */
export function privateKeyObject(raw: Uint8Array): KeyObject {
  return createPrivateKey({
    key: { kty: "OKP", crv: "X25519", d: Buffer.from(raw).toString("base64url"), x: "" },
    format: "jwk",
  });
}

/** The raw public key of a key object, public or private (a private key's JWK carries its public `x`). */
export function rawPublic(key: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(key.export({ format: "jwk" }).x as string, "base64url"));
}

function wrapKey(shared: Uint8Array, share: Uint8Array, recipient: Uint8Array): Buffer {
  if (shared.every((b) => b === 0)) throw new Error("X25519 shared secret is all zeroes");
  const salt = Buffer.concat([share, recipient]);
  return hkdf32(shared, salt, LABEL);
}

let probe: KeyObject | undefined;

/**
 * Refuses a public key of low order (the all-zero key, and the other points
 * of order dividing 8, on the curve or its twist). Every stanza wrapped to
 * such a key has an all-zero shared secret, which age refuses (and OpenSSL
 * fails to derive, with an "internal error"), so a member with such a key
 * makes every write to their secrets fail. Every X25519 scalar is clamped
 * to a multiple of 8, so one Diffie-Hellman with any fixed scalar is zero
 * exactly for these points (RFC 7748 section 6.1: check the all-zero output).
 * @throws Error for a low-order key.
 */
export function checkNotLowOrder(key: KeyObject): void {
  probe ??= privateKeyObject(new Uint8Array(32).fill(0x42));
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: probe, publicKey: key });
  } catch {
    throw new Error("a low-order X25519 public key");
  }
  if (shared.every((b) => b === 0)) throw new Error("a low-order X25519 public key");
}

/** Decodes a Bech32 key string, checking its human-readable part and length. */
export function decodeBech32Key(s: string, hrp: string): Uint8Array {
  const { prefix, bytes } = bech32.decodeToBytes(s);
  if (prefix.toLowerCase() !== hrp.toLowerCase() || bytes.length !== 32) {
    throw new Error(`not a ${hrp} key`);
  }
  return bytes;
}

/** An `age1...` X25519 recipient, encrypting with Node's crypto. */
export class NativeX25519Recipient implements Recipient {
  /** The recipient as its `age1...` string. */
  readonly text: string;
  private readonly raw: Uint8Array;
  private readonly key: KeyObject;

  /** @throws Error if `s` is not a valid `age1...` X25519 recipient, or is a point of low order. */
  constructor(s: string) {
    if (!s.startsWith("age1")) throw new Error("not an age1 recipient");
    this.raw = decodeBech32Key(s, "age");
    this.key = publicKeyObject(this.raw);
    checkNotLowOrder(this.key);
    this.text = s;
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const ephemeral = privateKeyObject(randomKeyBytes(32));
    const share = rawPublic(ephemeral); // not createPublicKey first: a key object less, 20 µs a stanza
    const shared = diffieHellman({ privateKey: ephemeral, publicKey: this.key });
    const cipher = createCipheriv("chacha20-poly1305", wrapKey(shared, share, this.raw), ZERO_NONCE, {
      authTagLength: 16,
    });
    const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
    // A Stanza is its args and body; building it without the class keeps age-encryption off the fast path.
    return [{ args: ["X25519", base64nopad.encode(share)], body: new Uint8Array(body) }];
  }
}

/** An `AGE-SECRET-KEY-1...` X25519 identity, decrypting with Node's crypto. */
export class NativeX25519Identity implements Identity {
  /** The matching recipient, as its `age1...` string. */
  readonly recipient: string;
  private readonly key: KeyObject;
  private readonly publicRaw: Uint8Array;

  /** @throws Error if `s` is not a valid `AGE-SECRET-KEY-1...` identity. */
  constructor(s: string) {
    if (!s.startsWith("AGE-SECRET-KEY-1")) throw new Error("not an AGE-SECRET-KEY-1 identity");
    const raw = decodeBech32Key(s, "AGE-SECRET-KEY-");
    this.key = privateKeyObject(raw);
    this.publicRaw = rawPublic(this.key);
    this.recipient = bech32.encodeFromBytes("age", this.publicRaw);
  }

  /** The identity string (`AGE-SECRET-KEY-1...`), for this process's worker threads. */
  encode(): string {
    const d = Buffer.from(this.key.export({ format: "jwk" }).d as string, "base64url");
    return bech32.encodeFromBytes("AGE-SECRET-KEY-", new Uint8Array(d)).toUpperCase();
  }

  /** Tries one stanza: the file key, `null` if it is not ours, or throws if it is malformed. */
  unwrapStanza(stanza: Stanza): Uint8Array | null {
    const share = x25519Share(stanza);
    if (share === null) return null;
    let shared: Buffer;
    try {
      shared = diffieHellman({ privateKey: this.key, publicKey: publicKeyObject(share) });
    } catch (e) {
      // OpenSSL refuses low-order points (an all-zero shared secret).
      throw new Error("invalid X25519 stanza", { cause: e });
    }
    const decipher = createDecipheriv("chacha20-poly1305", wrapKey(shared, share, this.publicRaw), ZERO_NONCE, {
      authTagLength: 16,
    });
    decipher.setAuthTag(stanza.body.subarray(16));
    try {
      return new Uint8Array(Buffer.concat([decipher.update(stanza.body.subarray(0, 16)), decipher.final()]));
    } catch {
      return null; // not our stanza: the tag does not verify under our key
    }
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      const fileKey = this.unwrapStanza(s);
      if (fileKey !== null) return fileKey;
    }
    return null;
  }
}

/**
 * The ephemeral share of an X25519 stanza, `null` for another stanza type.
 * @throws Error if the stanza is an X25519 stanza of the wrong shape, as age does.
 */
export function x25519Share(stanza: Stanza): Uint8Array | null {
  if (stanza.args[0] !== "X25519") return null;
  if (stanza.args.length !== 2) throw new Error("invalid X25519 stanza");
  const share = base64nopad.decode(stanza.args[1] ?? "");
  if (share.length !== 32 || stanza.body.length !== 32) throw new Error("invalid X25519 stanza");
  return share;
}

// A canonical unpadded base64 encoding of 32 bytes: 43 characters, the last with its two low bits zero.
const SHARE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$/;

/**
 * Checks an X25519 stanza's shape without decoding it, as cheaply as a
 * regular expression: what {@link x25519Share} would refuse, this refuses.
 * @throws Error for an X25519 stanza of the wrong shape.
 */
export function checkX25519Shape(stanza: Stanza): void {
  if (stanza.args[0] !== "X25519") return;
  if (stanza.args.length !== 2 || !SHARE.test(stanza.args[1] ?? "") || stanza.body.length !== 32) {
    throw new Error("invalid X25519 stanza");
  }
}

/** Makes a new X25519 identity string (`AGE-SECRET-KEY-1...`). */
export function generateNativeX25519Identity(): string {
  // Any 32 random bytes are an X25519 private key (the scalar is clamped when used).
  return bech32.encodeFromBytes("AGE-SECRET-KEY-", new Uint8Array(randomBytes(32))).toUpperCase();
}
