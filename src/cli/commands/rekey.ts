/** `lockstep rekey`: re-encrypt versions whose recipients differ from the readers. */
import { type GlobalOptions, openRepo } from "../context.js";
import { out, table } from "../output.js";

/** Options of `rekey`. */
export interface RekeyOptions extends GlobalOptions {
  ids: string[];
}

/** Re-encrypts the versions of every secret (or those named) to its readers today. */
export async function rekey(o: RekeyOptions): Promise<void> {
  const repo = await openRepo(o);
  const results = await repo.rekey(o.ids);
  if (results.length === 0) return out("Every version is already encrypted to its readers.");
  out(table(results.map((r) => ["rekeyed", r.id, `versions ${r.versions.join(", ")}`])));
  const removed = [...new Set(results.flatMap((r) => r.removed))].sort();
  if (removed.length > 0) {
    out(
      `No longer readers: ${removed.join(", ")}. They may still hold old ciphertexts from Git history: rotate what they could read.`,
    );
  }
}
