/**
 * Rollout status: which version each stage and consumer gets, what waits for
 * promotion, and when rotation is due. Pure functions over manifests.
 */
import { LockstepError } from "../errors.js";
import { parseDuration } from "./duration.js";
import type { EnvironmentConfig, ProjectConfig, SecretManifest } from "./model.js";
import { type FinishWait, finishWait } from "./rotation.js";
import { stageNames } from "./stages.js";

/**
 * The stage a consumer is deployed from.
 * @throws LockstepError `UNKNOWN_STAGE` if no stage (or more than one) lists it.
 */
export function stageOfConsumer(envName: string, env: EnvironmentConfig, consumer: string): string {
  const stages = env.stages.filter((s) => s.consumers?.includes(consumer));
  const all = [...new Set(env.stages.flatMap((s) => s.consumers ?? []))];
  if (stages.length !== 1) {
    throw new LockstepError(
      "UNKNOWN_STAGE",
      stages.length === 0
        ? `no stage of ${envName} lists consumer "${consumer}"`
        : `consumer "${consumer}" is listed by more than one stage of ${envName}`,
      {
        file: "lockstep.yaml",
        fix: `consumers of ${envName}: ${all.join(", ") || "none"}; list each under exactly one stage`,
      },
    );
  }
  return (stages[0] as { name: string }).name;
}

/** Whether a secret goes to a consumer: its `consumers`, or every consumer when it names none. */
export function servesConsumer(m: SecretManifest, consumer: string): boolean {
  return m.consumers === undefined || m.consumers.includes(consumer);
}

/** The status of one secret. */
export interface SecretStatus {
  id: string;
  latest: number;
  stages: Record<string, number>;
  /** Versions newer than the last stage's, with the stages that do not have them yet. */
  pending: { version: number; stages: string[] }[];
  /** When the newest version is due for rotation (ISO date), if a maxAge applies. */
  rotationDue?: string;
  overdue: boolean;
  /** A previous credential waiting for `rotate --finish` (rotations that apply credentials). */
  finish?: FinishWait;
}

/** The status of one consumer: its stage and which of its secrets lag the newest version. */
export interface ConsumerStatus {
  consumer: string;
  stage: string;
  behind: { id: string; version: number; latest: number }[];
}

/** Computes a secret's status at `now`. */
export function secretStatus(
  id: string,
  env: EnvironmentConfig,
  config: ProjectConfig,
  m: SecretManifest,
  now: Date,
): SecretStatus {
  const newest = m.versions.reduce((a, b) => (b.version > a.version ? b : a));
  const names = stageNames(env);
  const lowest = Math.min(...names.map((s) => m.stages[s] ?? 0));
  const pending = m.versions
    .map((v) => v.version)
    .filter((v) => v > lowest)
    .sort((a, b) => b - a)
    .map((version) => ({ version, stages: names.filter((s) => (m.stages[s] ?? 0) < version) }));
  const maxAge = m.rotation?.maxAge ?? config.rotation?.maxAge;
  const due = maxAge === undefined ? undefined : new Date(Date.parse(newest.created) + parseDuration(maxAge));
  const finish = finishWait(env, m, now);
  return {
    id,
    latest: newest.version,
    stages: m.stages,
    pending,
    ...(due !== undefined && { rotationDue: due.toISOString().replace(/\.\d{3}Z$/, "Z") }),
    overdue: due !== undefined && due.getTime() < now.getTime(),
    ...(finish !== undefined && { finish }),
  };
}

/** Per consumer of an environment, the secrets it gets at an older version than the newest. */
export function consumerStatus(
  env: EnvironmentConfig,
  secrets: readonly { id: string; manifest: SecretManifest; latest: number }[],
): ConsumerStatus[] {
  return env.stages.flatMap((stage) =>
    (stage.consumers ?? []).map((consumer) => ({
      consumer,
      stage: stage.name,
      behind: secrets
        .filter((s) => servesConsumer(s.manifest, consumer))
        .flatMap((s) => {
          const version = s.manifest.stages[stage.name] ?? 0;
          return version < s.latest ? [{ id: s.id, version, latest: s.latest }] : [];
        }),
    })),
  );
}
