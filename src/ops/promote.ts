/**
 * `promote`: a stage moves to its predecessor's version, for one secret or
 * every secret of an environment.
 */
import { promote as planPromote } from "../core/rollout.js";
import { finishWait } from "../core/rotation.js";
import { stageNames } from "../core/stages.js";
import { LockstepError } from "../errors.js";
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
  if (options.commit) await ensureCanCommit(session, [session.files.manifestFile(sid.id)]);
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
  return finishOnPromote(session, done ?? result);
}

/**
 * With `rotation.finishOnPromote`, the promote that brings the new version
 * to the last stage also finishes, when revokeAfter allows (the retirement
 * is written, not committed).
 * @throws LockstepError of the finish, saying the promotion was written.
 */
async function finishOnPromote(session: Session, result: RolloutResult): Promise<RolloutResult> {
  if (result.moves.length === 0) return result;
  const sid = session.secretId(result.id);
  const m = (await session.manifest(sid.id)).data;
  if (!m.rotation?.finishOnPromote || !finishWait(sid.environment, m, session.now())?.ready) return result;
  const { finishRotation } = await import("./finish.js");
  try {
    return { ...result, finished: await finishRotation(session, { id: sid.id }) };
  } catch (e) {
    if (!(e instanceof LockstepError)) throw e;
    throw new LockstepError(
      e.code,
      `${e.message} (the promotion was written; the previous credential is not retired)`,
      {
        ...(e.file !== undefined && { file: e.file }),
        fix: `fix that, then run \`lockstep rotate ${sid.id} --finish\``,
        cause: e,
      },
    );
  }
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
  const ids = await session.secretIds(options.env);
  for (const id of ids) planPromote(id, config, (await session.manifest(id)).data, options.stage);
  if (options.commit)
    await ensureCanCommit(
      session,
      ids.map((id) => session.files.manifestFile(id)),
    );
  const results: RolloutResult[] = [];
  for (const id of ids) {
    const sid = session.secretId(id);
    const r = await moveStages(session, sid.id, (m) => planPromote(sid.id, sid.environment, m, options.stage));
    if (r.moves.length > 0) results.push(r);
  }
  const done = options.commit ? await commitMoves(session, "promote", results) : results;
  const finished: RolloutResult[] = [];
  for (const r of done) finished.push(await finishOnPromote(session, r));
  return finished;
}
