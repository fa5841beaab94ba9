/** `lockstep promote` and `lockstep rollback`: stage moves, optionally committed. */
import { UsageError } from "../../errors.js";
import type { RolloutResult } from "../../ops/rollout.js";
import type { Repository } from "../../repository.js";
import { type GlobalOptions, openRepo } from "../context.js";
import { out } from "../output.js";
import { reportNotes } from "./rotate.js";

/** Options of `promote`. */
export interface PromoteOptions extends GlobalOptions {
  id?: string;
  stage?: string;
  env?: string;
  all?: boolean;
  commit?: boolean;
}

function describeMoves(results: readonly RolloutResult[]): string[] {
  return results.flatMap((r) => r.moves.map((m) => `${r.id}: ${m.stage} ${m.from} -> ${m.to}`));
}

async function finish(
  repo: Repository,
  verb: string,
  results: RolloutResult[],
  commit: boolean | undefined,
): Promise<void> {
  const lines = describeMoves(results);
  if (lines.length === 0) return out(`Nothing to ${verb}: no stage lags.`);
  for (const l of lines) out(`${verb === "promote" ? "promoted" : "rolled back"}  ${l}`);
  for (const r of results) {
    if (!r.finished) continue;
    reportNotes(r.finished.notes);
    out(`finished  ${r.id}: the credential of version ${r.finished.previous} is retired`);
  }
  if (commit) {
    const { commitPaths } = await import("../../storage/git.js");
    const subject = lines.length === 1 ? lines[0] : `${lines.length} stage moves`;
    const sha = await commitPaths(
      repo.root,
      results.filter((r) => r.moves.length > 0).map((r) => r.file),
      `lockstep ${verb}: ${subject}\n\n${lines.join("\n")}\n`,
    );
    out(`Committed ${sha}`);
  }
}

/** Promotes one secret, or every secret of `--env` with `--all`. */
export async function promote(o: PromoteOptions): Promise<void> {
  const bulk = o.env !== undefined || o.all === true;
  if (o.id !== undefined ? bulk : o.env === undefined || !o.all) {
    throw new UsageError("promote takes a secret id, or --env ENV --all");
  }
  const repo = await openRepo(o);
  const opts = o.stage !== undefined ? { stage: o.stage } : {};
  const results = o.id !== undefined ? [await repo.promote(o.id, opts)] : await repo.promoteAll(o.env as string, opts);
  await finish(repo, "promote", results, o.commit);
}

/** Options of `rollback`. */
export interface RollbackOptions extends GlobalOptions {
  id: string;
  stage?: string;
  to?: number;
  commit?: boolean;
}

/** Rolls a secret's newest live stages (or `--stage`) back one version (or `--to N`). */
export async function rollback(o: RollbackOptions): Promise<void> {
  const repo = await openRepo(o);
  const result = await repo.rollback(o.id, {
    ...(o.stage !== undefined && { stage: o.stage }),
    ...(o.to !== undefined && { to: o.to }),
  });
  await finish(repo, "roll back", [result], o.commit);
}
