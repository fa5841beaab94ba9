/**
 * Moving stages of secrets (`promote`, `rollback`): each secret's moves
 * planned by core/rollout.ts and written under its lock, and optionally
 * committed.
 */
import type { SecretManifest } from "../core/model.js";
import type { StageMove } from "../core/rollout.js";
import { appliesCredential, refuseRevoked } from "../core/rotation.js";
import { stageNames } from "../core/stages.js";
import { setManifestStages } from "../storage/manifests.js";
import { commitChange } from "./commit.js";
import type { FinishResult } from "./finish.js";
import type { Session } from "./session.js";

/** What a promotion or rollback did to one secret. */
export interface RolloutResult {
  id: string;
  /** The manifest, repository-relative. */
  file: string;
  moves: StageMove[];
  /** With `commit`: the commit that recorded the moves. */
  commit?: string;
  /**
   * When nothing moved: a version no stage points at yet (`--no-stage`, or
   * rolled back from), and the stage that releases it
   * (`promote ID --stage S`).
   */
  pending?: { version: number; stage: string };
  /** The finish a promote ran (`rotation.finishOnPromote`). */
  finished?: FinishResult;
}

/**
 * Applies a planned stage move to a secret's manifest, under its lock. For
 * a rotation that changes the credential where it lives, no stage moves to
 * a retired credential, and the version the last stage moves to is stamped
 * `released` (revokeAfter counts from there).
 * @throws LockstepError `ROLLOUT_REFUSED` for a move to a revoked version.
 */
export function moveStages(
  session: Session,
  id: string,
  plan: (m: SecretManifest) => StageMove[],
): Promise<RolloutResult> {
  const file = session.files.manifestFile(id);
  const last = stageNames(session.secretId(id).environment).at(-1);
  return session.files.withLock(file, async () => {
    const manifest = await session.manifest(id);
    const moves = plan(manifest.data);
    if (moves.length > 0) {
      const applies = appliesCredential(manifest.data.rotation);
      if (applies) for (const m of moves) refuseRevoked(manifest.data, m.to, id, file);
      const released = moves.find((m) => m.stage === last);
      const when = session
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z");
      await setManifestStages(
        session.files,
        manifest,
        Object.fromEntries(moves.map((m) => [m.stage, m.to])),
        applies && released ? [{ version: released.to, key: "released", when }] : [],
      );
    }
    return { id, file, moves };
  });
}

/** One line per move: `production/db/password: stable 1 -> 2`. */
export function describeMoves(results: readonly RolloutResult[]): string[] {
  return results.flatMap((r) => r.moves.map((m) => `${r.id}: ${m.stage} ${m.from} -> ${m.to}`));
}

/**
 * Commits the manifests that moved, with a message saying what moved
 * (`lockstep promote: ...`), and records the commit in each result. Nothing
 * moved, nothing is committed.
 * @throws LockstepError `NOT_COMMITTED` when git refuses: the moves are written, the fix says how to commit them.
 */
export async function commitMoves(
  session: Session,
  verb: "promote" | "roll back",
  results: RolloutResult[],
): Promise<RolloutResult[]> {
  const lines = describeMoves(results);
  if (lines.length === 0) return results;
  const subject = lines.length === 1 ? lines[0] : `${lines.length} stage moves`;
  const files = results.filter((r) => r.moves.length > 0).map((r) => r.file);
  const commit = await commitChange(session, files, `lockstep ${verb}: ${subject}\n\n${lines.join("\n")}\n`);
  return results.map((r) => (r.moves.length > 0 ? { ...r, commit } : r));
}
