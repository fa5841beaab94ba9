/** `lockstep rekey`: re-encrypt versions whose recipients differ from the readers. */
import { openRepo } from "../context.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeRekey } from "../render/writes.js";

type Rekey = typeof commands.rekey;

/** Re-encrypts the versions of every secret (or those named) to its readers today. */
export async function rekey([ids]: ArgsOf<Rekey>, o: OptionsOf<Rekey>): Promise<void> {
  const repo = await openRepo(o);
  out(describeRekey(await repo.rekey(ids)));
}
