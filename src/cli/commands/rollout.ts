/** `lockstep promote` and `lockstep rollback`: stage moves, optionally committed. */
import { UsageError } from "../../errors.js";
import { openRepo } from "../context.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeMoves } from "../render/writes.js";

type Promote = typeof commands.promote;
type Rollback = typeof commands.rollback;

/** Promotes one secret, or every secret of `--env` with `--all`. */
export async function promote([id]: ArgsOf<Promote>, o: OptionsOf<Promote>): Promise<void> {
  const bulk = o.env !== undefined || o.all === true;
  if (id !== undefined ? bulk : o.env === undefined || !o.all) {
    throw new UsageError("promote takes a secret id, or --env ENV --all");
  }
  const repo = await openRepo(o);
  const options = { ...(o.stage !== undefined && { stage: o.stage }), commit: o.commit === true };
  const results = id !== undefined ? [await repo.promote(id, options)] : await repo.promoteAll(o.env ?? "", options);
  out(describeMoves("promote", results));
}

/** Rolls a secret's newest live stages (or `--stage`) back one version (or `--to N`). */
export async function rollback([id]: ArgsOf<Rollback>, o: OptionsOf<Rollback>): Promise<void> {
  const repo = await openRepo(o);
  const result = await repo.rollback(id, {
    ...(o.stage !== undefined && { stage: o.stage }),
    ...(o.to !== undefined && { to: o.to }),
    commit: o.commit === true,
  });
  out(describeMoves("roll back", [result]));
}
