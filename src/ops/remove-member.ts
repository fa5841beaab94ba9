/**
 * `member rm`: a member out of access.yaml, and out of every group and rule.
 */
import { fixWithSuggestion } from "../core/suggest.js";
import { LockstepError } from "../errors.js";
import { editAccess } from "../storage/access-file.js";
import { ACCESS_FILE } from "../storage/layout.js";
import { commitIfAsked, ensureCanCommit } from "./commit.js";
import type { Session } from "./session.js";

/** What `member rm` changed. */
export interface RemoveMemberResult {
  name: string;
  /** Groups and rules it was taken out of, as `groups.platform` or `rules[1].readers`. */
  removedFrom: string[];
  /** With `commit`: the commit that recorded it. */
  commit?: string;
}

/**
 * Removes a member and every mention of it in groups and rules. Versions
 * already encrypted to it stay readable by it: `check` reports them, and
 * `rotate` replaces them.
 * @throws LockstepError `UNKNOWN_MEMBER` (with the near name); `NOT_COMMITTED` with `commit`.
 */
export async function removeMember(
  session: Session,
  options: { name: string; commit?: boolean },
): Promise<RemoveMemberResult> {
  const { name } = options;
  if (options.commit) await ensureCanCommit(session, [ACCESS_FILE]);
  const result = await editAccess(session.files, (data, edit): RemoveMemberResult => {
    if (data.members[name] === undefined) {
      throw new LockstepError("UNKNOWN_MEMBER", `access.yaml has no member "${name}"`, {
        file: ACCESS_FILE,
        fix: fixWithSuggestion(
          name,
          Object.keys(data.members),
          `members are: ${Object.keys(data.members).join(", ") || "none"}`,
        ),
      });
    }
    return { name, removedFrom: edit.removeMember(name) };
  });
  await session.reloadAccess();
  const from = result.removedFrom.length > 0 ? ` (and from ${result.removedFrom.join(", ")})` : "";
  const message = `lockstep member rm: ${name}${from}\n\nVersions already encrypted to ${name} stay readable by its key until rotated.\n`;
  return commitIfAsked(session, options.commit, result, [ACCESS_FILE], message);
}
