/**
 * Where each version's credential stands in a rotation, against the stages
 * (no I/O). For strategies that apply a credential where it lives (`hook`,
 * `postgres`):
 *
 * - current: the version the last stage points at;
 * - pending: newer versions some earlier stage points at (canary);
 * - previous: the newest version below current whose credential was not
 *   retired. It still works, so stable consumers that have not restarted
 *   keep working, until `rotate --finish` retires it;
 * - revoked: versions whose credential was retired (`revoked` in the
 *   manifest). No stage may point at one again.
 *
 * A rotation keeps the current credential working beside the new one, and
 * only those two: every other version's credential is retired by it (with
 * alternating users, the previous version's role gets the new password).
 */
import { LockstepError } from "../errors.js";
import { parseDuration } from "./duration.js";
import type { EnvironmentConfig, RotationStrategy, SecretManifest, SecretRotation, SecretVersion } from "./model.js";
import { type StagePolicy, stageNames, stagesForNewVersion } from "./stages.js";

/** The strategy of a secret's rotation (default `generate`). */
export function strategyOf(rotation: SecretRotation | undefined): RotationStrategy {
  return rotation?.strategy ?? "generate";
}

/** Whether rotation changes the credential where it lives (so versions are retired, and finish exists). */
export function appliesCredential(rotation: SecretRotation | undefined): boolean {
  return strategyOf(rotation) !== "generate";
}

/** Whether the strategy keeps no overlap: the postgres strategy's single-user mode. */
export function hasNoOverlap(rotation: SecretRotation | undefined): boolean {
  return strategyOf(rotation) === "postgres" && rotation?.postgres?.users === "single";
}

/**
 * Checks the parts of `rotation` its schema cannot: each strategy has what
 * it needs.
 * @param id the secret's id (its admin must be another secret)
 * @param file the manifest, for the error
 * @throws LockstepError `INVALID_VALUE` naming the file and the key to add.
 */
export function checkRotationSettings(rotation: SecretRotation | undefined, id: string, file: string): void {
  const strategy = strategyOf(rotation);
  const missing = (key: string, example: string) =>
    new LockstepError("INVALID_VALUE", `${id}: rotation strategy ${strategy} needs rotation.${key}`, {
      file,
      fix: `add it to ${file}, e.g.\n${example}`,
    });
  if (strategy === "hook" && rotation?.hooks === undefined) {
    throw missing("hooks", "rotation:\n  strategy: hook\n  hooks:\n    set: ./rotation/set.sh");
  }
  if (strategy === "postgres" && rotation?.admin === undefined) {
    throw missing("admin", "rotation:\n  strategy: postgres\n  admin: production/db/admin");
  }
  if (rotation?.admin === id) {
    throw new LockstepError("INVALID_VALUE", `${id}: rotation.admin names the secret itself`, {
      file,
      fix: "name the secret that holds the admin credential, another one",
    });
  }
}

/** Where the versions of a secret stand. */
export interface CredentialStates {
  /** The version the last stage points at. */
  current: number;
  /** Newer versions that an earlier stage points at, oldest first. */
  pending: number[];
  /** The newest version below current whose credential was not retired. */
  previous?: number;
  /** Versions whose credential was retired, newest first. */
  revoked: number[];
}

/** The states of a secret's versions (only meaningful when {@link appliesCredential}). */
export function credentialStates(env: EnvironmentConfig, manifest: SecretManifest): CredentialStates {
  const names = stageNames(env);
  const last = names[names.length - 1];
  const current = (last !== undefined ? manifest.stages[last] : undefined) ?? newest(manifest);
  const pending = [...new Set(Object.values(manifest.stages))].filter((v) => v > current).sort((a, b) => a - b);
  const revoked = manifest.versions.filter((v) => v.revoked !== undefined).map((v) => v.version);
  const previous = manifest.versions
    .filter((v) => v.version < current && v.revoked === undefined)
    .reduce<number | undefined>((best, v) => (best === undefined || v.version > best ? v.version : best), undefined);
  return { current, pending, ...(previous !== undefined && { previous }), revoked };
}

/** A previous credential waiting for `rotate --finish`. */
export interface FinishWait {
  /** The version whose credential finish retires. */
  previous: number;
  /** The version the last stage has. */
  current: number;
  /** When the last stage got `current` (its `released`, else its `created`). */
  since: string;
  /** When revokeAfter has passed (= `since` without revokeAfter). */
  due: string;
  /** Whether finish may run now. */
  ready: boolean;
}

/**
 * The previous credential waiting for finish, if any (only for strategies
 * that apply credentials). While a new version rolls out, nothing waits:
 * its rotation retired every credential but the current one.
 */
export function finishWait(env: EnvironmentConfig, manifest: SecretManifest, now: Date): FinishWait | undefined {
  if (!appliesCredential(manifest.rotation)) return undefined;
  const states = credentialStates(env, manifest);
  if (states.previous === undefined) return undefined;
  const current = versionOf(manifest, states.current);
  const since = current?.released ?? current?.created ?? now.toISOString();
  const wait = manifest.rotation?.revokeAfter === undefined ? 0 : parseDuration(manifest.rotation.revokeAfter);
  const dueMs = Date.parse(since) + wait;
  return {
    previous: states.previous,
    current: states.current,
    since,
    due: new Date(dueMs).toISOString().replace(/\.000Z$/, "Z"),
    ready: now.getTime() >= dueMs,
  };
}

/** What a rotation will do to the stages and the older credentials. */
export interface RotationPlan {
  /** The stages that move to the new version. */
  stages: Record<string, number>;
  /** Versions whose credential the rotation retires (to be marked `revoked`). */
  retires: number[];
}

/**
 * Plans the rotation of a secret whose strategy applies credentials: which
 * stages get version `version`, and which credentials stop working.
 *
 * @throws LockstepError `ROLLOUT_REFUSED` when a stage would be left on a
 *   credential the rotation retires: another rotation is still rolling out
 *   (a middle stage between the new version and the current one), or, in
 *   single-user mode, any stage would keep the old version.
 */
export function planRotation(
  env: EnvironmentConfig,
  manifest: SecretManifest,
  version: number,
  policy: StagePolicy,
  id: string,
): RotationPlan {
  const moved = stagesForNewVersion(env, version, policy);
  const after = { ...manifest.stages, ...moved };
  const { current } = credentialStates(env, manifest);
  const single = hasNoOverlap(manifest.rotation);
  const keeps = new Set(single ? [version] : [version, current]);
  const stranded = stageNames(env).filter((s) => after[s] !== undefined && !keeps.has(after[s] as number));
  if (stranded.length > 0) {
    const listed = stranded.map((s) => `${s} (version ${after[s]})`).join(", ");
    throw new LockstepError(
      "ROLLOUT_REFUSED",
      single
        ? `${id}: single-user rotation changes the one password at once, and ${listed} would keep the old one`
        : `${id}: stage ${listed} would keep a credential this rotation retires (only the current version ${current} and the new one keep working)`,
      {
        fix: single
          ? "rotate with --all-stages (single-user mode has no overlap, so no canary), or use users: alternate"
          : "finish the rotation under way first: promote it to the last stage (or roll it back), then rotate",
      },
    );
  }
  const retires = manifest.versions
    .filter((v) => v.revoked === undefined && !keeps.has(v.version))
    .map((v) => v.version);
  return { stages: moved, retires };
}

/**
 * Refuses to point a stage at a version whose credential was retired.
 * @throws LockstepError `ROLLOUT_REFUSED` saying why and what to do instead.
 */
export function refuseRevoked(manifest: SecretManifest, version: number, id: string, file: string): void {
  const v = versionOf(manifest, version);
  if (v?.revoked === undefined) return;
  throw new LockstepError(
    "ROLLOUT_REFUSED",
    `${id}: version ${version}'s credential was retired on ${v.revoked} (rotate --finish, or a later rotation): it no longer works where it lives`,
    {
      file,
      fix: "roll forward instead: `lockstep rotate` makes a new credential that works beside the current one",
    },
  );
}

function versionOf(manifest: SecretManifest, n: number): SecretVersion | undefined {
  return manifest.versions.find((v) => v.version === n);
}

function newest(manifest: SecretManifest): number {
  return Math.max(...manifest.versions.map((v) => v.version));
}
