/** `lockstep prune`: drop old versions no stage points at. */
import { openRepo } from "../context.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describePrune } from "../render/lifecycle.js";

type Prune = typeof commands.prune;

/** Removes old versions, keeping the --keep newest and every live or pending one. */
export async function prune([id]: ArgsOf<Prune>, o: OptionsOf<Prune>): Promise<void> {
  const repo = await openRepo(o);
  out(describePrune(await repo.prune(id, { keep: o.keep, commit: o.commit === true })));
}
