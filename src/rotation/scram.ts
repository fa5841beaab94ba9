/**
 * PostgreSQL's SCRAM-SHA-256 password verifier, made on the client (as
 * psql's `\password` does), so that `ALTER ROLE ... PASSWORD` carries the
 * verifier and the plaintext never reaches the server's statement log.
 *
 * Format (PostgreSQL's `scram_build_secret`, RFC 5802 and RFC 7677):
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/** PostgreSQL's default `scram_iterations`. */
export const SCRAM_ITERATIONS = 4096;

/**
 * The verifier of `password`, or `undefined` when the password is not pure
 * ASCII: PostgreSQL normalizes other passwords with SASLprep first (pure
 * ASCII passes unchanged), which the server then does itself.
 */
export function scramVerifier(
  password: string,
  iterations = SCRAM_ITERATIONS,
  salt = randomBytes(16),
): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  if (!/^[\x00-\x7f]*$/.test(password)) return undefined;
  const salted = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  const b64 = (b: Buffer) => b.toString("base64");
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}
