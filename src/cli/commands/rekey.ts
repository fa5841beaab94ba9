/** `lockstep rekey`: re-encrypt versions whose recipients differ from the readers. */
import { openRepo } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeCommit, describeRekey } from "../render/writes.js";

type Rekey = typeof commands.rekey;

/**
 * Re-encrypts the versions of every secret (or those named) to its readers
 * today; exit 3 when some could not be opened (the rest is done).
 */
export async function rekey([ids]: ArgsOf<Rekey>, o: OptionsOf<Rekey>): Promise<number> {
  const repo = await openRepo(o);
  const results = await repo.rekey(ids, { commit: o.commit === true });
  out([describeRekey(results), ...describeCommit(results.find((r) => r.commit !== undefined) ?? {})].join("\n"));
  return results.some((r) => (r.skipped?.length ?? 0) > 0) ? EXIT.noIdentity : EXIT.ok;
}
