/**
 * `rm`: deletes a secret. A secret that a consumer still deploys is kept
 * unless forced: its deploy would fail, or silently lose the variable.
 * Git history keeps every version (`restore` brings it back); `audit`
 * shows the deletion.
 */
import { servesConsumer } from "../core/status.js";
import { LockstepError } from "../errors.js";
import { deleteManifest } from "../storage/manifests.js";
import { commitWritten, ensureCanCommit } from "./commit.js";
import type { Session } from "./session.js";

/** Options of {@link removeSecret}. */
export interface RemoveSecretOptions {
  /** Delete it even while consumers still deploy it. */
  force?: boolean;
  /** Commit the deletion. */
  commit?: boolean;
}

/** What `rm` did. */
export interface RemoveSecretResult {
  id: string;
  /** The manifest removed, repository-relative. */
  file: string;
  /** The versions it had (Git history still holds them). */
  versions: number[];
  /** The consumers that deployed it, by stage (only with `force`). */
  deployedTo: { stage: string; consumers: string[] }[];
  /** With `commit`: the commit that recorded the deletion (none if git never tracked the file). */
  commit?: string;
}

/**
 * Deletes a secret's manifest.
 * @throws LockstepError `UNKNOWN_SECRET`; `ROLLOUT_REFUSED` while a consumer deploys it and `force` is not set; GitError with `commit`.
 */
export async function removeSecret(
  session: Session,
  options: RemoveSecretOptions & { id: string },
): Promise<RemoveSecretResult> {
  const sid = session.secretId(options.id);
  const file = session.files.manifestFile(sid.id);
  if (options.commit) await ensureCanCommit(session);
  const result = await session.files.withLock(file, async () => {
    const m = await session.manifest(sid.id);
    const deployedTo = sid.environment.stages
      .map((s) => ({ stage: s.name, consumers: (s.consumers ?? []).filter((c) => servesConsumer(m.data, c)) }))
      .filter((s) => s.consumers.length > 0);
    if (deployedTo.length > 0 && !options.force) {
      const where = deployedTo.map((d) => `${d.consumers.join(", ")} (${d.stage})`).join("; ");
      throw new LockstepError("ROLLOUT_REFUSED", `${sid.id} is still deployed to ${where}`, {
        file,
        fix: `stop deploying it first (list no consumers in its manifest, \`consumers: []\`, and deploy), or pass --force to delete it anyway`,
      });
    }
    await deleteManifest(session.files, sid.id);
    return { id: sid.id, file, versions: m.data.versions.map((v) => v.version).sort((a, b) => a - b), deployedTo };
  });
  if (!options.commit) return result;
  const commit = await commitWritten(
    session,
    [file],
    `lockstep rm: ${sid.id}\n\nVersions ${result.versions.join(", ")} stay in Git history.\n`,
  );
  return commit === undefined ? result : { ...result, commit };
}
