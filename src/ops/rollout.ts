/**
 * `promote`, `rollback` and `status` over the repository's manifests.
 */

import type { SecretManifest } from "../core/model.js";
import { promote as planPromote, rollback as planRollback, type StageMove } from "../core/rollout.js";
import { type ConsumerStatus, consumerStatus, type SecretStatus, secretStatus } from "../core/status.js";
import type { Repository } from "../repository.js";

/** What a promotion or rollback did to one secret. */
export interface RolloutResult {
  id: string;
  file: string;
  moves: StageMove[];
}

/** Applies a planned stage move to a secret's manifest, under its lock. */
async function moveStages(
  repo: Repository,
  id: string,
  plan: (m: SecretManifest) => StageMove[],
): Promise<RolloutResult> {
  const file = repo.files.manifestFile(id);
  return repo.files.withLock(file, async () => {
    const manifest = await repo.readManifest(id);
    const moves = plan(manifest.data);
    if (moves.length > 0) {
      const doc = await manifest.document();
      for (const m of moves) doc.setIn(["stages", m.stage], m.to);
      await repo.files.writeDocument(file, doc);
    }
    return { id, file, moves };
  });
}

/** Promotes one secret: `stage`, or the first stage that lags its predecessor. */
export function promoteSecret(repo: Repository, id: string, stage?: string): Promise<RolloutResult> {
  const sid = repo.secretId(id);
  return moveStages(repo, sid.id, (m) => planPromote(sid.id, sid.environment, m, stage));
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
