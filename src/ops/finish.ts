/**
 * `rotate --finish`: retires the previous credential of a secret whose
 * rotation changes it where it lives, once the last stage has the new
 * version and `rotation.revokeAfter` has passed; the retired versions are
 * marked `revoked`.
 */
import type { SecretManifest } from "../core/model.js";
import { appliesCredential, checkRotationSettings, finishWait } from "../core/rotation.js";
import { LockstepError } from "../errors.js";
import type { Credential, RotationOutcome } from "../rotation/steps.js";
import { stampManifestVersions } from "../storage/manifests.js";
import { commitIfAsked, ensureCanCommit } from "./commit.js";
import { stepContext, timestamp } from "./rotate-credential.js";
import type { Session } from "./session.js";

/** What finish did. */
export interface FinishResult {
  id: string;
  /** The manifest, repository-relative. */
  file: string;
  /** The version whose credential was retired. */
  previous: number;
  /** The version the last stage has. */
  current: number;
  /** What the finish step reported, scrubbed of values. */
  notes: RotationOutcome["notes"];
  /** With `commit`: the commit that recorded it. */
  commit?: string;
}

/**
 * Retires the previous credential.
 * @throws LockstepError `ROLLOUT_REFUSED` (nothing to finish yet, or before
 *   revokeAfter), `ROTATION_FAILED` (the finish step failed: nothing recorded).
 */
export async function finishRotation(
  session: Session,
  options: { id: string; commit?: boolean },
): Promise<FinishResult> {
  if (options.commit) await ensureCanCommit(session, [session.files.manifestFile(session.secretId(options.id).id)]);
  const r = await finishOnly(session, options.id);
  const message = `lockstep rotate --finish: ${r.id} retired the credential of version ${r.previous} (the last stage has version ${r.current})\n`;
  return commitIfAsked(session, options.commit, r, [r.file], message);
}

async function finishOnly(session: Session, id: string): Promise<FinishResult> {
  const sid = session.secretId(id);
  const manifest = await session.manifest(sid.id);
  const m = manifest.data;
  if (!appliesCredential(m.rotation)) {
    throw new LockstepError(
      "ROLLOUT_REFUSED",
      `${sid.id} has no credential to retire: its rotation strategy is generate`,
      {
        file: manifest.file,
        fix: "finish is for rotation.strategy hook or postgres, which change the credential where it lives",
      },
    );
  }
  checkRotationSettings(m.rotation, sid.id, manifest.file);
  const wait = finishWait(sid.environment, m, session.now());
  if (!wait) throw nothingToFinish(sid.id, sid.environment.stages.at(-1)?.name ?? "", m, manifest.file);
  if (!wait.ready) {
    throw new LockstepError(
      "ROLLOUT_REFUSED",
      `${sid.id}: revokeAfter (${m.rotation?.revokeAfter}) has not passed since version ${wait.current} reached the last stage: finish from ${wait.due}`,
      { file: manifest.file, fix: `run \`lockstep rotate ${sid.id} --finish\` from ${wait.due}` },
    );
  }
  const context = await stepContext(session, sid.id, manifest);
  const { runFinish } = await import("../rotation/steps.js");
  const { rotatorFor } = await import("../rotation/strategy.js");
  const rotator = rotatorFor(m.rotation, { cwd: session.root, generate: () => "", now: session.now });
  const notes = await runFinish(rotator, { ...context, previous: context.previous as Credential });
  const when = timestamp(session.now());
  await session.files.withLock(manifest.file, async () => {
    const fresh = await session.manifest(sid.id);
    const retired = fresh.data.versions.filter((v) => v.version <= wait.previous && v.revoked === undefined);
    await stampManifestVersions(
      session.files,
      fresh,
      retired.map((v) => ({ version: v.version, key: "revoked" as const, when })),
    );
  });
  return { id: sid.id, file: manifest.file, previous: wait.previous, current: wait.current, notes };
}

/** Why there is nothing to finish. */
function nothingToFinish(id: string, last: string, m: SecretManifest, file: string): LockstepError {
  const newest = Math.max(...m.versions.map((v) => v.version));
  const atLast = m.stages[last];
  if (atLast !== undefined && atLast < newest) {
    return new LockstepError(
      "ROLLOUT_REFUSED",
      `${id}: the last stage (${last}) is on version ${atLast}; finish retires the previous credential once it has version ${newest}`,
      { file, fix: `promote it first: \`lockstep promote ${id}\`` },
    );
  }
  return new LockstepError("ROLLOUT_REFUSED", `${id}: no previous credential waits to be retired`, {
    file,
    fix: "finish follows a rotation: `lockstep rotate`, promote to the last stage, then `lockstep rotate --finish`",
  });
}
