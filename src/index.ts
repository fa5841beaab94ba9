/**
 * lockstep's library: open a secrets repository and do what the CLI does.
 *
 * ```ts
 * import { openRepository } from "lockstep";
 * const repo = await openRepository({ dir: "/srv/secrets" });
 * const password = await repo.get("production/db/password", { stage: "stable" });
 * ```
 */

export { approversOf, readersOf } from "./core/access.js";
export { type DotenvEntry, parseDotenv } from "./core/dotenv.js";
export { EXPORT_FORMATS, type ExportFormat } from "./core/export-formats.js";
export { type Generator, parseGenerator } from "./core/generators.js";
export { defaultEnvName, parseSecretId, type SecretId } from "./core/ids.js";
export type {
  AccessConfig,
  AccessRule,
  EnvironmentConfig,
  HookCommand,
  MemberConfig,
  ProjectConfig,
  RotationPolicy,
  RotationStrategy,
  SecretManifest,
  SecretRotation,
  SecretType,
  SecretVersion,
  StageConfig,
  VersionRecipient,
} from "./core/model.js";
export type { StageMove } from "./core/rollout.js";
export type { CredentialStates, FinishWait } from "./core/rotation.js";
export type { StagePolicy } from "./core/stages.js";
export type { ConsumerStatus, SecretStatus } from "./core/status.js";
export {
  AgeIdentity,
  AgeRecipient,
  type GeneratedKey,
  generateKey,
  type KeyKind,
  parseIdentityFile,
} from "./crypto/keys.js";
export { NativeX25519Identity, NativeX25519Recipient } from "./crypto/x25519.js";
export {
  type ErrorCode,
  FileFormatError,
  IntegrityError,
  isLockstepError,
  LockstepError,
  NoIdentityError,
  UsageError,
} from "./errors.js";
export type { ExportedSecret, ExportResult, ExportSelector } from "./ops/export.js";
export type { ImportFormat, ImportOptions } from "./ops/import.js";
export { type InitOptions, type InitResult, initRepository } from "./ops/init.js";
export type { AddMemberOptions, AddMemberResult, RemoveMemberResult } from "./ops/members.js";
export type { EnvironmentStatus, RolloutResult } from "./ops/rollout.js";
export type { FinishResult, RotateOptions, RotateResult } from "./ops/rotate.js";
export {
  type GetOptions,
  generateValue,
  type OpenOptions,
  openRepository,
  type RekeyResult,
  Repository,
  type SecretInfo,
  type SetOptions,
  type SetResult,
} from "./repository.js";
export { type HookCommands, type HookOptions, hookRotator } from "./rotation/hook.js";
export { type PostgresCredential, type PostgresRotatorOptions, postgresRotator } from "./rotation/postgres.js";
export {
  type Credential,
  type FinishInput,
  type PendingInput,
  type RotationInput,
  type RotationOutcome,
  type RotationStep,
  type Rotator,
  runFinish,
  runRotation,
} from "./rotation/steps.js";
export { defaultIdentityFile, type IdentitySources, loadIdentities } from "./storage/identities.js";
