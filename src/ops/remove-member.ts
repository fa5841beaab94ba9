/**
 * `member rm`: a member out of access.yaml, and out of every group and rule.
 */
import { LockstepError } from "../errors.js";
import { editAccess } from "../storage/access-file.js";
import { ACCESS_FILE } from "../storage/layout.js";
import type { Session } from "./session.js";

/** What `member rm` changed. */
export interface RemoveMemberResult {
  name: string;
  /** Groups and rules it was taken out of, as `groups.platform` or `rules[1].readers`. */
  removedFrom: string[];
}

/**
 * Removes a member and every mention of it in groups and rules. Versions
 * already encrypted to it stay readable by it: `check` reports them, and
 * `rotate` replaces them.
 * @throws LockstepError `UNKNOWN_MEMBER`.
 */
export async function removeMember(session: Session, options: { name: string }): Promise<RemoveMemberResult> {
  const { name } = options;
  const result = await editAccess(session.files, (data, edit): RemoveMemberResult => {
    if (data.members[name] === undefined) {
      throw new LockstepError("UNKNOWN_MEMBER", `access.yaml has no member "${name}"`, {
        file: ACCESS_FILE,
        fix: `members are: ${Object.keys(data.members).join(", ") || "none"}`,
      });
    }
    return { name, removedFrom: edit.removeMember(name) };
  });
  await session.reloadAccess();
  return result;
}
