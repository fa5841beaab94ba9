/**
 * The library: a secrets repository opened for reading and writing. The CLI
 * is a thin layer over this class; Node programs use it directly.
 */
import { approversOf, readersOf, recipientsFor } from "./core/access.js";
import { openEnvelope, sealEnvelope } from "./core/envelope.js";
import { parseGenerator } from "./core/generators.js";
import { parseSecretId, type SecretId } from "./core/ids.js";
import type {
  AccessConfig,
  EnvironmentConfig,
  ProjectConfig,
  SecretManifest,
  SecretType,
  SecretVersion,
  VersionRecipient,
} from "./core/model.js";
import { appliesCredential } from "./core/rotation.js";
import { type StagePolicy, versionAtStage } from "./core/stages.js";
import { decryptArmored, encryptArmored } from "./crypto/age.js";
import { type AgeIdentity, AgeRecipient } from "./crypto/keys.js";
import { LockstepError } from "./errors.js";
import { type ExportSelector, exportEnvironment } from "./ops/export.js";
import { type ImportOptions, importSecrets } from "./ops/import.js";
import type { AddMemberOptions, AddMemberResult, RemoveMemberResult } from "./ops/members.js";
import {
  type EnvironmentStatus,
  promoteEnvironment,
  promoteSecret,
  type RolloutResult,
  rollbackSecret,
  rolloutStatus,
} from "./ops/rollout.js";
import type { FinishResult, RotateResult } from "./ops/rotate.js";
import { setSecret } from "./ops/set.js";
import { type IdentitySources, loadIdentities } from "./storage/identities.js";
import { findRoot, RepositoryFiles } from "./storage/layout.js";
import type { YamlFile } from "./storage/yaml-file.js";

/** How to open a repository. */
export interface OpenOptions extends IdentitySources {
  /** A folder inside the repository (default: the working directory). */
  dir?: string;
  /** The clock, for version dates (tests fix it). */
  now?: () => Date;
}

/** Options of {@link Repository.set}. */
export interface SetOptions {
  /** `string` (default for a new secret) or `json` (must parse). */
  type?: SecretType;
  description?: string;
  /** A value schema: `schemas/<name>.schema.json` in the repository. */
  schema?: string;
  /** Variable name on export. */
  envName?: string;
  /** Where the new version goes (default: the first stage). */
  stages?: StagePolicy;
  /** Kept as the secret's `rotation.generate` when the value was generated. */
  generator?: string;
}

/** What a write did. */
export interface SetResult {
  id: string;
  version: number;
  created: boolean;
  /** The stages now pointing at the new version. */
  stages: string[];
}

/** Which version `get` reads. */
export interface GetOptions {
  version?: number;
  stage?: string;
}

/** A secret's metadata, as `ls` and `show` report it (never a value). */
export interface SecretInfo {
  id: string;
  file: string;
  description?: string;
  type: SecretType;
  schema?: string;
  env?: string;
  consumers?: string[];
  latest: number;
  stages: Record<string, number>;
  readers: string[];
  approvers: string[];
  versions: { version: number; created: string; recipients: VersionRecipient[] }[];
}

/** What `rekey` re-encrypted. */
export interface RekeyResult {
  id: string;
  versions: number[];
  /** Members who could read one of these versions before, and no longer can through it. */
  removed: string[];
}

/** An open secrets repository. */
export class Repository {
  /** Absolute path of the folder holding lockstep.yaml. */
  readonly root: string;
  /** lockstep.yaml. */
  readonly config: ProjectConfig;
  /** access.yaml, as last read or written through this object. */
  get access(): AccessConfig {
    return this.accessConfig;
  }
  private accessConfig: AccessConfig;
  /** @internal The repository's files. */
  readonly files: RepositoryFiles;
  private readonly sources: IdentitySources;
  private readonly now: () => Date;
  private identities?: Promise<AgeIdentity[]>;

  /** @internal Use {@link openRepository}. */
  constructor(files: RepositoryFiles, config: ProjectConfig, access: AccessConfig, options: OpenOptions) {
    this.files = files;
    this.root = files.root;
    this.config = config;
    this.accessConfig = access;
    this.sources = options;
    this.now = options.now ?? (() => new Date());
  }

  /** The identities of this process, loaded on first use (never for metadata commands). */
  loadIdentities(): Promise<AgeIdentity[]> {
    this.identities ??= loadIdentities(this.sources);
    return this.identities;
  }

  /**
   * Parses an id and checks its environment exists.
   * @throws LockstepError `INVALID_ID`.
   */
  secretId(id: string): SecretId & { environment: EnvironmentConfig } {
    const parsed = parseSecretId(id);
    return { ...parsed, environment: this.environment(parsed.env).config };
  }

  /**
   * An environment of lockstep.yaml.
   * @throws LockstepError `INVALID_ID` if there is none of that name.
   */
  environment(name: string): { name: string; config: EnvironmentConfig } {
    const config = this.config.environments[name];
    if (!config) {
      throw new LockstepError("INVALID_ID", `no environment "${name}" in lockstep.yaml`, {
        file: "lockstep.yaml",
        fix: `environments are: ${Object.keys(this.config.environments).join(", ")}`,
      });
    }
    return { name, config };
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
   * Creates a secret, or adds a version to it. A new secret points every
   * stage at version 1; a new version goes where `options.stages` says.
   */
  set(id: string, value: string, options: SetOptions = {}): Promise<SetResult> {
    return setSecret(this, id, value, options);
  }

  /**
   * Decrypts a version (default: the newest) and checks its binding.
   * @throws NoIdentityError (exit 3), IntegrityError (exit 4).
   */
  async get(id: string, options: GetOptions = {}): Promise<string> {
    const { sid, manifest } = await this.mustRead(id);
    let n = options.version;
    if (options.stage !== undefined) n = versionAtStage(sid.environment, manifest.data, options.stage, sid.id);
    const v = n === undefined ? manifest.data.versions[0] : manifest.data.versions.find((x) => x.version === n);
    if (!v) {
      throw new LockstepError("UNKNOWN_VERSION", `${sid.id} has no version ${n}`, {
        file: manifest.file,
        fix: `versions are: ${manifest.data.versions.map((x) => x.version).join(", ")}`,
      });
    }
    return this.decryptVersion(sid.id, v, manifest.file);
  }

  /** The clock (tests fix it through {@link OpenOptions.now}). */
  clock(): Date {
    return this.now();
  }

  /**
   * Adds a version made by the secret's generator (or `spec`). With
   * `rotation.strategy` hook or postgres, the new credential is also set and
   * tested where it lives before anything is written (see ops/rotate.ts).
   */
  async rotate(id: string, options: { generate?: string; stages?: StagePolicy } = {}): Promise<RotateResult> {
    const { sid, manifest } = await this.mustRead(id);
    if (appliesCredential(manifest.data.rotation)) {
      return (await import("./ops/rotate.js")).rotateCredential(this, sid.id, options);
    }
    const spec = options.generate ?? manifest.data.rotation?.generate ?? this.config.rotation?.generate;
    if (spec === undefined) {
      throw new LockstepError("INVALID_VALUE", `${sid.id} has no generator to rotate with`, {
        file: manifest.file,
        fix: `pass --generate SPEC (e.g. password:32), or set rotation.generate in ${manifest.file}; for a value you supply, use \`lockstep set\``,
      });
    }
    const value = parseGenerator(spec).generate();
    const keep = manifest.data.rotation?.generate === undefined && options.generate !== undefined;
    const r = await this.set(sid.id, value, {
      ...(options.stages !== undefined && { stages: options.stages }),
      ...(keep && { generator: spec }),
    });
    return { ...r, notes: [], retired: [] };
  }

  /**
   * Retires the previous credential of a secret whose rotation applies
   * credentials, once the last stage has the new version and
   * `rotation.revokeAfter` has passed.
   */
  async finish(id: string): Promise<FinishResult> {
    return (await import("./ops/rotate.js")).finishCredential(this, id);
  }

  /** Metadata of every secret (of one environment), sorted by id. */
  async list(env?: string): Promise<SecretInfo[]> {
    if (env !== undefined) this.environment(env);
    const ids = await this.files.listSecretIds(env);
    return Promise.all(ids.map((id) => this.show(id)));
  }

  /** A secret's metadata, readers and versions; never a value or ciphertext. */
  async show(id: string): Promise<SecretInfo> {
    const { sid, manifest } = await this.mustRead(id);
    const m = manifest.data;
    return {
      id: sid.id,
      file: manifest.file,
      ...(m.description !== undefined && { description: m.description }),
      type: m.type ?? "string",
      ...(m.schema !== undefined && { schema: m.schema }),
      ...(m.env !== undefined && { env: m.env }),
      ...(m.consumers !== undefined && { consumers: m.consumers }),
      latest: Math.max(...m.versions.map((v) => v.version)),
      stages: m.stages,
      readers: readersOf(this.access, sid.id),
      approvers: approversOf(this.access, sid.id),
      versions: m.versions.map((v) => ({ version: v.version, created: v.created, recipients: v.recipients })),
    };
  }

  /**
   * Re-encrypts every version whose recipients differ from the secret's
   * readers today (all secrets, or those named). Values and version numbers
   * stay; only who can open them changes.
   */
  async rekey(ids?: readonly string[]): Promise<RekeyResult[]> {
    return (await import("./ops/rekey.js")).rekeySecrets(this, ids);
  }

  /** Adds a member (or more keys to one) to access.yaml. */
  async addMember(name: string, options: AddMemberOptions): Promise<AddMemberResult> {
    const result = await (await import("./ops/members.js")).addMember(this.files, name, options);
    this.accessConfig = (await this.files.readAccess()).data;
    return result;
  }

  /** Removes a member from access.yaml, and from every group and rule. */
  async removeMember(name: string): Promise<RemoveMemberResult> {
    const result = await (await import("./ops/members.js")).removeMember(this.files, name);
    this.accessConfig = (await this.files.readAccess()).data;
    return result;
  }

  /** Creates or updates one secret per variable of a .env or JSON text. */
  import(env: string, text: string, options: ImportOptions): Promise<SetResult[]> {
    return importSecrets(this, env, text, options);
  }

  /**
   * The values a stage (or a consumer's stage; default: the last stage) of
   * `env` gets, by variable name: what an app loads at start.
   */
  async export(env: string, selector: ExportSelector = {}): Promise<Record<string, string>> {
    return (await exportEnvironment(this, env, selector)).values;
  }

  /** Moves `stage` (or the first lagging stage) of a secret to its predecessor's version. */
  promote(id: string, options: { stage?: string } = {}): Promise<RolloutResult> {
    return promoteSecret(this, id, options.stage);
  }

  /** Promotes every secret of an environment; returns those that moved. */
  promoteAll(env: string, options: { stage?: string } = {}): Promise<RolloutResult[]> {
    return promoteEnvironment(this, env, options.stage);
  }

  /** Moves the stages on the newest live version (or `stage`) back to the version below (or `to`). */
  rollback(id: string, options: { stage?: string; to?: number } = {}): Promise<RolloutResult> {
    return rollbackSecret(this, id, options);
  }

  /** Per environment: each secret's versions by stage, pending promotions, rotation due; each consumer's lag. */
  status(env?: string): Promise<EnvironmentStatus[]> {
    return rolloutStatus(this, env, this.now());
  }

  /** @internal Recipients of a new version of `id`, parsed. */
  parsedRecipients(id: string): { list: VersionRecipient[]; keys: AgeRecipient[] } {
    const list = recipientsFor(this.access, id);
    const keys = list.map((r) => {
      try {
        return AgeRecipient.parse(r.key);
      } catch (e) {
        throw new LockstepError("INVALID_KEY", `access.yaml: member ${r.member} has an invalid recipient`, {
          file: "access.yaml",
          fix: `replace it with the member's age1... public key (\`lockstep member add ${r.member} --key age1...\`)`,
          cause: e,
        });
      }
    });
    return { list, keys };
  }

  /** @internal Encrypts a value as one version of `id`, bound to it. */
  async encryptVersion(
    id: string,
    version: number,
    value: string,
    recipients: { list: VersionRecipient[]; keys: AgeRecipient[] },
    created?: string,
  ): Promise<SecretVersion> {
    const ciphertext = await encryptArmored(sealEnvelope({ id, version, value }), recipients.keys);
    return {
      version,
      created:
        created ??
        this.now()
          .toISOString()
          .replace(/\.\d{3}Z$/, "Z"),
      recipients: recipients.list,
      ciphertext,
    };
  }

  /** @internal Decrypts one version and checks its binding. */
  async decryptVersion(id: string, v: SecretVersion, file: string): Promise<string> {
    const identities = await this.loadIdentities();
    const bytes = await decryptArmored(
      v.ciphertext,
      identities,
      v.recipients.map((r) => r.key),
      { file, what: `${id} version ${v.version}` },
    );
    return openEnvelope(bytes, { id, version: v.version }, file);
  }

  private async mustRead(
    id: string,
  ): Promise<{ sid: ReturnType<Repository["secretId"]>; manifest: YamlFile<SecretManifest> }> {
    const sid = this.secretId(id);
    return { sid, manifest: await this.readManifest(sid.id) };
  }

  /** @internal A secret's manifest; throws `UNKNOWN_SECRET` if there is none. */
  async readManifest(id: string): Promise<YamlFile<SecretManifest>> {
    const manifest = await this.files.readManifest(id);
    if (!manifest) {
      throw new LockstepError("UNKNOWN_SECRET", `no secret ${id} (no ${this.files.manifestFile(id)})`, {
        file: this.files.manifestFile(id),
        fix: "list secrets with `lockstep ls`, or create it with `lockstep set`",
      });
    }
    return manifest;
  }
}

/** Opens the secrets repository that holds `options.dir` (default: the working directory). */
export async function openRepository(options: OpenOptions = {}): Promise<Repository> {
  const root = await findRoot(options.dir ?? process.cwd());
  const files = new RepositoryFiles(root);
  const [config, access] = await Promise.all([files.readConfig(), files.readAccess()]);
  return new Repository(files, config.data, access.data, options);
}

/** Makes a value from a generator spec (`password:32`, `uuid`, ...). */
export function generateValue(spec: string): string {
  return parseGenerator(spec).generate();
}
