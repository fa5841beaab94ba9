/**
 * The module that runs git: simple-git for the commands that change the
 * repository, and git directly for read-only queries (tracked files, the
 * work tree), which `check` asks on every run and where loading simple-git
 * would cost more than the query (as git-history.ts does for `audit`).
 */
import { execFile } from "node:child_process";
import { realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";

/** simple-git, loaded on first use. */
async function git(dir: string) {
  const { simpleGit } = await import("simple-git");
  return simpleGit({ baseDir: dir });
}

/** The output of a read-only git query in `dir`, or `undefined` if git fails (or is missing). */
function query(dir: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("git", args, { cwd: dir, encoding: "utf8", maxBuffer: 1 << 28 }, (error, stdout) =>
      resolve(error ? undefined : stdout),
    );
  });
}

/** Whether `dir` is inside a git work tree. */
export async function isInsideWorkTree(dir: string): Promise<boolean> {
  return (await query(dir, ["rev-parse", "--is-inside-work-tree"]))?.trim() === "true";
}

/** The branch `init` creates, which the generated workflows deploy from. */
export const INITIAL_BRANCH = "main";

/**
 * Makes `dir` a git repository if it is not inside one, on branch `main`
 * whatever git's own default; returns whether it did.
 */
export async function ensureGitRepository(dir: string): Promise<boolean> {
  if (await isInsideWorkTree(dir)) return false;
  const repo = await git(dir);
  await repo.init();
  // `git init -b` needs git 2.28; pointing the unborn HEAD at main works with any git.
  await repo.raw(["symbolic-ref", "HEAD", `refs/heads/${INITIAL_BRANCH}`]);
  return true;
}

/**
 * The repository's default branch: the remote's (`origin/HEAD`), else the
 * branch checked out, else `main`.
 */
export async function defaultBranch(dir: string): Promise<string> {
  const remote = (await query(dir, ["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"]))?.trim();
  if (remote?.startsWith("origin/")) return remote.slice("origin/".length);
  const head = (await query(dir, ["symbolic-ref", "--quiet", "--short", "HEAD"]))?.trim();
  return head || INITIAL_BRANCH;
}

/**
 * Commits exactly `paths` (relative to `dir`) with `message`. Other staged
 * or unstaged changes are left as they are.
 */
export async function commitPaths(dir: string, paths: readonly string[], message: string): Promise<string> {
  const repo = await git(dir);
  await repo.add([...paths]);
  const result = await repo.commit(message, [...paths]);
  return result.commit;
}

/** The top of the git work tree holding `dir`, or undefined outside one. */
export async function workTreeRoot(dir: string): Promise<string | undefined> {
  return (await query(dir, ["rev-parse", "--show-toplevel"]))?.trim();
}

/** The files git tracks under `dir`, relative to it, `/`-separated. */
export async function trackedFiles(dir: string): Promise<string[]> {
  const out = await query(dir, ["ls-files", "-z", "--", "."]);
  return (out ?? "").split("\0").filter((f) => f !== "");
}

/**
 * Where `.github/CODEOWNERS` lives for the secrets repository at `root` (the
 * git work tree's top, or `root` outside git), and `root`'s path from there
 * (`""`, or ending in `/`), which CODEOWNERS patterns start with.
 */
export async function codeownersPlace(root: string): Promise<{ file: string; prefix: string }> {
  const top = (await workTreeRoot(root)) ?? root;
  const rel = relative(await realpath(top), await realpath(root))
    .split(sep)
    .join("/");
  return { file: join(top, ".github", "CODEOWNERS"), prefix: rel === "" ? "" : `${rel}/` };
}
