/** `lockstep member add` and `lockstep member rm`: edits of access.yaml. */
import { openRepo } from "../context.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeMemberAdd, describeMemberRm } from "../render/writes.js";

type Add = typeof commands.memberAdd;
type Rm = typeof commands.memberRm;

/** Adds a member, or more keys to one. */
export async function memberAdd([name]: ArgsOf<Add>, o: OptionsOf<Add>): Promise<void> {
  const repo = await openRepo(o);
  const r = await repo.addMember(name, {
    keys: o.key,
    ...(o.github !== undefined && { github: o.github }),
    ...(o.group !== undefined && { groups: o.group }),
  });
  out(describeMemberAdd(r));
}

/** Removes a member from access.yaml. */
export async function memberRm([name]: ArgsOf<Rm>, o: OptionsOf<Rm>): Promise<void> {
  const repo = await openRepo(o);
  out(describeMemberRm(await repo.removeMember(name)));
}
