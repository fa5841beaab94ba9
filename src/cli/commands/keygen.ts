/** `lockstep keygen`: a new age identity. */
import { resolve } from "node:path";
import { generateKey } from "../../crypto/keys.js";
import { writeFileExclusive } from "../../storage/fs.js";
import { note } from "../output.js";

/** Options of `keygen`. */
export interface KeygenOptions {
  output?: string;
  pq?: boolean;
}

/** Writes the identity to `-o FILE` (0600, never over a file) or stdout; the recipient to stderr. */
export async function keygen(o: KeygenOptions): Promise<void> {
  const key = await generateKey(o.pq === true);
  if (o.output !== undefined && o.output !== "-") {
    await writeFileExclusive(resolve(o.output), key.fileText, 0o600, o.output);
  } else {
    process.stdout.write(key.fileText);
  }
  note(`Public key: ${key.recipient}`);
}
