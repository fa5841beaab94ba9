/**
 * `promote`: a stage moves to its predecessor's version, for one secret or
 * every secret of an environment.
 */
import { promote as planPromote } from "../core/rollout.js";
import { stageNames } from "../core/stages.js";
import { ensureCanCommit } from "./commit.js";
import type { Session } from "./session.js";
import { commitMoves, moveStages, type RolloutResult } from "./stage-moves.js";

/** Options of {@link promoteSecret} and {@link promoteEnvironment}. */
export interface PromoteOptions {
  /** The stage to promote (default: the first that lags its predecessor). */
  stage?: string;
  /** Commit the changed manifests with a message saying what moved. */
  commit?: boolean;
}

/**
 * Promotes one secret: `stage`, or the first stage that lags its predecessor.
 * @throws LockstepError `ROLLOUT_REFUSED`, `UNKNOWN_STAGE`; `NOT_COMMITTED` with `commit`.
 */
export async function promoteSecret(
  session: Session,
  options: PromoteOptions & { id: string },
): Promise<RolloutResult> {
  const sid = session.secretId(options.id);
  if (options.commit) await ensureCanCommit(session);
  let pending: RolloutResult["pending"];
  const result = await moveStages(session, sid.id, (m) => {
    const moves = planPromote(sid.id, sid.environment, m, options.stage);
    const first = stageNames(sid.environment)[0];
    const newest = Math.max(...m.versions.map((v) => v.version));
    if (moves.length === 0 && first !== undefined && (m.stages[first] ?? 0) < newest) {
      pending = { version: newest, stage: first };
    }
    return moves;
  });
  if (pending) return { ...result, pending };
  const [done] = options.commit ? await commitMoves(session, "promote", [result]) : [result];
  return done ?? result;
}

/**
 * Promotes every secret of an environment; returns those that moved. Every
 * secret is planned before any is written: one that must be refused stops
 * them all, with nothing half-done.
 */
export async function promoteEnvironment(
  session: Session,
  options: PromoteOptions & { env: string },
): Promise<RolloutResult[]> {
  const { config } = session.environment(options.env);
  if (options.commit) await ensureCanCommit(session);
  const ids = await session.files.listSecretIds(options.env);
  for (const id of ids) planPromote(id, config, (await session.manifest(id)).data, options.stage);
  const results: RolloutResult[] = [];
  for (const id of ids) {
    const sid = session.secretId(id);
    const r = await moveStages(session, sid.id, (m) => planPromote(sid.id, sid.environment, m, options.stage));
    if (r.moves.length > 0) results.push(r);
  }
  return options.commit ? commitMoves(session, "promote", results) : results;
}
