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
export { isUtf8, utf8Text } from "./core/bytes.js";
export type { AccessChange, SecretChange, StageChange } from "./core/changes.js";
export { CODEOWNERS_FILE } from "./core/codeowners.js";
export { type DotenvEntry, type DotenvImport, parseDotenv, readDotenv } from "./core/dotenv.js";
export { isVariableName } from "./core/env-names.js";
export {
  EXPORT_FORMATS,
  type ExportEntry,
  type ExportFormat,
  formatsCarrying,
  githubEnvTexts,
  maskedParts,
} from "./core/export-formats.js";
export type { Finding, FindingCode, Severity } from "./core/findings.js";
export { type Generator, parseGenerator } from "./core/generators.js";
export { defaultEnvName, parseSecretId, type SecretId } from "./core/ids.js";
export type { PlannedSecret } from "./core/import-plan.js";
export { describeKeys, type ImportValueKind, type SkippedKey } from "./core/import-tree.js";
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
export type { ReadersChange } from "./core/rules.js";
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
  GitError,
  IntegrityError,
  isLockstepError,
  LockstepError,
  NoIdentityError,
  UsageError,
} from "./errors.js";
export type { AddMemberOptions, AddMemberResult } from "./ops/add-member.js";
export type { RuleChangeResult, RuleOptions } from "./ops/add-rule.js";
export { type AuditOptions, type AuditReport, parseEventKinds } from "./ops/audit.js";
export type { CheckOptions, CheckReport } from "./ops/check.js";
export type { CodeownersOptions, CodeownersResult } from "./ops/codeowners.js";
export { completionWords, type DynamicKind } from "./ops/completion-words.js";
export type { DiffReport } from "./ops/diff.js";
export type { EditOptions, EditResult } from "./ops/edit.js";
export type { ExecEnvironmentOptions } from "./ops/exec.js";
export type { ExportedSecret, ExportResult, ExportSelector } from "./ops/export.js";
export { checkExportOptions, type ExportToOptions, type ExportToResult } from "./ops/export-to.js";
export type { ExposedVersion, ExposureReport } from "./ops/exposure.js";
export type { FinishResult } from "./ops/finish.js";
export type { GetOptions, SecretRead } from "./ops/get.js";
export { type AuditEvent, EVENT_KINDS, type EventKind, type EventPerson } from "./ops/history.js";
export type { ImportedSecret, ImportFormat, ImportFrom, ImportOptions, ImportResult } from "./ops/import.js";
export { type InitOptions, type InitResult, initRepository } from "./ops/init.js";
export { type KeygenOptions, type KeygenResult, keygen } from "./ops/keygen.js";
export type { MemberInfo, MembersReport } from "./ops/list-members.js";
export type { RuleInfo, RulesReport } from "./ops/list-rules.js";
export { type MergeDriverOptions, type MergeDriverResult, mergeDriver } from "./ops/merge-driver.js";
export type { MoveOptions, MoveResult } from "./ops/move.js";
export type { PromoteOptions } from "./ops/promote.js";
export type { PruneOptions, PruneResult } from "./ops/prune.js";
export type { RekeyResult } from "./ops/rekey.js";
export type { RemoveMemberResult } from "./ops/remove-member.js";
export type { RemoveSecretOptions, RemoveSecretResult } from "./ops/remove-secret.js";
export type { ResolveResult } from "./ops/resolve.js";
export type { RestoreOptions, RestoreResult } from "./ops/restore.js";
export type { RollbackOptions } from "./ops/rollback.js";
export type { RotateOptions, RotateResult } from "./ops/rotate.js";
export type { OpenOptions } from "./ops/session.js";
export type { NewValue, SetOptions, SetResult } from "./ops/set.js";
export type { MetadataChange, MetadataOptions, MetadataResult } from "./ops/set-metadata.js";
export type { SetupGitOptions, SetupGitResult } from "./ops/setup-git.js";
export type { SecretInfo } from "./ops/show.js";
export type { RolloutResult } from "./ops/stage-moves.js";
export type { EnvironmentStatus } from "./ops/status.js";
export { generateValue, openRepository, Repository } from "./repository.js";
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
export { releaseHeldResources } from "./storage/locks.js";
export { ACTION_MAJOR_TAG, ACTION_REPOSITORY, DEFAULT_ACTION } from "./templates/action-ref.js";
