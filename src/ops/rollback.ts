/**
 * `rollback`: the stages on a secret's newest live version move back.
 */
import { rollback as planRollback } from "../core/rollout.js";
import { ensureCanCommit } from "./commit.js";
import type { Session } from "./session.js";
import { commitMoves, moveStages, type RolloutResult } from "./stage-moves.js";

/** Options of {@link rollbackSecret}. */
export interface RollbackOptions {
  /** Roll back only this stage. */
  stage?: string;
  /** The version to roll back to (default: the one below). */
  to?: number;
  /** Commit the changed manifest with a message saying what moved. */
  commit?: boolean;
}

/**
 * Moves the stages on the newest live version (or `stage`) back to the
 * version below (or `to`).
 * @throws LockstepError `ROLLOUT_REFUSED`, `UNKNOWN_STAGE`, `UNKNOWN_VERSION`; `NOT_COMMITTED` with `commit`.
 */
export async function rollbackSecret(
  session: Session,
  options: RollbackOptions & { id: string },
): Promise<RolloutResult> {
  const sid = session.secretId(options.id);
  if (options.commit) await ensureCanCommit(session, [session.files.manifestFile(sid.id)]);
  const plan = {
    ...(options.stage !== undefined && { stage: options.stage }),
    ...(options.to !== undefined && { to: options.to }),
  };
  const result = await moveStages(session, sid.id, (m) => planRollback(sid.id, sid.environment, m, plan));
  const [done] = options.commit ? await commitMoves(session, "roll back", [result]) : [result];
  return done ?? result;
}
