/**
 * `--commit` for the lifecycle commands (rm, restore, mv, prune): commits
 * exactly the files a command changed, with a message saying what it did.
 */
import { existsSync } from "node:fs";
import { GitError } from "../errors.js";
import { commitPaths } from "../storage/git.js";
import { isTracked } from "../storage/git-files.js";
import type { Session } from "./session.js";

/**
 * Commits the repository-relative `paths` (files written, or removed: a
 * removed file that git never tracked is left out) with `message`; returns
 * the commit, or `undefined` when there was nothing git could record.
 * @throws GitError, whose fix says the change is made but not committed.
 */
export async function commitChange(
  session: Session,
  paths: readonly string[],
  message: string,
): Promise<string | undefined> {
  const kept: string[] = [];
  for (const p of paths) {
    if (existsSync(session.files.abs(p)) || (await isTracked(session.root, p))) kept.push(p);
  }
  if (kept.length === 0) return undefined;
  try {
    return await commitPaths(session.root, kept, message);
  } catch (e) {
    if (!(e instanceof GitError)) throw e;
    throw new GitError(e.args, e.exitCode, e.stderr, {
      fix: `the change is made but not committed: commit ${kept.join(", ")} yourself`,
      cause: e,
    });
  }
}
