/**
 * The common case of lockstep's age files, done with Node's crypto alone:
 * X25519 stanzas only, and a payload of one STREAM chunk (64 KiB), which is
 * every secret value. age-encryption's general path spends about a
 * millisecond a file on web streams and pure-JS hashing, which is most of
 * an export of a thousand secrets; this path is byte-for-byte the same
 * format (checked against the age CLI and the cctv-age vectors).
 *
 * It accepts only the canonical form and answers `undefined` for anything
 * else (another stanza type, a larger payload, a file key it cannot find
 * through the order hint), so that age-encryption decides every other case.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from "node:crypto";
import type { Stanza } from "age-encryption";
import { hkdf32 } from "./hkdf.js";
import type { AgeIdentity, AgeRecipient } from "./keys.js";
import { randomKeyBytes } from "./random.js";

const INTRO = "age-encryption.org/v1\n";
const CHUNK = 64 * 1024;
const TAG = 16;
const NONCE = 16;
// A canonical unpadded base64 encoding of 32 bytes.
const B64_32 = "[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]";
const STANZA = new RegExp(`^-> X25519 (${B64_32})\\n(${B64_32})\\n`);
const MAC_LINE = new RegExp(`^--- (${B64_32})\\n`);

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

const hkdf = hkdf32;

function headerMac(fileKey: Uint8Array, headerNoMac: string): Buffer {
  return createHmac("sha256", hkdf(fileKey, new Uint8Array(0), "header"))
    .update(headerNoMac, "latin1")
    .digest();
}

function lastChunkNonce(): Buffer {
  const nonce = Buffer.alloc(12);
  nonce[11] = 1; // counter 0, last chunk
  return nonce;
}

/** The result of a native decryption attempt. */
export type NativeDecryption =
  | { kind: "plaintext"; plaintext: Uint8Array }
  /** Not the canonical single-chunk X25519 form, or no hinted stanza opened: let age-encryption decide. */
  | { kind: "unsupported" }
  /** The file key opened, but the header MAC or the payload did not verify. */
  | { kind: "tampered"; what: string };

/** A canonical single-chunk X25519 file, split into its parts. */
interface CanonicalFile {
  buf: Buffer;
  /** The header as latin1 text (offsets equal byte offsets). */
  text: string;
  /** Each stanza's exact text, `-> X25519 ...\n...\n`, decoded only when tried (see {@link stanzaAt}). */
  stanzaTexts: string[];
  /** Where `--- ` starts. */
  macAt: number;
  mac: string;
  /** Where the payload nonce starts. */
  payloadAt: number;
}

function parseCanonical(file: Uint8Array, stanzaHint: number): CanonicalFile | undefined {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  // The header is ASCII; latin1 maps bytes to characters one to one, so offsets agree.
  const text = buf.toString("latin1", 0, Math.min(buf.length, 4096 + stanzaHint * 128));
  if (!text.startsWith(INTRO)) return undefined;
  let pos = INTRO.length;
  const stanzaTexts: string[] = [];
  for (;;) {
    const m = STANZA.exec(text.slice(pos));
    if (!m) break;
    stanzaTexts.push(m[0]);
    pos += m[0].length;
  }
  const mac = MAC_LINE.exec(text.slice(pos));
  if (!mac || stanzaTexts.length === 0) return undefined;
  const payloadAt = pos + mac[0].length;
  const payloadLength = buf.length - payloadAt - NONCE;
  if (payloadLength < TAG || payloadLength > CHUNK + TAG) return undefined;
  return { buf, text, stanzaTexts, macAt: pos, mac: mac[1] as string, payloadAt };
}

const SHARE_AT = "-> X25519 ".length;
const BODY_AT = SHARE_AT + 44; // after the 43 characters of the share and a line break

/** Stanza `i` of a parsed file, decoded: a decryption tries one or two of twenty. */
function stanzaAt(f: CanonicalFile, i: number): Stanza | undefined {
  const t = f.stanzaTexts[i];
  if (t === undefined) return undefined;
  const body = Buffer.from(t.slice(BODY_AT, BODY_AT + 43), "base64");
  return { args: ["X25519", t.slice(SHARE_AT, SHARE_AT + 43)], body: new Uint8Array(body.buffer, body.byteOffset, 32) };
}

/** The file key, through the stanzas `order` assigns to our identities; `null` if none opens. */
function openFileKey(
  f: CanonicalFile,
  identities: readonly AgeIdentity[],
  order: readonly string[],
): Uint8Array | null {
  for (const id of identities) {
    if (!id.fast) continue;
    for (const [i, key] of order.entries()) {
      if (key !== id.recipient) continue;
      const stanza = stanzaAt(f, i);
      if (stanza === undefined) continue;
      const fileKey = id.fast.unwrapStanza(stanza);
      if (fileKey) return fileKey;
    }
  }
  return null;
}

/** Checks the header MAC and decrypts the payload under `fileKey`. */
function openPayload(f: CanonicalFile, fileKey: Uint8Array): NativeDecryption {
  const expected = headerMac(fileKey, f.text.slice(0, f.macAt + 3));
  if (!timingSafeEqual(expected, Buffer.from(f.mac, "base64"))) return { kind: "tampered", what: "header MAC" };
  const nonce = f.buf.subarray(f.payloadAt, f.payloadAt + NONCE);
  const chunk = f.buf.subarray(f.payloadAt + NONCE);
  const decipher = createDecipheriv("chacha20-poly1305", hkdf(fileKey, nonce, "payload"), lastChunkNonce(), {
    authTagLength: TAG,
  });
  decipher.setAuthTag(chunk.subarray(chunk.length - TAG));
  try {
    const plaintext = Buffer.concat([decipher.update(chunk.subarray(0, chunk.length - TAG)), decipher.final()]);
    return { kind: "plaintext", plaintext: new Uint8Array(plaintext) };
  } catch {
    return { kind: "tampered", what: "payload" };
  }
}

/**
 * Decrypts a binary age file whose stanzas are all X25519 and whose payload
 * is one chunk, trying only the stanzas that `order` assigns to our
 * identities.
 */
export function decryptNative(
  file: Uint8Array,
  identities: readonly AgeIdentity[],
  order: readonly string[],
): NativeDecryption {
  const f = parseCanonical(file, order.length);
  const fileKey = f && openFileKey(f, identities, order);
  return f && fileKey ? openPayload(f, fileKey) : { kind: "unsupported" };
}

/**
 * Adds recipients to a file, keeping its file key, its payload and every
 * existing stanza byte for byte: the new file is the old one with more
 * stanzas and a new header MAC, as `sops updatekeys` keeps its data key.
 * Only a fresh stanza for each new reader costs an X25519 operation.
 *
 * `order` is the file's recipients in stanza order; `recipients` the new
 * list, in the new stanza order. Answers `undefined`, and changes nothing,
 * unless the file is canonical, every current recipient stays, the new ones
 * have a fast path (X25519), and the file opens and verifies under one of `identities`:
 * the caller then decrypts and encrypts anew (under a fresh file key).
 */
export function addRecipientsNative(
  file: Uint8Array,
  identities: readonly AgeIdentity[],
  order: readonly string[],
  recipients: readonly AgeRecipient[],
): { file: Uint8Array; plaintext: Uint8Array } | undefined {
  const f = parseCanonical(file, order.length);
  if (!f || f.stanzaTexts.length !== order.length) return undefined;
  const next = new Set(recipients.map((r) => r.text));
  if (!order.every((key) => next.has(key))) return undefined; // someone leaves: a fresh file key
  if (recipients.some((r) => !r.fast && !order.includes(r.text))) return undefined;
  const fileKey = openFileKey(f, identities, order);
  if (!fileKey) return undefined;
  const opened = openPayload(f, fileKey);
  if (opened.kind !== "plaintext") return undefined;
  let header = INTRO;
  for (const r of recipients) {
    const i = order.indexOf(r.text);
    header += i === -1 ? stanzaText(r, fileKey) : f.stanzaTexts[i];
  }
  header += "---";
  header += ` ${b64(headerMac(fileKey, header))}\n`;
  const out = Buffer.concat([Buffer.from(header, "latin1"), f.buf.subarray(f.payloadAt)]);
  return { file: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), plaintext: opened.plaintext };
}

function stanzaText(r: AgeRecipient, fileKey: Uint8Array): string {
  if (!r.fast) throw new TypeError(`a ${r.kind} recipient has no fast path`);
  return r.fast
    .wrapFileKey(fileKey)
    .map((s) => `-> ${s.args.join(" ")}\n${b64(s.body)}\n`)
    .join("");
}

/**
 * Encrypts to recipients with a fast path (X25519) only, a plaintext of at
 * most one chunk; `undefined` when another kind or size needs age-encryption.
 */
export function encryptNative(plaintext: Uint8Array, recipients: readonly AgeRecipient[]): Uint8Array | undefined {
  if (plaintext.length > CHUNK || recipients.some((r) => !r.fast)) return undefined;
  const fileKey = randomKeyBytes(16);
  let header = INTRO;
  for (const r of recipients) header += stanzaText(r, fileKey);
  header += "---";
  header += ` ${b64(headerMac(fileKey, header))}\n`;
  const nonce = randomKeyBytes(NONCE);
  const cipher = createCipheriv("chacha20-poly1305", hkdf(fileKey, nonce, "payload"), lastChunkNonce(), {
    authTagLength: TAG,
  });
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return new Uint8Array(Buffer.concat([Buffer.from(header, "latin1"), nonce, body]));
}

const BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const END = "-----END AGE ENCRYPTED FILE-----";

/** The ASCII armor of an age file, as age writes it: 64 columns, padded base64, final newline. */
export function armorEncode(file: Uint8Array): string {
  const b64 = Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString("base64");
  const lines = [BEGIN];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  lines.push(END, "");
  return lines.join("\n");
}

/**
 * Decodes armor in the canonical form `armorEncode` writes (and age writes);
 * `undefined` for any other form, which age-encryption's stricter reader
 * then accepts or refuses.
 */
export function armorDecodeCanonical(text: string): Uint8Array | undefined {
  let t = text.trim();
  if (t.includes("\r")) t = t.replaceAll("\r\n", "\n");
  if (!t.startsWith(`${BEGIN}\n`) || !t.endsWith(`\n${END}`)) return undefined;
  const body = t.slice(BEGIN.length + 1, t.length - END.length); // the lines, each ending in "\n"
  // Lines of 64 columns, then a last one of 4 to 64, a multiple of 4: no line break elsewhere.
  const last = body.length - 1;
  let lines = 1;
  let at = 0;
  for (; last - at > 64; at += 65, lines++) if (body.charCodeAt(at + 64) !== 0x0a) return undefined;
  if (last === at || (last - at) % 4 !== 0 || !BASE64_LINES.test(body)) return undefined;
  for (let nl = body.indexOf("\n"); nl !== -1; nl = body.indexOf("\n", nl + 1)) if (--lines < 0) return undefined;
  // Canonical base64 leaves the bits past the last byte zero (Buffer's decoder would ignore them).
  const pad = body.endsWith("==\n") ? 2 : body.endsWith("=\n") ? 1 : 0;
  if (pad > 0 && (B64.indexOf(body.charAt(last - 1 - pad)) & (pad === 2 ? 0xf : 0x3)) !== 0) return undefined;
  const bytes = Buffer.from(body, "base64"); // skips the line breaks
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_LINES = /^[A-Za-z0-9+/\n]*={0,2}\n$/;
