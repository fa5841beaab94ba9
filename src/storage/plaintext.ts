/**
 * Where plaintext may be written: stdout, a child process, or an explicit
 * path outside the repository's working tree (unless forced).
 */
import { realpath } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { LockstepError } from "../errors.js";
import { workTreeRoot } from "./git.js";

async function real(path: string): Promise<string> {
  // The path may not exist yet: resolve the nearest folder that does.
  try {
    return await realpath(path);
  } catch {
    const up = dirname(path);
    return up === path ? path : resolve(await real(up), relative(up, path));
  }
}

/**
 * Refuses a plaintext output path inside the working tree of the secrets
 * repository (`root`), where it could be committed by mistake.
 * @throws LockstepError `USAGE` unless `force`.
 */
export async function assertOutsideWorkTree(root: string, path: string, force: boolean): Promise<string> {
  const target = await real(resolve(path));
  if (force) return target;
  const tree = await real((await workTreeRoot(root)) ?? root);
  const rel = relative(tree, target);
  if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) {
    throw new LockstepError(
      "USAGE",
      `refusing to write plaintext to ${path}: it is inside the repository's working tree`,
      {
        fix: "write outside the repository (e.g. under /run or $RUNNER_TEMP), or pass --force if you know it is ignored",
      },
    );
  }
  return target;
}
