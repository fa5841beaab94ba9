/**
 * Promotion and rollback: moves of a secret's stages that keep the rollout
 * invariant (a later stage never points at a newer version than an earlier
 * one). Pure functions: they compute the new stage map or refuse.
 */
import { LockstepError } from "../errors.js";
import type { EnvironmentConfig, SecretManifest } from "./model.js";
import { stageNames, stageProblems } from "./stages.js";
import { fixWithSuggestion } from "./suggest.js";

/** One stage moved from one version to another. */
export interface StageMove {
  stage: string;
  from: number;
  to: number;
}

function refuse(id: string, message: string, fix?: string): never {
  throw new LockstepError("ROLLOUT_REFUSED", `${id}: ${message}`, fix === undefined ? {} : { fix });
}

function checked(id: string, env: EnvironmentConfig, m: SecretManifest, stages: Record<string, number>): void {
  const problems = stageProblems(env, { ...m, stages });
  if (problems.length > 0) refuse(id, `refused: ${problems.map((p) => p.message).join("; ")}`);
}

function movesBetween(before: Record<string, number>, after: Record<string, number>): StageMove[] {
  return Object.entries(after).flatMap(([stage, to]) => {
    const from = before[stage] as number;
    return from === to ? [] : [{ stage, from, to }];
  });
}

/**
 * Moves a stage to its predecessor's version: `stage`, or else the first
 * stage that lags its predecessor. Returns no moves when nothing lags.
 * Naming the first stage moves it to the newest version: how a pending
 * version (`--no-stage`, or one rolled back from) is released; without a
 * name the first stage never moves, so a rolled-back version stays back.
 */
export function promote(id: string, env: EnvironmentConfig, m: SecretManifest, stage?: string): StageMove[] {
  checked(id, env, m, m.stages);
  const names = stageNames(env);
  const at = (s: string) => m.stages[s] as number;
  let target: number;
  let to: number;
  if (stage !== undefined) {
    target = names.indexOf(stage);
    if (target === -1)
      refuse(id, `no stage "${stage}"`, fixWithSuggestion(stage, names, `stages are: ${names.join(", ")}`));
    to = target === 0 ? Math.max(...m.versions.map((v) => v.version)) : at(names[target - 1] as string);
    if (to === at(stage)) return [];
  } else {
    target = names.findIndex((s, i) => i > 0 && at(s) < at(names[i - 1] as string));
    if (target === -1) return [];
    to = at(names[target - 1] as string);
  }
  const after = { ...m.stages, [names[target] as string]: to };
  checked(id, env, m, after);
  return movesBetween(m.stages, after);
}

/**
 * Moves back the stages on the newest live version (or just `stage`) to the
 * version below it, or to `to`. Refuses a move that would leave a later
 * stage ahead of an earlier one, or that goes nowhere.
 */
export function rollback(
  id: string,
  env: EnvironmentConfig,
  m: SecretManifest,
  options: { stage?: string; to?: number } = {},
): StageMove[] {
  checked(id, env, m, m.stages);
  const names = stageNames(env);
  if (options.stage !== undefined && !names.includes(options.stage)) {
    refuse(
      id,
      `no stage "${options.stage}"`,
      fixWithSuggestion(options.stage, names, `stages are: ${names.join(", ")}`),
    );
  }
  const moving =
    options.stage !== undefined
      ? [options.stage]
      : names.filter((s) => m.stages[s] === Math.max(...names.map((n) => m.stages[n] as number)));
  const current = m.stages[moving[0] as string] as number;
  const versions = m.versions.map((v) => v.version);
  let to: number;
  if (options.to !== undefined) {
    if (!versions.includes(options.to))
      refuse(id, `has no version ${options.to}`, `versions are: ${versions.join(", ")}`);
    if (options.to >= current) refuse(id, `cannot roll back to version ${options.to}: the stage is at ${current}`);
    to = options.to;
  } else {
    const below = versions.filter((v) => v < current);
    if (below.length === 0) refuse(id, `version ${current} is the oldest; there is nothing to roll back to`);
    to = Math.max(...below);
  }
  const after = { ...m.stages };
  for (const s of moving) after[s] = to;
  const problems = stageProblems(env, { ...m, stages: after });
  if (problems.length > 0) {
    refuse(
      id,
      `rolling back would break the rollout order: ${problems.map((p) => p.message).join("; ")}`,
      "roll back the later stages first, or roll back without --stage",
    );
  }
  return movesBetween(m.stages, after);
}
