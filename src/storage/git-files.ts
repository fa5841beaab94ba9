/**
 * Git questions and edits about single files of the secrets repository, for
 * the lifecycle commands (rm, restore, mv, prune, resolve, setup-git). Every
 * call goes through git.ts's runner. Paths are relative to the folder given
 * (git reads `REV:./path` relative to it).
 */
import { GitError } from "../errors.js";
import { gitText, runGit } from "./git.js";

/** Whether git tracks `path` (in the index); false outside a work tree. */
export async function isTracked(dir: string, path: string): Promise<boolean> {
  try {
    return (await runGit(dir, ["ls-files", "--error-unmatch", "--", path], { answers: [1] })).exitCode === 0;
  } catch (e) {
    if (e instanceof GitError) return false;
    throw e;
  }
}

/** The text of `path` at `rev`, or `undefined` when it is not there. */
export async function fileAt(dir: string, rev: string, path: string): Promise<string | undefined> {
  const spec = `${rev}:./${path}`;
  const exists = await runGit(dir, ["cat-file", "-e", spec], { answers: [1, 128] });
  if (exists.exitCode !== 0) return undefined;
  return gitText(dir, ["cat-file", "blob", spec]);
}

/** The newest commit (from HEAD) that deleted `path`, or `undefined`. */
export async function lastDeletion(dir: string, path: string): Promise<string | undefined> {
  const out = await gitText(dir, ["log", "-1", "--format=%H", "--diff-filter=D", "HEAD", "--", path]);
  return out.trim() || undefined;
}

/** The full hash of a commit-ish. @throws GitError if it names none. */
export async function commitOf(dir: string, rev: string): Promise<string> {
  return (await gitText(dir, ["rev-parse", "--verify", "-q", `${rev}^{commit}`])).trim();
}

/** Whether `path` is in the middle of a merge (unmerged entries in the index). */
export async function isUnmerged(dir: string, path: string): Promise<boolean> {
  try {
    return (await gitText(dir, ["ls-files", "-u", "--", path])).trim() !== "";
  } catch (e) {
    if (e instanceof GitError) return false;
    throw e;
  }
}

/** `git add` of paths (marks a resolved conflict as resolved). */
export async function addPaths(dir: string, paths: readonly string[]): Promise<void> {
  await runGit(dir, ["add", "--", ...paths]);
}

/** A git configuration value of the repository, or `undefined`. */
export async function configValue(dir: string, key: string): Promise<string | undefined> {
  const r = await runGit(dir, ["config", "--get", key], { answers: [1] });
  return r.exitCode === 0 ? r.stdout.toString("utf8").trim() : undefined;
}

/** Sets a git configuration value in the repository's own configuration (.git/config). */
export async function setConfigValue(dir: string, key: string, value: string): Promise<void> {
  await runGit(dir, ["config", "--local", key, value]);
}
