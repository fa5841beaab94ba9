/**
 * `restore`: brings a deleted secret back from Git history, its manifest
 * byte for byte as it was: versions, stages and metadata intact.
 */
import { LockstepError } from "../errors.js";
import { commitOf, fileAt, lastDeletion } from "../storage/git-files.js";
import { readManifest, writeManifestText } from "../storage/manifests.js";
import { commitWritten, ensureCanCommit } from "./commit.js";
import type { Session } from "./session.js";

/** Options of {@link restoreSecret}. */
export interface RestoreOptions {
  /** The revision to take it from (default: HEAD if it is there, else the commit before its last deletion). */
  from?: string;
  /** Commit the restored manifest. */
  commit?: boolean;
}

/** What `restore` did. */
export interface RestoreResult {
  id: string;
  file: string;
  /** The commit it was taken from. */
  from: string;
  versions: number[];
  stages: Record<string, number>;
  /** With `commit`: the commit that recorded it. */
  commit?: string;
}

/**
 * Writes a deleted secret's manifest back as it was at a revision.
 * @throws LockstepError `ALREADY_EXISTS` if the secret exists, `UNKNOWN_SECRET` if history has no such manifest (at `from`); FileFormatError if what history holds is not a valid manifest; GitError.
 */
export async function restoreSecret(
  session: Session,
  options: RestoreOptions & { id: string },
): Promise<RestoreResult> {
  const sid = session.secretId(options.id);
  const file = session.files.manifestFile(sid.id);
  if (options.commit) await ensureCanCommit(session);
  const result = await session.files.withLock(file, async () => {
    if (await readManifest(session.files, sid.id)) {
      throw new LockstepError("ALREADY_EXISTS", `${sid.id} exists: there is nothing to restore`, {
        file,
        fix: `to go back to an older state of it, use \`lockstep rollback\`; to bring back a removed version, \`git show REV:${file}\``,
      });
    }
    const rev = options.from ?? (await defaultRevision(session.root, file, sid.id));
    let from: string;
    try {
      from = await commitOf(session.root, rev);
    } catch {
      throw new LockstepError("USAGE", `unknown revision "${rev}"`, {
        fix: "pass a commit, branch or tag that exists here",
      });
    }
    const text = await fileAt(session.root, from, file);
    if (text === undefined) {
      throw new LockstepError("UNKNOWN_SECRET", `${file} does not exist at ${rev}`, {
        file,
        fix: `leave out --from to take it from before its last deletion, or find one with \`git log --all -- ${file}\``,
      });
    }
    const m = await writeManifestText(session.files, sid.id, text);
    return {
      id: sid.id,
      file,
      from,
      versions: m.data.versions.map((v) => v.version).sort((a, b) => a - b),
      stages: m.data.stages,
    };
  });
  if (!options.commit) return result;
  const commit = await commitWritten(session, [file], `lockstep restore: ${sid.id}\n\nAs it was at ${result.from}.\n`);
  return commit === undefined ? result : { ...result, commit };
}

/** HEAD when the manifest is there (deleted in the working tree only), else the parent of its last deletion. */
async function defaultRevision(root: string, file: string, id: string): Promise<string> {
  if ((await fileAt(root, "HEAD", file).catch(() => undefined)) !== undefined) return "HEAD";
  const deletion = await lastDeletion(root, file).catch(() => undefined);
  if (deletion === undefined) {
    throw new LockstepError("UNKNOWN_SECRET", `no secret ${id} in Git history: no commit deleted ${file}`, {
      file,
      fix: `list what can be restored with \`lockstep audit --kind deleted\`; pass --from REV for a manifest that is only on another branch`,
    });
  }
  return `${deletion}^`;
}
