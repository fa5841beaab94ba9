/**
 * HKDF-SHA-256 for one 32-byte output block, from two HMACs (RFC 5869).
 * Node's hkdfSync builds key objects on every call, which costs more than
 * the hashing itself in a loop over thousands of stanzas.
 */
import { createHmac } from "node:crypto";

/** HKDF-SHA-256(ikm, salt, info) truncated to 32 bytes, the only length age uses. */
export function hkdf32(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  const prk = createHmac("sha256", salt).update(ikm).digest();
  return createHmac("sha256", prk).update(info, "latin1").update(Buffer.of(1)).digest();
}
