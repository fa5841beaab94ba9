/**
 * The one module that runs git (through simple-git).
 */
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
