/**
 * `resolve ID`: finishes what the merge driver left for want of a key: each
 * version it renumbered (`mergedFrom`) is re-encrypted bound to its new
 * number, and a file git still holds as conflicted is marked resolved
 * (`git add`), ready for `git commit` or `git rebase --continue`.
 */
import type { SecretVersion } from "../core/model.js";
import { LockstepError, NoIdentityError } from "../errors.js";
import { addPaths, isUnmerged } from "../storage/git-files.js";
import { replaceManifestVersions } from "../storage/manifests.js";
import type { Session } from "./session.js";
import { rebindVersion } from "./versions.js";

/** What `resolve` did. */
export interface ResolveResult {
  id: string;
  file: string;
  /** The versions re-encrypted under their new numbers. */
  versions: number[];
  /** Whether the file was marked resolved in git's index. */
  staged: boolean;
}

/**
 * Re-encrypts a secret's merge-renumbered versions and marks the file resolved.
 * @throws LockstepError `UNKNOWN_SECRET`, `CONFLICT` (conflict markers: not the driver's work); NoIdentityError (exit 3) naming who can.
 */
export async function resolveSecret(session: Session, options: { id: string }): Promise<ResolveResult> {
  const sid = session.secretId(options.id);
  const file = session.files.manifestFile(sid.id);
  try {
    await session.manifest(sid.id);
  } catch (e) {
    if (e instanceof LockstepError && e.code === "YAML_INVALID") {
      throw new LockstepError(
        "CONFLICT",
        `${file} holds a line merge's conflict markers, not the merge driver's work`,
        {
          file,
          fix: "resolve it by hand (keep one side's manifest), or set up the driver with `lockstep setup-git` and merge again",
          cause: e,
        },
      );
    }
    throw e;
  }
  const versions = await session.files.withLock(file, async () => {
    const current = await session.manifest(sid.id);
    const updates = new Map<number, SecretVersion>();
    for (const v of current.data.versions) {
      if (v.mergedFrom === undefined) continue;
      try {
        updates.set(v.version, await rebindVersion(session, sid.id, v, file));
      } catch (e) {
        if (!(e instanceof NoIdentityError)) throw e;
        throw new NoIdentityError(
          `${sid.id} version ${v.version}: none of your identities opens it; nothing was written`,
          {
            file,
            fix: `ask one of its readers to run \`lockstep resolve ${sid.id}\`: ${[...new Set(v.recipients.map((r) => r.member))].join(", ")}`,
            cause: e,
          },
        );
      }
    }
    if (updates.size > 0) await replaceManifestVersions(session.files, current, updates);
    return [...updates.keys()].sort((a, b) => a - b);
  });
  const staged = await isUnmerged(session.root, file);
  if (staged) await addPaths(session.root, [file]);
  return { id: sid.id, file, versions, staged };
}
