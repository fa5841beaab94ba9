/**
 * The shapes of the secrets repository's files, after schema validation.
 * The JSON Schemas in `schemas/` are the source of truth; these types mirror them.
 */

/** One stage of an environment's rollout. */
export interface StageConfig {
  name: string;
  consumers?: string[];
}

/** An environment of lockstep.yaml. */
export interface EnvironmentConfig {
  stages: StageConfig[];
}

/** Rotation policy: how old a version may get, and how to make a new one. */
export interface RotationPolicy {
  maxAge?: string;
  generate?: string;
}

/** How `rotate` makes and applies a new value (`rotation.strategy`). */
export type RotationStrategy = "generate" | "hook" | "postgres";

/** A hook command: a string run by the shell, or a program and its arguments. */
export type HookCommand = string | string[];

/** A secret's rotation: the policy, and how its credential is changed where it lives. */
export interface SecretRotation extends RotationPolicy {
  strategy?: RotationStrategy;
  /** The id of the secret holding the admin credential. */
  admin?: string;
  /** How long after the last stage gets a new version the previous credential may be retired. */
  revokeAfter?: string;
  /** Whether the promote that reaches the last stage also finishes. */
  finishOnPromote?: boolean;
  /** Time limit of one hook step (`60s`). */
  timeout?: string;
  hooks?: { create?: HookCommand; set: HookCommand; test?: HookCommand; undo?: HookCommand; finish?: HookCommand };
  postgres?: { users?: "alternate" | "single"; retire?: "nologin" | "expire" };
}

/** lockstep.yaml. */
export interface ProjectConfig {
  environments: Record<string, EnvironmentConfig>;
  rotation?: RotationPolicy;
  /** Leak-scan allow-list: globs of tracked paths `check` does not scan. */
  allow?: string[];
  /** Variable names that steer execution which secrets may export as nonetheless (see core/steering.ts). */
  allowVariables?: string[];
}

/** A member of access.yaml: a person or a CI job, with one or more age recipients. */
export interface MemberConfig {
  recipients: string[];
  github?: string;
}

/** An access rule: which members and groups read and approve the secrets it matches. */
export interface AccessRule {
  match: string;
  readers?: string[];
  approvers?: string[];
}

/** access.yaml. */
export interface AccessConfig {
  members: Record<string, MemberConfig>;
  groups?: Record<string, string[]>;
  rules?: AccessRule[];
}

/** The kind of value a secret holds. */
export type SecretType = "string" | "json";

/** One recipient of a version, in stanza order. */
export interface VersionRecipient {
  member: string;
  key: string;
}

/** One immutable version of a secret. */
export interface SecretVersion {
  version: number;
  created: string;
  recipients: VersionRecipient[];
  ciphertext: string;
  /** When the last stage last moved to it (strategies that apply credentials). */
  released?: string;
  /** When its credential was retired where it lives; no stage may point at it again. */
  revoked?: string;
  /** Who could decrypt it before `rekey` took them off (still exposed to them). */
  formerRecipients?: VersionRecipient[];
  /**
   * Left by the merge driver when it renumbered a version without a key to
   * re-encrypt it: the ciphertext is still bound to this number, and
   * `lockstep resolve` binds it to `version`. Never in a finished manifest.
   */
  mergedFrom?: number;
}

/** A secret's manifest, `secrets/<env>/<path>.yaml`. Versions are newest first. */
export interface SecretManifest {
  /**
   * The secret's id, as lockstep writes it: a manifest whose path is not
   * `secrets/<id>.yaml` was moved or copied by hand. Absent in manifests
   * written before it was recorded.
   */
  id?: string;
  description?: string;
  type?: SecretType;
  schema?: string;
  env?: string;
  consumers?: string[];
  rotation?: SecretRotation;
  /** The id it had before `lockstep mv` gave it this one. */
  renamedFrom?: string;
  stages: Record<string, number>;
  versions: SecretVersion[];
}
