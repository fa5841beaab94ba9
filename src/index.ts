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
  MemberConfig,
  ProjectConfig,
  RotationPolicy,
  SecretManifest,
  SecretType,
  SecretVersion,
  StageConfig,
  VersionRecipient,
} from "./core/model.js";
export type { StageMove } from "./core/rollout.js";
export type { StagePolicy } from "./core/stages.js";
export type { ConsumerStatus, SecretStatus } from "./core/status.js";
export {
  AgeIdentity,
  AgeRecipient,
  type GeneratedKey,
  generateKey,
  type KeyKind,
  parseIdentityFile,
} from "./crypto/index.js";
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
export { defaultIdentityFile, type IdentitySources, loadIdentities } from "./storage/identities.js";
