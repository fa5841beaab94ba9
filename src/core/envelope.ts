/**
 * The plaintext inside every ciphertext: the value bound to where it stands.
 * A ciphertext moved to another secret or version no longer matches its
 * place, and is refused as tampered.
 */
import { IntegrityError } from "../errors.js";
import { isSecretId } from "./ids.js";

/** Envelope format version. */
const FORMAT = 1;

/** What a ciphertext's plaintext says of itself. */
export interface Envelope {
  id: string;
  version: number;
  value: string;
}

/** Serializes an envelope to the bytes that get encrypted. */
export function sealEnvelope(e: Envelope): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ lockstep: FORMAT, id: e.id, version: e.version, value: e.value }));
}

/**
 * Parses decrypted bytes and checks they belong at `expected`. The error says
 * where the ciphertext claims to be from, never what it holds.
 * @throws IntegrityError if the bytes are no envelope or belong elsewhere.
 */
export function openEnvelope(bytes: Uint8Array, expected: { id: string; version: number }, file: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    parsed = undefined;
  }
  const e = parsed as Partial<Envelope> & { lockstep?: unknown };
  if (
    typeof e !== "object" ||
    e === null ||
    e.lockstep !== FORMAT ||
    typeof e.id !== "string" ||
    typeof e.version !== "number" ||
    typeof e.value !== "string"
  ) {
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
  return e.value;
}
