/**
 * `--commit`: a use case commits exactly the files it changed, with a
 * message that says what happened. Whether git can commit is asked before
 * anything is written, so that a missing identity or a folder outside git
 * changes nothing; what git refuses only at the commit (a pre-commit hook)
 * leaves the change written, and the error says so and how to finish.
 */
import { existsSync } from "node:fs";
import { GitError, LockstepError } from "../errors.js";
import { commitPaths, commitProblem, uncommittedFiles } from "../storage/git.js";
import { isTracked } from "../storage/git-files.js";
import type { Session } from "./session.js";

/**
 * Fails, before anything is written, when git cannot commit in the repository,
 * or when any of `paths` (repository-relative files or folders the command
 * may change) already has changes not committed: the commit would carry them
 * under this command's message (an earlier `rotate` swept into a "promote").
 * @throws LockstepError `NOT_COMMITTED` (nothing written) naming why and the fix.
 */
export async function ensureCanCommit(session: Session, paths: readonly string[] = []): Promise<void> {
  const problem = await commitProblem(session.root);
  if (problem) {
    throw new LockstepError("NOT_COMMITTED", `cannot --commit: ${problem.reason}; nothing was changed`, {
      fix: problem.fix,
    });
  }
  const pending = paths.length > 0 ? await uncommittedFiles(session.root, paths) : [];
  if (pending.length > 0) {
    const shown = pending.slice(0, 3).join(", ") + (pending.length > 3 ? ` and ${pending.length - 3} more` : "");
    throw new LockstepError(
      "NOT_COMMITTED",
      `cannot --commit: ${shown} already ${pending.length === 1 ? "has" : "have"} changes that are not committed, which this commit would carry; nothing was changed`,
      {
        fix: "commit those changes first (`git commit`), or run the command without --commit and commit it all yourself",
      },
    );
  }
}

/**
 * Commits exactly `paths` (repository-relative) with `message`; returns the
 * commit's hash.
 * @throws LockstepError `NOT_COMMITTED`: the change is written but not
 *   committed; the fix is the git command that finishes it.
 */
export async function commitChange(session: Session, paths: readonly string[], message: string): Promise<string> {
  try {
    return await commitPaths(session.root, paths, message);
  } catch (e) {
    if (!(e instanceof GitError)) throw e;
    const subject = message.split("\n")[0] ?? "";
    const said = e.stderr
      .trim()
      .split("\n")
      .filter((l) => l.trim() !== "")
      .slice(0, 5)
      .join("; ");
    throw new LockstepError(
      "NOT_COMMITTED",
      `the change is written but not committed: git said: ${said || e.message}`,
      {
        fix: `once git can commit, finish it: git -C ${shellQuote(session.root)} commit -m ${shellQuote(subject)} -- ${paths.map(shellQuote).join(" ")}`,
        cause: e,
      },
    );
  }
}

/** A word for sh, quoted only when it needs to be. */
function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * For the writing use cases' `commit` option: commits `paths` (as far as git
 * can record them, {@link commitWritten}) with `message` and returns
 * `result` with the commit's hash, or `result` as it is when not asked to
 * or nothing changed (no paths).
 * @throws LockstepError `NOT_COMMITTED`, as {@link commitChange}.
 */
export async function commitIfAsked<R extends object>(
  session: Session,
  commit: boolean | undefined,
  result: R,
  paths: readonly string[],
  message: string,
): Promise<R & { commit?: string }> {
  if (!commit || paths.length === 0) return result;
  const hash = await commitWritten(session, [...new Set(paths)], message);
  return hash === undefined ? result : { ...result, commit: hash };
}

/**
 * Of `paths` (files written or removed), those git can record: a removed
 * file that git never tracked is left out.
 */
export async function committable(session: Session, paths: readonly string[]): Promise<string[]> {
  const kept: string[] = [];
  for (const p of paths) {
    if (existsSync(session.files.abs(p)) || (await isTracked(session.root, p))) kept.push(p);
  }
  return kept;
}

/**
 * Commits the files a lifecycle command wrote or removed, as far as git can
 * record them ({@link committable}); `undefined` when there is nothing to
 * record (a file git never tracked, removed again).
 * @throws LockstepError `NOT_COMMITTED` as {@link commitChange}.
 */
export async function commitWritten(
  session: Session,
  paths: readonly string[],
  message: string,
): Promise<string | undefined> {
  const kept = await committable(session, paths);
  return kept.length === 0 ? undefined : commitChange(session, kept, message);
}
