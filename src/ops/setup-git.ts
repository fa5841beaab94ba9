/**
 * `setup-git`: makes git merge secret manifests with lockstep's merge driver
 * (merge-driver.ts) instead of by lines: `.gitattributes` (committed, for
 * everyone) names the driver for `secrets/**.yaml`, and the repository's own
 * git configuration (each clone's, not committed) says how to run it.
 */

import { LockstepError } from "../errors.js";
import { readTextIfExists } from "../storage/fs.js";
import { workTreeRoot } from "../storage/git.js";
import { configValue, setConfigValue } from "../storage/git-files.js";
import type { RepositoryFiles } from "../storage/layout.js";
import type { Session } from "./session.js";

/** The attribute line: every manifest goes through the `lockstep` driver. */
export const MERGE_ATTRIBUTE = "secrets/**/*.yaml merge=lockstep";

/** Options of {@link setupGit}. */
export interface SetupGitOptions {
  /** How git starts lockstep (default `lockstep`): the driver runs `COMMAND merge-driver %O %A %B %P`. */
  command?: string;
}

/** What `setup-git` did. */
export interface SetupGitResult {
  /** `.gitattributes`, repository-relative, and whether it was changed. */
  attributes: { file: string; changed: boolean };
  /** The driver command now in the git configuration, and whether it was changed. */
  driver: { command: string; changed: boolean };
}

/**
 * Writes `.gitattributes` and the git configuration for the merge driver.
 * @throws LockstepError `GIT` when the repository is not in a git work tree.
 */
export async function setupGit(session: Session, options: SetupGitOptions = {}): Promise<SetupGitResult> {
  return setupGitAt(session.files, options);
}

/** {@link setupGit} for a repository's files (init uses it before a session exists). */
export async function setupGitAt(files: RepositoryFiles, options: SetupGitOptions = {}): Promise<SetupGitResult> {
  if ((await workTreeRoot(files.root)) === undefined) {
    throw new LockstepError("GIT", `${files.root} is not in a git work tree`, {
      fix: "run `git init` (or clone the secrets repository) first",
    });
  }
  const rel = ".gitattributes";
  const text = (await readTextIfExists(files.abs(rel))) ?? "";
  const has = text.split("\n").some((l) => l.trim() === MERGE_ATTRIBUTE);
  if (!has) {
    const sep = text === "" || text.endsWith("\n") ? "" : "\n";
    await files.writeText(
      rel,
      `${text}${sep}# lockstep merges secret manifests (lockstep setup-git)\n${MERGE_ATTRIBUTE}\n`,
    );
  }
  const command = `${options.command ?? "lockstep"} merge-driver %O %A %B %P`;
  const before = await configValue(files.root, "merge.lockstep.driver");
  if (before !== command) {
    await setConfigValue(files.root, "merge.lockstep.name", "lockstep secret manifests");
    await setConfigValue(files.root, "merge.lockstep.driver", command);
  }
  return { attributes: { file: rel, changed: !has }, driver: { command, changed: before !== command } };
}
