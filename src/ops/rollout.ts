/**
 * `promote`, `rollback` and `status` over the repository's manifests.
 */

import type { SecretManifest } from "../core/model.js";
import { promote as planPromote, rollback as planRollback, type StageMove } from "../core/rollout.js";
import { appliesCredential, finishWait, refuseRevoked } from "../core/rotation.js";
import { stageNames } from "../core/stages.js";
import { type ConsumerStatus, consumerStatus, type SecretStatus, secretStatus } from "../core/status.js";
import { LockstepError } from "../errors.js";
import type { Repository } from "../repository.js";
import type { FinishResult } from "./rotate.js";

/** What a promotion or rollback did to one secret. */
export interface RolloutResult {
  id: string;
  file: string;
  moves: StageMove[];
  /** The finish a promote ran (`rotation.finishOnPromote`). */
  finished?: FinishResult;
}

/**
 * Applies a planned stage move to a secret's manifest, under its lock. For
 * a rotation that applies credentials, a stage never moves to a retired
 * credential, and the version the last stage moves to is stamped `released`.
 */
async function moveStages(
  repo: Repository,
  id: string,
  plan: (m: SecretManifest) => StageMove[],
): Promise<RolloutResult> {
  const file = repo.files.manifestFile(id);
  const { environment } = repo.secretId(id);
  return repo.files.withLock(file, async () => {
    const manifest = await repo.readManifest(id);
    const moves = plan(manifest.data);
    if (moves.length > 0) {
      const applies = appliesCredential(manifest.data.rotation);
      if (applies) for (const m of moves) refuseRevoked(manifest.data, m.to, id, file);
      const doc = await manifest.document();
      for (const m of moves) doc.setIn(["stages", m.stage], m.to);
      const last = stageNames(environment).at(-1);
      const released = moves.find((m) => m.stage === last);
      if (applies && released) {
        const { stampVersion } = await import("./rotate.js");
        stampVersion(
          doc,
          released.to,
          "released",
          repo
            .clock()
            .toISOString()
            .replace(/\.\d{3}Z$/, "Z"),
        );
      }
      await repo.files.writeDocument(file, doc);
    }
    return { id, file, moves };
  });
}

/**
 * Promotes one secret: `stage`, or the first stage that lags its
 * predecessor. With `rotation.finishOnPromote`, the promote that brings the
 * new version to the last stage also finishes, when revokeAfter allows.
 */
export async function promoteSecret(repo: Repository, id: string, stage?: string): Promise<RolloutResult> {
  const sid = repo.secretId(id);
  const result = await moveStages(repo, sid.id, (m) => planPromote(sid.id, sid.environment, m, stage));
  if (result.moves.length === 0) return result;
  const m = (await repo.readManifest(sid.id)).data;
  if (!m.rotation?.finishOnPromote || !finishWait(sid.environment, m, repo.clock())?.ready) return result;
  const { finishCredential } = await import("./rotate.js");
  try {
    return { ...result, finished: await finishCredential(repo, sid.id) };
  } catch (e) {
    if (!(e instanceof LockstepError)) throw e;
    throw new LockstepError(
      e.code,
      `${e.message} (the promotion was written; the previous credential is not retired)`,
      {
        ...(e.file !== undefined && { file: e.file }),
        fix: `fix that, then run \`lockstep rotate ${sid.id} --finish\``,
      },
    );
  }
}

/**
 * Promotes every secret of an environment; returns those that moved. Every
 * secret is planned before any is written: one that must be refused stops
 * them all, with nothing half-done.
 */
export async function promoteEnvironment(repo: Repository, env: string, stage?: string): Promise<RolloutResult[]> {
  const { config } = repo.environment(env);
  const ids = await repo.files.listSecretIds(env);
  for (const id of ids) planPromote(id, config, (await repo.readManifest(id)).data, stage);
  const results: RolloutResult[] = [];
  for (const id of ids) {
    const r = await promoteSecret(repo, id, stage);
    if (r.moves.length > 0) results.push(r);
  }
  return results;
}

/** Rolls one secret back. */
export function rollbackSecret(
  repo: Repository,
  id: string,
  options: { stage?: string; to?: number },
): Promise<RolloutResult> {
  const sid = repo.secretId(id);
  return moveStages(repo, sid.id, (m) => planRollback(sid.id, sid.environment, m, options));
}

/** The status of an environment (or all). */
export interface EnvironmentStatus {
  env: string;
  secrets: SecretStatus[];
  consumers: ConsumerStatus[];
}

/** Status of every secret and consumer, per environment. */
export async function rolloutStatus(
  repo: Repository,
  env: string | undefined,
  now: Date,
): Promise<EnvironmentStatus[]> {
  const envs = env === undefined ? Object.keys(repo.config.environments) : [repo.environment(env).name];
  return Promise.all(
    envs.map(async (name) => {
      const environment = repo.environment(name).config;
      const ids = await repo.files.listSecretIds(name);
      const manifests = await Promise.all(
        ids.map(async (id) => ({ id, manifest: (await repo.readManifest(id)).data })),
      );
      const secrets = manifests.map(({ id, manifest }) => secretStatus(id, environment, repo.config, manifest, now));
      const consumers = consumerStatus(
        environment,
        manifests.map((s, i) => ({ ...s, latest: (secrets[i] as SecretStatus).latest })),
      );
      return { env: name, secrets, consumers };
    }),
  );
}
