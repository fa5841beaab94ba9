/** `lockstep member add` and `lockstep member rm`: edits of access.yaml. */
import { type GlobalOptions, openRepo } from "../context.js";
import { out } from "../output.js";

/** Options of `member add`. */
export interface MemberAddOptions extends GlobalOptions {
  name: string;
  key: string[];
  github?: string;
  group?: string[];
}

/** Adds a member, or more keys to one. */
export async function memberAdd(o: MemberAddOptions): Promise<void> {
  const repo = await openRepo(o);
  const r = await repo.addMember(o.name, {
    keys: o.key,
    ...(o.github !== undefined && { github: o.github }),
    ...(o.group !== undefined && { groups: o.group }),
  });
  const changed = r.addedKeys.length > 0 || r.groups.length > 0;
  const what = r.created ? "Added member" : changed ? "Updated member" : "Member unchanged:";
  const details = [
    ...(!r.created && r.addedKeys.length > 0 ? [`${r.addedKeys.length} new key(s)`] : []),
    ...(r.groups.length > 0 ? [`groups: ${r.groups.join(", ")}`] : []),
  ];
  out(`${what} ${r.name}${details.length > 0 ? ` (${details.join("; ")})` : ""}`);
  if (!r.created && changed) out("Run `lockstep rekey` so existing versions are encrypted to the new readers.");
}

/** Options of `member rm`. */
export interface MemberRmOptions extends GlobalOptions {
  name: string;
}

/** Removes a member from access.yaml. */
export async function memberRm(o: MemberRmOptions): Promise<void> {
  const repo = await openRepo(o);
  const r = await repo.removeMember(o.name);
  out(`Removed member ${r.name}${r.removedFrom.length > 0 ? ` (and from ${r.removedFrom.join(", ")})` : ""}`);
  out("Versions already encrypted to it stay readable by its key: rotate the secrets it could read.");
}
