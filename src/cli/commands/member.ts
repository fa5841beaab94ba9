/** `lockstep member add` and `lockstep member rm`: edits of access.yaml. */
import { openRepo } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { out, outJson } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { membersText } from "../render/members.js";
import { describeCommit, describeMemberAdd, describeMemberRm } from "../render/writes.js";

type Add = typeof commands.memberAdd;
type Rm = typeof commands.memberRm;
type Ls = typeof commands.memberLs;

/** Adds a member, or more keys to one. */
export async function memberAdd([name]: ArgsOf<Add>, o: OptionsOf<Add>): Promise<number> {
  const repo = await openRepo(o);
  const r = await repo.addMember(name, {
    keys: o.key,
    ...(o.github !== undefined && { github: o.github }),
    ...(o.group !== undefined && { groups: o.group }),
    rekey: o.rekey === true,
    ...(o.commit && { commit: true }),
  });
  out([describeMemberAdd(r), ...describeCommit(r)].join("\n"));
  return (r.rekeyed ?? []).some((x) => (x.skipped?.length ?? 0) > 0) ? EXIT.noIdentity : EXIT.ok;
}

/** Lists members, groups, keys and what each reads. */
export async function memberLs(_: ArgsOf<Ls>, o: OptionsOf<Ls>): Promise<void> {
  const repo = await openRepo(o);
  const report = await repo.members();
  if (o.json) return outJson(report);
  out(membersText(report));
}

/** Removes a member from access.yaml. */
export async function memberRm([name]: ArgsOf<Rm>, o: OptionsOf<Rm>): Promise<void> {
  const repo = await openRepo(o);
  const r = await repo.removeMember(name, { commit: o.commit === true });
  out([describeMemberRm(r), ...describeCommit(r)].join("\n"));
}
