/** `lockstep rm` and `lockstep restore`: delete a secret, and bring it back from history. */
import { openRepo } from "../context.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeRemove, describeRestore } from "../render/lifecycle.js";

type Rm = typeof commands.rm;
type Restore = typeof commands.restore;

/** Deletes a secret (refused while a consumer deploys it, unless --force). */
export async function rm([id]: ArgsOf<Rm>, o: OptionsOf<Rm>): Promise<void> {
  const repo = await openRepo(o);
  out(describeRemove(await repo.remove(id, { force: o.force === true, commit: o.commit === true })));
}

/** Brings a deleted secret back as it was at --from (default: before its last deletion). */
export async function restore([id]: ArgsOf<Restore>, o: OptionsOf<Restore>): Promise<void> {
  const repo = await openRepo(o);
  out(
    describeRestore(
      await repo.restore(id, { ...(o.from !== undefined && { from: o.from }), commit: o.commit === true }),
    ),
  );
}
