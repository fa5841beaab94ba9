/**
 * lockstep's library: open a secrets repository and do what the CLI does.
 *
 * ```ts
 * import { openRepository } from "lockstep";
 * const repo = await openRepository({ dir: "/srv/secrets" });
 * const password = await repo.get("production/db/password", { stage: "stable" });
 * ```
 */
export { type AccessRule, type AccessConfig, type EnvironmentConfig, type MemberConfig, type ProjectConfig, type RotationPolicy, type SecretManifest, type SecretType, type SecretVersion, type StageConfig, type VersionRecipient } from "./core/model.js";
export { approversOf, readersOf } from "./core/access.js";
export { defaultEnvName, parseSecretId, type SecretId } from "./core/ids.js";
export { parseDotenv, type DotenvEntry } from "./core/dotenv.js";
export { parseGenerator, type Generator } from "./core/generators.js";
export type { StagePolicy } from "./core/stages.js";
export { AgeIdentity, AgeRecipient, generateKey, type GeneratedKey, type KeyKind, parseIdentityFile } from "./crypto/keys.js";
export { NativeX25519Identity, NativeX25519Recipient } from "./crypto/x25519.js";
export { type ErrorCode, FileFormatError, IntegrityError, isLockstepError, LockstepError, NoIdentityError, UsageError } from "./errors.js";
export type { ImportFormat, ImportOptions } from "./ops/import.js";
export { initRepository, type InitOptions, type InitResult } from "./ops/init.js";
export type { AddMemberOptions, AddMemberResult, RemoveMemberResult } from "./ops/members.js";
export { type GetOptions, generateValue, openRepository, type OpenOptions, type RekeyResult, Repository, type SecretInfo, type SetOptions, type SetResult } from "./repository.js";
export { defaultIdentityFile, loadIdentities, type IdentitySources } from "./storage/identities.js";
