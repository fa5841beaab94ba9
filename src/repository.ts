/**
 * The library: a secrets repository opened for reading and writing. Each
 * method is one use case of src/ops/ (a function of the open session and its
 * options), and the CLI makes exactly one such call per command; Node
 * programs use this class directly.
 */
import { approversOf, readersOf } from "./core/access.js";
import { parseGenerator } from "./core/generators.js";
import type { SecretId } from "./core/ids.js";
import type { AccessConfig, EnvironmentConfig, ProjectConfig } from "./core/model.js";
import type { AgeIdentity } from "./crypto/index.js";
import { type AddMemberOptions, type AddMemberResult, addMember } from "./ops/add-member.js";
import { addRule, type RuleChangeResult, type RuleOptions } from "./ops/add-rule.js";
import { type AuditOptions, type AuditReport, auditEvents } from "./ops/audit.js";
import { type CheckOptions, type CheckReport, checkRepository } from "./ops/check.js";
import { type CodeownersOptions, type CodeownersResult, codeowners } from "./ops/codeowners.js";
import { type DiffReport, diffRepository } from "./ops/diff.js";
import { type EditOptions, type EditResult, editSecret } from "./ops/edit.js";
import { type ExecEnvironmentOptions, environmentValues, execEnvironment } from "./ops/exec.js";
import { type ExportSelector, exportValues } from "./ops/export.js";
import { type ExportToOptions, type ExportToResult, exportTo } from "./ops/export-to.js";
import { type ExposureReport, exposure } from "./ops/exposure.js";
import type { FinishResult } from "./ops/finish.js";
import { type GetOptions, getSecret, getSecretBytes, readSecret, type SecretRead } from "./ops/get.js";
import { type ImportOptions, type ImportResult, importSecrets } from "./ops/import.js";
import { listSecrets } from "./ops/list.js";
import { listMembers, type MembersReport } from "./ops/list-members.js";
import { listRules, type RulesReport } from "./ops/list-rules.js";
import { type MoveOptions, type MoveResult, moveSecret } from "./ops/move.js";
import { type PromoteOptions, promoteEnvironment, promoteSecret } from "./ops/promote.js";
import { type PruneOptions, type PruneResult, pruneSecret } from "./ops/prune.js";
import { type RekeyResult, rekeySecrets } from "./ops/rekey.js";
import { type RemoveMemberResult, removeMember } from "./ops/remove-member.js";
import { removeRule } from "./ops/remove-rule.js";
import { type RemoveSecretOptions, type RemoveSecretResult, removeSecret } from "./ops/remove-secret.js";
import { type ResolveResult, resolveSecret } from "./ops/resolve.js";
import { type RestoreOptions, type RestoreResult, restoreSecret } from "./ops/restore.js";
import { type RollbackOptions, rollbackSecret } from "./ops/rollback.js";
import { type RotateOptions, type RotateResult, rotateSecret } from "./ops/rotate.js";
import { type OpenOptions, Session } from "./ops/session.js";
import { type NewValue, type SetOptions, type SetResult, setSecret } from "./ops/set.js";
import { type MetadataOptions, type MetadataResult, setSecretMetadata } from "./ops/set-metadata.js";
import { type SetupGitOptions, type SetupGitResult, setupGit } from "./ops/setup-git.js";
import { type SecretInfo, showSecret } from "./ops/show.js";
import type { RolloutResult } from "./ops/stage-moves.js";
import { type EnvironmentStatus, rolloutStatus } from "./ops/status.js";

/** An open secrets repository. Made by {@link openRepository}. */
export class Repository {
  readonly #session: Session;

  private constructor(session: Session) {
    this.#session = session;
  }

  /**
   * Opens the repository that holds `options.dir` (default: the working directory).
   * @throws LockstepError `NOT_A_REPOSITORY`; with `strict` (the default), `YAML_INVALID` or `SCHEMA_INVALID` for lockstep.yaml or access.yaml.
   */
  static async open(options: OpenOptions = {}): Promise<Repository> {
    return new Repository(await Session.open(options));
  }

  /** Absolute path of the folder holding lockstep.yaml. */
  get root(): string {
    return this.#session.root;
  }

  /** lockstep.yaml. */
  get config(): ProjectConfig {
    return this.#session.config;
  }

  /** access.yaml, as last read or written through this object. */
  get access(): AccessConfig {
    return this.#session.access;
  }

  /** The identities of this process, loaded on first use (never for metadata commands). */
  loadIdentities(): Promise<AgeIdentity[]> {
    return this.#session.identities();
  }

  /**
   * Parses an id and checks its environment exists.
   * @throws LockstepError `INVALID_ID`.
   */
  secretId(id: string): SecretId & { environment: EnvironmentConfig } {
    return this.#session.secretId(id);
  }

  /**
   * An environment of lockstep.yaml.
   * @throws LockstepError `INVALID_ID` if there is none of that name.
   */
  environment(name: string): { name: string; config: EnvironmentConfig } {
    return this.#session.environment(name);
  }

  /** The members who may read `id`. */
  readers(id: string): string[] {
    return readersOf(this.access, this.secretId(id).id);
  }

  /** The members who approve changes to `id`. */
  approvers(id: string): string[] {
    return approversOf(this.access, this.secretId(id).id);
  }

  /**
   * Creates a secret, or adds a version to it: `value`, or one made by a
   * generator (`{ generate: "password:32" }`, kept as the secret's own if it
   * has none). A new secret points every stage at version 1; a new version
   * goes where `options.stages` says (default: the first stage).
   */
  set(id: string, value: NewValue, options: SetOptions = {}): Promise<SetResult> {
    return setSecret(this.#session, { ...options, id, value });
  }

  /**
   * Changes a secret's description, value schema or variable name, and adds
   * no version (`lockstep set ID --keep-value`).
   */
  setMetadata(id: string, change: MetadataOptions): Promise<MetadataResult> {
    return setSecretMetadata(this.#session, { ...change, id });
  }

  /**
   * Decrypts a version (default: the newest), checks its binding, and
   * returns the value as text.
   * @throws LockstepError `UNREPRESENTABLE_VALUE` for a value that is not UTF-8 text (use {@link getBytes}); NoIdentityError (exit 3), IntegrityError (exit 4).
   */
  get(id: string, options: GetOptions = {}): Promise<string> {
    return getSecret(this.#session, { ...options, id });
  }

  /** As {@link getBytes}, with the version read and the version each stage points at. */
  read(id: string, options: GetOptions = {}): Promise<SecretRead> {
    return readSecret(this.#session, { ...options, id });
  }

  /**
   * Decrypts a version (default: the newest), checks its binding, and
   * returns the value's bytes, exactly as stored.
   * @throws NoIdentityError (exit 3), IntegrityError (exit 4).
   */
  getBytes(id: string, options: GetOptions = {}): Promise<Uint8Array> {
    return getSecretBytes(this.#session, { ...options, id });
  }

  /**
   * Adds a version made by the secret's generator (or `options.generate`).
   * With `rotation.strategy` hook or postgres, the new credential is first
   * set and tested where it lives; on a failure nothing is written.
   */
  rotate(id: string, options: RotateOptions = {}): Promise<RotateResult> {
    return rotateSecret(this.#session, { ...options, id });
  }

  /**
   * Edits a secret's newest value with `options.editor` (a private file on a
   * memory file system where there is one); adds a version only if it
   * changed and still fits the secret's type and schema.
   */
  edit(id: string, options: EditOptions): Promise<EditResult> {
    return editSecret(this.#session, { ...options, id });
  }

  /** Deletes a secret (refused while a consumer deploys it, unless `force`). Git history keeps it. */
  remove(id: string, options: RemoveSecretOptions = {}): Promise<RemoveSecretResult> {
    return removeSecret(this.#session, { ...options, id });
  }

  /** Brings a deleted secret back from Git history, as it was: versions, stages and all. */
  restore(id: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    return restoreSecret(this.#session, { ...options, id });
  }

  /** Renames a secret, re-encrypting every version bound to the new id (needs a key that reads them all). */
  move(from: string, to: string, options: MoveOptions = {}): Promise<MoveResult> {
    return moveSecret(this.#session, { ...options, from, to });
  }

  /** Removes old versions no stage points at, keeping the `keep` newest. */
  prune(id: string, options: PruneOptions): Promise<PruneResult> {
    return pruneSecret(this.#session, { ...options, id });
  }

  /** Finishes a merge the driver could not: re-encrypts renumbered versions, marks the file resolved. */
  resolve(id: string): Promise<ResolveResult> {
    return resolveSecret(this.#session, { id });
  }

  /** Sets up git's merge driver for manifests (.gitattributes and this clone's git configuration). */
  setupGit(options: SetupGitOptions = {}): Promise<SetupGitResult> {
    return setupGit(this.#session, options);
  }

  /**
   * Retires the previous credential of a secret whose rotation changes it
   * where it lives, once the last stage has the new version and
   * `rotation.revokeAfter` has passed (`rotate --finish`).
   */
  async finish(id: string, options: { commit?: boolean } = {}): Promise<FinishResult> {
    return (await import("./ops/finish.js")).finishRotation(this.#session, { ...options, id });
  }

  /** Metadata of every secret (of one environment), sorted by id. */
  list(env?: string): Promise<SecretInfo[]> {
    return listSecrets(this.#session, env === undefined ? {} : { env });
  }

  /** A secret's metadata, readers and versions; never a value or ciphertext. */
  show(id: string): Promise<SecretInfo> {
    return showSecret(this.#session, { id });
  }

  /**
   * Re-encrypts every version whose recipients differ from the secret's
   * readers today (all secrets, or those named). Values and version numbers
   * stay; only who can open them changes.
   */
  rekey(ids?: readonly string[], options: { commit?: boolean } = {}): Promise<RekeyResult[]> {
    return rekeySecrets(this.#session, { ...options, ...(ids !== undefined && { ids }) });
  }

  /** Adds a member (or more keys to one) to access.yaml. */
  addMember(name: string, options: AddMemberOptions): Promise<AddMemberResult> {
    return addMember(this.#session, { ...options, name });
  }

  /** Every member with its groups, keys and what it reads; every group with its members. */
  members(): Promise<MembersReport> {
    return listMembers(this.#session);
  }

  /** Removes a member from access.yaml, and from every group and rule. */
  removeMember(name: string, options: { commit?: boolean } = {}): Promise<RemoveMemberResult> {
    return removeMember(this.#session, { ...options, name });
  }

  /**
   * Adds an access rule, or names to the rule of that match, keeping
   * access.yaml's comments and layout. The names must be members or groups.
   */
  addRule(match: string, options: RuleOptions): Promise<RuleChangeResult> {
    return addRule(this.#session, { ...options, match });
  }

  /** Removes the rule of a match, or (given names) those names from it. */
  removeRule(match: string, options: RuleOptions = {}): Promise<RuleChangeResult> {
    return removeRule(this.#session, { ...options, match });
  }

  /** The access rules (or those that match `id`, and the readers they give it). */
  rules(id?: string): Promise<RulesReport> {
    return listRules(this.#session, id === undefined ? {} : { id });
  }

  /**
   * Creates or updates one secret per value of a file's text: .env, JSON or
   * YAML, or one sops or dotenvx encrypted (`options.from`).
   */
  import(env: string, text: string, options: ImportOptions): Promise<ImportResult> {
    return importSecrets(this.#session, { ...options, env, text });
  }

  /**
   * The values a stage (or a consumer's stage; default: the last stage) of
   * `env` gets, by variable name, as an environment holds them: what an app
   * loads at start.
   * @throws LockstepError `UNREPRESENTABLE_VALUE` for a value that is not text without NUL (use {@link exportTo} with `files` or `k8s`).
   */
  async export(env: string, selector: ExportSelector = {}): Promise<Record<string, string>> {
    return environmentValues((await exportValues(this.#session, { ...selector, env })).entries);
  }

  /**
   * Writes the values of `env`'s stage in a deploy format: to a file, a
   * folder, `$GITHUB_ENV`, or standard output (`options.stdout`).
   */
  exportTo(env: string, options: Omit<ExportToOptions, "env"> = {}): Promise<ExportToResult> {
    return exportTo(this.#session, { ...options, env });
  }

  /**
   * The environment of a child process run with `env`'s values (`lockstep
   * exec`): `options.base` (default: this process's) without any identity
   * variable, plus the values.
   */
  execEnvironment(env: string, options: Omit<ExecEnvironmentOptions, "env"> = {}): Promise<NodeJS.ProcessEnv> {
    return execEnvironment(this.#session, { ...options, env });
  }

  /** Moves `stage` (or the first lagging stage) of a secret to its predecessor's version. */
  promote(id: string, options: PromoteOptions = {}): Promise<RolloutResult> {
    return promoteSecret(this.#session, { ...options, id });
  }

  /** Promotes every secret of an environment; returns those that moved. */
  promoteAll(env: string, options: PromoteOptions = {}): Promise<RolloutResult[]> {
    return promoteEnvironment(this.#session, { ...options, env });
  }

  /** Moves the stages on the newest live version (or `stage`) back to the version below (or `to`). */
  rollback(id: string, options: RollbackOptions = {}): Promise<RolloutResult> {
    return rollbackSecret(this.#session, { ...options, id });
  }

  /** Per environment: each secret's versions by stage, pending promotions, rotation due; each consumer's lag. */
  status(env?: string): Promise<EnvironmentStatus[]> {
    return rolloutStatus(this.#session, env === undefined ? {} : { env });
  }

  /**
   * The pull-request gate: every rule of `lockstep check`, as findings. Open
   * with `strict: false` to check a repository whose lockstep.yaml or
   * access.yaml is broken.
   */
  check(options: CheckOptions = {}): Promise<CheckReport> {
    return checkRepository(this.#session, options);
  }

  /** What the working tree changes against `rev` (default HEAD): secrets, stages, readers, access; never values. */
  diff(options: { rev?: string } = {}): Promise<DiffReport> {
    return diffRepository(this.#session, options);
  }

  /** Who did what to which secret, read from Git history, newest first. */
  audit(options: AuditOptions = {}): Promise<AuditReport> {
    return auditEvents(this.#session, options);
  }

  /** Every secret version `member` could ever decrypt, from Git history and the working tree. */
  exposure(member: string): Promise<ExposureReport> {
    return exposure(this.#session, { member });
  }

  /** `.github/CODEOWNERS` from access.yaml: returned, written, or checked. */
  codeowners(options: CodeownersOptions = {}): Promise<CodeownersResult> {
    return codeowners(this.#session, options);
  }
}

/** Opens the secrets repository that holds `options.dir` (default: the working directory). */
export function openRepository(options: OpenOptions = {}): Promise<Repository> {
  return Repository.open(options);
}

/** Makes a value from a generator spec (`password:32`, `uuid`, ...). */
export function generateValue(spec: string): string {
  return parseGenerator(spec).generate();
}
