/**
 * The one module that runs git (through simple-git).
 */
import { realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { simpleGit } from "simple-git";

/** Whether `dir` is inside a git work tree. */
export async function isInsideWorkTree(dir: string): Promise<boolean> {
  try {
    return (await simpleGit({ baseDir: dir }).revparse(["--is-inside-work-tree"])).trim() === "true";
  } catch {
    return false;
  }
}

/** Makes `dir` a git repository if it is not inside one; returns whether it did. */
export async function ensureGitRepository(dir: string): Promise<boolean> {
  if (await isInsideWorkTree(dir)) return false;
  await simpleGit({ baseDir: dir }).init();
  return true;
}

/**
 * Commits exactly `paths` (relative to `dir`) with `message`. Other staged
 * or unstaged changes are left as they are.
 */
export async function commitPaths(dir: string, paths: readonly string[], message: string): Promise<string> {
  const git = simpleGit({ baseDir: dir });
  await git.add([...paths]);
  const result = await git.commit(message, [...paths]);
  return result.commit;
}

/** The top of the git work tree holding `dir`, or undefined outside one. */
export async function workTreeRoot(dir: string): Promise<string | undefined> {
  try {
    return (await simpleGit({ baseDir: dir }).revparse(["--show-toplevel"])).trim();
  } catch {
    return undefined;
  }
}

/** The files git tracks under `dir`, relative to it, `/`-separated. */
export async function trackedFiles(dir: string): Promise<string[]> {
  try {
    const out = await simpleGit({ baseDir: dir }).raw(["ls-files", "-z", "--", "."]);
    return out.split("\0").filter((f) => f !== "");
  } catch {
    return [];
  }
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
