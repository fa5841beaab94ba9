/**
 * A secret's value is bytes. Most values are UTF-8 text, and the text
 * formats can carry only those; these helpers convert between the two
 * without ever changing a byte (no U+FFFD replacement, no BOM stripping).
 */

// `ignoreBOM`: a value that starts with U+FEFF keeps it (the default decoder drops it).
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();
// In a `u` regular expression a surrogate pair is one code point; only a lone surrogate has category Cs.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The text that `bytes` encode in UTF-8, or `undefined` when they are not
 * valid UTF-8 (a key store, a DER file, random bytes). Decoding is exact:
 * `textBytes(utf8Text(b))` is `b` byte for byte.
 */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Whether `bytes` are valid UTF-8. */
export function isUtf8(bytes: Uint8Array): boolean {
  return utf8Text(bytes) !== undefined;
}

/**
 * The UTF-8 bytes of `text`.
 * @throws TypeError when `text` holds a lone surrogate, which UTF-8 cannot
 *   encode (it would silently become U+FFFD).
 */
export function textBytes(text: string): Uint8Array {
  if (LONE_SURROGATE.test(text)) throw new TypeError("a string with a lone surrogate has no exact UTF-8 encoding");
  return encoder.encode(text);
}

/** Whether `text` has an exact UTF-8 encoding (holds no lone surrogate). */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** Whether `bytes` hold a NUL byte, which no environment variable or C string can carry. */
export function hasNul(bytes: Uint8Array): boolean {
  return bytes.includes(0);
}

/** Whether two byte strings are equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
