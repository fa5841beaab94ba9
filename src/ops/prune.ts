/**
 * `prune`: drops old versions from a manifest. Never a version a stage
 * points at, nor one newer than every stage's (pending: on its way out),
 * nor, for a rotation strategy that changes the credential where it lives,
 * one whose credential still works there (`rotate --finish` needs it);
 * of the rest, the `keep` newest stay. Git history still holds what goes.
 */
import { appliesCredential } from "../core/rotation.js";
import { UsageError } from "../errors.js";
import { removeManifestVersions } from "../storage/manifests.js";
import { commitWritten, ensureCanCommit } from "./commit.js";
import type { Session } from "./session.js";

/** Options of {@link pruneSecret}. */
export interface PruneOptions {
  /** How many of the newest versions to keep besides live and pending ones (0 or more). */
  keep: number;
  /** Commit the pruned manifest. */
  commit?: boolean;
}

/** What `prune` did. */
export interface PruneResult {
  id: string;
  file: string;
  /** Versions removed, oldest first. */
  removed: number[];
  /** Versions kept, oldest first. */
  kept: number[];
  commit?: string;
}

/**
 * Which versions prune removes: all but the `keep` newest, the live ones
 * (a stage points at them), the pending ones (newer than every stage's) and
 * those in `working` (credentials not yet retired where they live).
 */
export function prunable(
  versions: readonly number[],
  stages: Record<string, number>,
  keep: number,
  working: ReadonlySet<number> = new Set(),
): number[] {
  const live = new Set(Object.values(stages));
  const newestLive = Math.max(0, ...live);
  const newest = new Set([...versions].sort((a, b) => b - a).slice(0, keep));
  return versions
    .filter((v) => !live.has(v) && v < newestLive && !newest.has(v) && !working.has(v))
    .sort((a, b) => a - b);
}

/**
 * Removes old versions of a secret that no stage points at.
 * @throws UsageError for a negative `keep`; LockstepError `UNKNOWN_SECRET`; GitError with `commit`.
 */
export async function pruneSecret(session: Session, options: PruneOptions & { id: string }): Promise<PruneResult> {
  if (!Number.isInteger(options.keep) || options.keep < 0) {
    throw new UsageError("--keep takes a whole number, 0 or more");
  }
  const sid = session.secretId(options.id);
  const file = session.files.manifestFile(sid.id);
  if (options.commit) await ensureCanCommit(session);
  const result = await session.files.withLock(file, async () => {
    const m = await session.manifest(sid.id);
    const all = m.data.versions.map((v) => v.version);
    const working = appliesCredential(m.data.rotation)
      ? new Set(m.data.versions.filter((v) => v.revoked === undefined).map((v) => v.version))
      : new Set<number>();
    const removed = prunable(all, m.data.stages, options.keep, working);
    if (removed.length > 0) await removeManifestVersions(session.files, m, new Set(removed));
    const kept = all.filter((v) => !removed.includes(v)).sort((a, b) => a - b);
    return { id: sid.id, file, removed, kept };
  });
  if (!options.commit || result.removed.length === 0) return result;
  const commit = await commitWritten(
    session,
    [file],
    `lockstep prune: ${sid.id}: versions ${result.removed.join(", ")} removed\n\nGit history still holds them.\n`,
  );
  return commit === undefined ? result : { ...result, commit };
}
