/**
 * Stages: which version each stage of an environment gets. Stages are
 * ordered; the first gets new versions first, and a later stage never
 * points at a newer version than an earlier one.
 */
import { LockstepError } from "../errors.js";
import type { EnvironmentConfig, SecretManifest } from "./model.js";
import { fixWithSuggestion } from "./suggest.js";

/** Where a new version goes: the first stage (default), every stage, or none yet. */
export type StagePolicy = "first" | "all" | "none";

/** The stage names of an environment, in rollout order. */
export function stageNames(env: EnvironmentConfig): string[] {
  return env.stages.map((s) => s.name);
}

/** The stage map of a new secret: every stage at version 1. */
export function initialStages(env: EnvironmentConfig): Record<string, number> {
  return Object.fromEntries(stageNames(env).map((s) => [s, 1]));
}

/**
 * The stages that move when version `version` is added under `policy`,
 * with the version each moves to.
 */
export function stagesForNewVersion(
  env: EnvironmentConfig,
  version: number,
  policy: StagePolicy,
): Record<string, number> {
  const names = stageNames(env);
  if (policy === "none") return {};
  if (policy === "all") return Object.fromEntries(names.map((s) => [s, version]));
  const first = names[0];
  return first === undefined ? {} : { [first]: version };
}

/** A stage map that breaks the rollout rules, and how. */
export interface StageProblem {
  stage: string;
  message: string;
}

/**
 * Checks a manifest's stage map against its environment: every stage
 * present and pointing at an existing version, none running ahead of an
 * earlier one.
 */
export function stageProblems(env: EnvironmentConfig, manifest: SecretManifest): StageProblem[] {
  const problems: StageProblem[] = [];
  const versions = new Set(manifest.versions.map((v) => v.version));
  let previous: { stage: string; version: number } | undefined;
  for (const stage of stageNames(env)) {
    const v = manifest.stages[stage];
    if (v === undefined) {
      problems.push({ stage, message: `stage ${stage} is missing from the manifest's stages` });
      continue;
    }
    if (!versions.has(v))
      problems.push({ stage, message: `stage ${stage} points at version ${v}, which does not exist` });
    if (previous && v > previous.version) {
      problems.push({
        stage,
        message: `stage ${stage} is at version ${v}, ahead of the earlier stage ${previous.stage} at ${previous.version}`,
      });
    }
    previous = { stage, version: v };
  }
  for (const stage of Object.keys(manifest.stages)) {
    if (!stageNames(env).includes(stage))
      problems.push({ stage, message: `stage ${stage} is not a stage of this environment` });
  }
  return problems;
}

/**
 * The version a stage points at.
 * @throws LockstepError `UNKNOWN_STAGE` if the environment has no such stage.
 */
export function versionAtStage(env: EnvironmentConfig, manifest: SecretManifest, stage: string, id: string): number {
  if (!stageNames(env).includes(stage)) {
    throw new LockstepError("UNKNOWN_STAGE", `${id}: no stage "${stage}" in its environment`, {
      fix: fixWithSuggestion(stage, stageNames(env), `stages are: ${stageNames(env).join(", ")}`),
    });
  }
  const v = manifest.stages[stage];
  if (v === undefined) {
    throw new LockstepError("UNKNOWN_STAGE", `${id}: stage "${stage}" points at no version`, {
      fix: "promote a version to it (`lockstep promote`)",
    });
  }
  return v;
}

/** The versions that some stage points at. */
export function liveVersions(manifest: SecretManifest): Set<number> {
  return new Set(Object.values(manifest.stages));
}
