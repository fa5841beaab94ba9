/**
 * The plaintext inside every ciphertext: the value bound to where it stands.
 * A ciphertext moved to another secret or version no longer matches its
 * place, and is refused as tampered.
 *
 * The envelope is one JSON object, in one of two forms:
 *
 * - form 1, for a value that is UTF-8 text (almost every value):
 *   `{"lockstep":1,"id":"production/db/password","version":4,"value":"..."}`,
 *   the value as a JSON string. Every lockstep version reads it.
 * - form 2, for any other bytes (a key store, a DER certificate, random bytes):
 *   `{"lockstep":2,"id":"production/tls/keystore","version":1,"encoding":"base64","value":"AAH//oBhYmM="}`,
 *   the value in standard base64 with padding (RFC 4648 section 4).
 *   Versions of lockstep before form 2 refuse it as not an envelope rather
 *   than read the base64 text as the value.
 *
 * Either way the ciphertext is a standard age file: `age -d -i key.txt`
 * prints the envelope, and `jq -j .value` (form 1) or
 * `jq -r .value | base64 -d` (form 2) gives the value's exact bytes.
 */
import { base64 } from "@scure/base";
import { IntegrityError, LockstepError } from "../errors.js";
import { utf8Text } from "./bytes.js";
import { isSecretId } from "./ids.js";

/** Where a value stands, and the value: text (form 1) or bytes (form 1 when they are UTF-8, else form 2). */
export interface Envelope {
  id: string;
  version: number;
  value: string | Uint8Array;
}

/** Serializes an envelope to the bytes that get encrypted. */
export function sealEnvelope(e: Envelope): Uint8Array {
  const text = typeof e.value === "string" ? e.value : utf8Text(e.value);
  const json =
    text !== undefined
      ? { lockstep: 1, id: e.id, version: e.version, value: text }
      : { lockstep: 2, id: e.id, version: e.version, encoding: "base64", value: base64.encode(e.value as Uint8Array) };
  return new TextEncoder().encode(JSON.stringify(json));
}

/** What an opened envelope holds: the value as the JSON string of form 1, or the bytes of form 2. */
type Opened = { text: string } | { bytes: Uint8Array };

function open(bytes: Uint8Array, expected: { id: string; version: number }, file: string): Opened {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    parsed = undefined;
  }
  const e = parsed as { lockstep?: unknown; id?: unknown; version?: unknown; encoding?: unknown; value?: unknown };
  let opened: Opened | undefined;
  if (typeof e === "object" && e !== null && typeof e.value === "string") {
    if (e.lockstep === 1) opened = { text: e.value };
    if (e.lockstep === 2 && e.encoding === "base64") {
      try {
        opened = { bytes: base64.decode(e.value) };
      } catch {
        opened = undefined;
      }
    }
  }
  if (opened === undefined || typeof e.id !== "string" || typeof e.version !== "number") {
    throw new IntegrityError(`${expected.id} version ${expected.version}: the plaintext is not a lockstep envelope`, {
      file,
      fix: "the ciphertext was not written by lockstep; restore the file from Git history",
    });
  }
  if (e.id !== expected.id || e.version !== expected.version) {
    // What the envelope claims is decrypted text: name it only when it has the form of a place, never echo other text.
    const claims =
      isSecretId(e.id) && Number.isSafeInteger(e.version)
        ? `${e.id} version ${e.version}`
        : "another secret or version";
    throw new IntegrityError(
      `${expected.id} version ${expected.version}: the ciphertext belongs to ${claims}; refusing it as tampered`,
      { file, fix: "restore the file from Git history; a ciphertext cannot be copied between secrets or versions" },
    );
  }
  return opened;
}

/**
 * Parses decrypted bytes, checks they belong at `expected`, and returns the
 * value's bytes exactly. The error says where the ciphertext claims to be
 * from, never what it holds. (A form-1 string with a lone surrogate, which
 * only a library caller could have stored, has no UTF-8 form: it comes back
 * with U+FFFD in its place, as any UTF-8 writer would give it.)
 * @throws IntegrityError if the bytes are no envelope or belong elsewhere.
 */
export function openEnvelopeBytes(
  bytes: Uint8Array,
  expected: { id: string; version: number },
  file: string,
): Uint8Array {
  const o = open(bytes, expected, file);
  return "bytes" in o ? o.bytes : new TextEncoder().encode(o.text);
}

/**
 * Like {@link openEnvelopeBytes}, for callers that need text: the value as a
 * string, exactly.
 * @throws IntegrityError if the bytes are no envelope or belong elsewhere.
 * @throws LockstepError `UNREPRESENTABLE_VALUE` when the value is not UTF-8 text.
 */
export function openEnvelope(bytes: Uint8Array, expected: { id: string; version: number }, file: string): string {
  const o = open(bytes, expected, file);
  if ("text" in o) return o.text;
  const text = utf8Text(o.bytes);
  if (text === undefined) {
    throw new LockstepError(
      "UNREPRESENTABLE_VALUE",
      `${expected.id} version ${expected.version}: the value is not UTF-8 text, and this caller needs text`,
      {
        file,
        fix: "read it as bytes: `lockstep get` writes the exact bytes, `export --format files` or `k8s` carry them",
      },
    );
  }
  return text;
}
