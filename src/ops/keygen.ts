/**
 * `keygen`: a new age identity, written to a file that did not exist
 * (mode 0600), or handed back.
 */
import { resolve } from "node:path";
import { generateKey } from "../crypto/index.js";
import { writeFileExclusive } from "../storage/fs.js";

/** Options of {@link keygen}. */
export interface KeygenOptions {
  /** A file to write the identity to (never over an existing one); `-` or absent: hand it back. */
  output?: string;
  /** A hybrid post-quantum key (`age1pq1...`) instead of X25519. */
  pq?: boolean;
}

/** A new identity. */
export interface KeygenResult {
  /** The public key (`age1...`), to give to the repository's admins. */
  recipient: string;
  /** The identity file's text, when it was not written to `output`. */
  identity?: string;
  /** The file written, when `output` was given. */
  file?: string;
}

/**
 * Makes an identity and writes it to `output`, or returns it.
 * @throws LockstepError `ALREADY_EXISTS` if `output` exists.
 */
export async function keygen(options: KeygenOptions = {}): Promise<KeygenResult> {
  const key = await generateKey(options.pq === true);
  if (options.output === undefined || options.output === "-") {
    return { recipient: key.recipient, identity: key.fileText };
  }
  await writeFileExclusive(resolve(options.output), key.fileText, 0o600, options.output);
  return { recipient: key.recipient, file: options.output };
}
