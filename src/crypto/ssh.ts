/**
 * SSH keys as age recipients and identities, byte-compatible with age's
 * `ssh-ed25519` and `ssh-rsa` stanzas (filippo.io/age/agessh):
 *
 *   -> ssh-ed25519 TAG SHARE
 *   ChaCha20-Poly1305(HKDF-SHA-256(X25519(tweak, X25519(e, K)), SHARE || K, label), fileKey)
 *
 * where K is the Ed25519 key as an X25519 (Montgomery) point, `tweak` is
 * HKDF-SHA-256(empty key material, salt: the SSH public key's wire form, label), and
 *
 *   -> ssh-rsa TAG
 *   RSA-OAEP-SHA-256(fileKey, label "age-encryption.org/v1/ssh-rsa")
 *
 * TAG is the first four bytes of the SHA-256 of the SSH public key's wire
 * form, unpadded base64. Public key lines (`ssh-ed25519 AAAA... comment`, as
 * in `id_ed25519.pub` or GitHub's `.keys` pages) are read here, in RFC 4253's
 * wire format; private key files in ssh-private.ts.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  constants as cryptoConstants,
  diffieHellman,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
} from "node:crypto";
import { base64nopad } from "@scure/base";
import type { Identity, Recipient, Stanza } from "age-encryption";
import { hkdf32 } from "./hkdf.js";
import { randomKeyBytes } from "./random.js";
import { checkNotLowOrder, privateKeyObject, publicKeyObject, rawPublic } from "./x25519.js";

const ED25519_LABEL = "age-encryption.org/v1/ssh-ed25519";
const RSA_LABEL = Buffer.from("age-encryption.org/v1/ssh-rsa");
const ZERO_NONCE = new Uint8Array(12);

/** The two SSH key types age encrypts to. */
export type SshKeyType = "ssh-ed25519" | "ssh-rsa";

/** An SSH public key line, parsed. */
export interface SshPublicKey {
  type: SshKeyType;
  /** The key in RFC 4253's wire format (what the base64 field encodes). */
  wire: Uint8Array;
  /** `TYPE BASE64`: the line without its comment, as manifests record it. */
  text: string;
}

/** Reads RFC 4253 strings (a 4-byte big-endian length, then the bytes) off a buffer. */
export class WireReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  string(): Buffer {
    if (this.at + 4 > this.buf.length) throw new Error("truncated SSH key");
    const n = this.buf.readUInt32BE(this.at);
    if (this.at + 4 + n > this.buf.length) throw new Error("truncated SSH key");
    const s = this.buf.subarray(this.at + 4, this.at + 4 + n);
    this.at += 4 + n;
    return s;
  }
  uint32(): number {
    if (this.at + 4 > this.buf.length) throw new Error("truncated SSH key");
    this.at += 4;
    return this.buf.readUInt32BE(this.at - 4);
  }
  end(): void {
    if (this.at !== this.buf.length) throw new Error("trailing bytes in SSH key");
  }
}

export function wireString(bytes: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/**
 * Parses `ssh-ed25519 AAAA... [comment]` or `ssh-rsa AAAA... [comment]`.
 * @throws Error if the line is not a valid key of either type (RSA keys under 2048 bits included, as age refuses them).
 */
export function parseSshPublicKey(line: string): SshPublicKey & { ed25519?: Uint8Array; rsa?: KeyObject } {
  const [type, b64] = line.trim().split(/\s+/);
  if ((type !== "ssh-ed25519" && type !== "ssh-rsa") || b64 === undefined)
    throw new Error("not an SSH public key line");
  const wire = Buffer.from(b64, "base64");
  if (wire.toString("base64") !== b64) throw new Error("the key is not canonical base64");
  const r = new WireReader(wire);
  if (r.string().toString("latin1") !== type) throw new Error("the key's type differs from its line's");
  const text = `${type} ${b64}`;
  if (type === "ssh-ed25519") {
    const key = r.string();
    r.end();
    if (key.length !== 32) throw new Error("an Ed25519 key is 32 bytes");
    return { type, wire, text, ed25519: new Uint8Array(key) };
  }
  const e = r.string();
  const n = r.string();
  r.end();
  const rsa = createPublicKey({
    key: { kty: "RSA", n: unsigned(n).toString("base64url"), e: unsigned(e).toString("base64url") },
    format: "jwk",
  });
  const bits = rsa.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048) throw new Error(`an RSA key of ${bits} bits; age needs at least 2048`);
  return { type, wire, text, rsa };
}

/** An mpint's magnitude, without the sign byte it may lead with. */
function unsigned(mpint: Buffer): Buffer {
  if (mpint.length > 0 && (mpint[0] as number) & 0x80) throw new Error("a negative number in an SSH key");
  let i = 0;
  while (i < mpint.length - 1 && mpint[i] === 0) i++;
  return mpint.subarray(i);
}

/** The stanza tag: the first 4 bytes of SHA-256 of the key's wire form, unpadded base64. */
export function tagOf(wire: Uint8Array): string {
  return base64nopad.encode(createHash("sha256").update(wire).digest().subarray(0, 4));
}

// Curve25519's field (RFC 7748), and Edwards25519's d = -121665/121666 (RFC 8032), worked out on first use.
const P = 2n ** 255n - 19n;
let d: bigint | undefined;

function power(b: bigint, e: bigint): bigint {
  let r = 1n;
  let x = ((b % P) + P) % P;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = (r * x) % P;
    x = (x * x) % P;
  }
  return r;
}

function inverse(x: bigint): bigint {
  return power(x, P - 2n);
}

/**
 * The X25519 (Montgomery) form of an Ed25519 public key: u = (1 + y) / (1 - y).
 * Refuses what Go's edwards25519 `SetBytes` refuses (which age uses): a `y` of
 * the field's size or more, and a `y` with no `x` on the curve.
 * @throws Error for an invalid point.
 */
export function ed25519ToX25519(key: Uint8Array): Uint8Array {
  const bytes = Buffer.from(key);
  const sign = ((bytes[31] as number) & 0x80) !== 0;
  bytes[31] = (bytes[31] as number) & 0x7f;
  const y = BigInt(`0x${Buffer.from(bytes).reverse().toString("hex")}`);
  if (y >= P) throw new Error("not a canonical Ed25519 point");
  // x² = (y² - 1) / (d·y² + 1): a point exists when that is a square (Euler's criterion).
  const y2 = (y * y) % P;
  d ??= (P - ((121665n * inverse(121666n)) % P)) % P;
  const x2 = (((y2 - 1n + P) % P) * inverse((d * y2 + 1n) % P)) % P;
  if (x2 === 0n ? sign : power(x2, (P - 1n) / 2n) !== 1n) throw new Error("not an Ed25519 point");
  if (y === 1n) throw new Error("the Ed25519 identity point"); // u would be 1/0
  const u = ((1n + y) * inverse((1n - y + P) % P)) % P;
  return new Uint8Array(Buffer.from(u.toString(16).padStart(64, "0"), "hex").reverse());
}

/** X25519(scalar, point); Node refuses an all-zero result, as age does. */
function x25519(scalar: Uint8Array, point: Uint8Array): Buffer {
  return diffieHellman({ privateKey: privateKeyObject(scalar), publicKey: publicKeyObject(point) });
}

/** The wrapping key of an ssh-ed25519 stanza. */
function ed25519WrapKey(wire: Uint8Array, shared: Uint8Array, share: Uint8Array, recipient: Uint8Array): Buffer {
  const tweak = hkdf32(new Uint8Array(0), wire, ED25519_LABEL); // no key material: the SSH key is the salt
  const tweaked = x25519(tweak, shared);
  return hkdf32(tweaked, Buffer.concat([share, recipient]), ED25519_LABEL);
}

function seal(key: Uint8Array, fileKey: Uint8Array): Uint8Array {
  const c = createCipheriv("chacha20-poly1305", key, ZERO_NONCE, { authTagLength: 16 });
  return new Uint8Array(Buffer.concat([c.update(fileKey), c.final(), c.getAuthTag()]));
}

function open(key: Uint8Array, body: Uint8Array): Uint8Array | null {
  const d = createDecipheriv("chacha20-poly1305", key, ZERO_NONCE, { authTagLength: 16 });
  d.setAuthTag(body.subarray(16));
  try {
    return new Uint8Array(Buffer.concat([d.update(body.subarray(0, 16)), d.final()]));
  } catch {
    return null;
  }
}

/**
 * Checks an ssh-ed25519 stanza's shape, as agessh does before it looks at
 * the tag: a malformed one refuses the file, whoever's it is.
 * @throws Error for a malformed ssh-ed25519 stanza.
 */
export function checkSshEd25519Stanza(s: Stanza): void {
  if (s.args[0] !== "ssh-ed25519") return;
  let share: Uint8Array | undefined;
  try {
    share = s.args.length === 3 ? base64nopad.decode(s.args[2] ?? "") : undefined;
  } catch {
    share = undefined;
  }
  if (share?.length !== 32) throw new Error("invalid ssh-ed25519 stanza");
}

/**
 * Checks an ssh-rsa stanza's shape (a tag and nothing else), as agessh does.
 * @throws Error for a malformed ssh-rsa stanza.
 */
export function checkSshRsaStanza(s: Stanza): void {
  if (s.args[0] === "ssh-rsa" && s.args.length !== 2) throw new Error("invalid ssh-rsa stanza");
}

/** An `ssh-ed25519` recipient. */
export class SshEd25519Recipient implements Recipient {
  private readonly tag: string;
  private readonly point: Uint8Array;

  /** @throws Error if the key is not a valid Ed25519 point, or one of small order. */
  constructor(private readonly key: SshPublicKey & { ed25519?: Uint8Array }) {
    if (!key.ed25519) throw new Error("not an ssh-ed25519 key");
    this.point = ed25519ToX25519(key.ed25519);
    // A small-order Ed25519 point (y = -1 gives u = 0) is a low-order X25519 key: every stanza to it would fail.
    checkNotLowOrder(publicKeyObject(this.point));
    this.tag = tagOf(key.wire);
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const ephemeral = randomKeyBytes(32);
    const share = rawPublic(privateKeyObject(ephemeral));
    const shared = x25519(ephemeral, this.point);
    const body = seal(ed25519WrapKey(this.key.wire, shared, share, this.point), fileKey);
    return [{ args: ["ssh-ed25519", this.tag, base64nopad.encode(share)], body }];
  }
}

/** An `ssh-rsa` recipient. */
export class SshRsaRecipient implements Recipient {
  private readonly tag: string;
  private readonly rsa: KeyObject;

  constructor(key: SshPublicKey & { rsa?: KeyObject }) {
    if (!key.rsa) throw new Error("not an ssh-rsa key");
    this.rsa = key.rsa;
    this.tag = tagOf(key.wire);
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const body = publicEncrypt(
      { key: this.rsa, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: RSA_LABEL },
      fileKey,
    );
    return [{ args: ["ssh-rsa", this.tag], body: new Uint8Array(body) }];
  }
}

/** An Ed25519 SSH private key as an identity for `ssh-ed25519` stanzas. */
export class SshEd25519Identity implements Identity {
  /** The matching recipient, `ssh-ed25519 BASE64`. */
  readonly recipient: string;
  private readonly wire: Uint8Array;
  private readonly tag: string;
  private readonly scalar: Uint8Array;
  private readonly point: Uint8Array;

  /** `seed`: the private key's 32-byte seed; `publicKey`: its 32-byte public key. */
  constructor(seed: Uint8Array, publicKey: Uint8Array) {
    this.wire = Buffer.concat([wireString(Buffer.from("ssh-ed25519")), wireString(publicKey)]);
    this.recipient = `ssh-ed25519 ${Buffer.from(this.wire).toString("base64")}`;
    this.tag = tagOf(this.wire);
    // As age (and RFC 8032): the X25519 scalar is the first half of SHA-512(seed).
    this.scalar = new Uint8Array(createHash("sha512").update(seed).digest().subarray(0, 32));
    this.point = rawPublic(privateKeyObject(this.scalar));
    if (!Buffer.from(this.point).equals(Buffer.from(ed25519ToX25519(publicKey)))) {
      throw new Error("the private key does not match its public key");
    }
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== "ssh-ed25519") continue;
      checkSshEd25519Stanza(s);
      if (s.args[1] !== this.tag) continue;
      if (s.body.length !== 32) throw new Error("invalid ssh-ed25519 stanza: incorrect file key size");
      const share = base64nopad.decode(s.args[2] ?? "");
      const key = open(ed25519WrapKey(this.wire, x25519(this.scalar, share), share, this.point), s.body);
      // The tag names this key: a stanza that does not open under it is damaged, not someone else's.
      if (key === null) throw new Error("an ssh-ed25519 stanza for this key does not open");
      return key;
    }
    return null;
  }
}

/** An RSA SSH private key as an identity for `ssh-rsa` stanzas. */
export class SshRsaIdentity implements Identity {
  /** The matching recipient, `ssh-rsa BASE64`. */
  readonly recipient: string;
  private readonly tag: string;

  /** `wire`: the public key's wire form; `key`: the private key. */
  constructor(
    wire: Uint8Array,
    private readonly key: KeyObject,
  ) {
    this.recipient = `ssh-rsa ${Buffer.from(wire).toString("base64")}`;
    this.tag = tagOf(wire);
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== "ssh-rsa") continue;
      checkSshRsaStanza(s);
      if (s.args[1] !== this.tag) continue;
      try {
        const opts = {
          key: this.key,
          padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: "sha256",
          oaepLabel: RSA_LABEL,
        };
        return new Uint8Array(privateDecrypt(opts, s.body));
      } catch (e) {
        throw new Error("an ssh-rsa stanza for this key does not open", { cause: e });
      }
    }
    return null;
  }
}
