/**
 * An open secrets repository: what every use case works on. Its root,
 * lockstep.yaml, access.yaml, where this process's identities come from, and
 * the clock. Each use case is a function `(session, options) -> result` in a
 * file of its own under src/ops/; `Repository` (src/repository.ts) is a thin
 * class over them.
 */
import { parseSecretId, type SecretId } from "../core/ids.js";
import type { AccessConfig, EnvironmentConfig, ProjectConfig } from "../core/model.js";
import type { AgeIdentity } from "../crypto/index.js";
import { LockstepError } from "../errors.js";
import { type IdentitySources, loadIdentities } from "../storage/identities.js";
import { findRoot, RepositoryFiles } from "../storage/layout.js";
import { readManifest, type StoredManifest } from "../storage/manifests.js";
import type { YamlFile } from "../storage/yaml-file.js";

/** How to open a repository. */
export interface OpenOptions extends IdentitySources {
  /** A folder inside the repository (default: the working directory). */
  dir?: string;
  /** The clock, for version dates, rotation and `check` (tests fix it). */
  now?: () => Date;
  /**
   * Whether an invalid lockstep.yaml or access.yaml stops the opening
   * (default `true`). With `false`, as `check`, `diff`, `audit` and
   * `exposure` open it, reading `config` or `access` throws instead.
   */
  strict?: boolean;
}

/** A file as read, or the error reading it raised. */
type Loaded<T> = { file: YamlFile<T> } | { error: unknown };

async function load<T>(read: () => Promise<YamlFile<T>>): Promise<Loaded<T>> {
  try {
    return { file: await read() };
  } catch (error) {
    return { error };
  }
}

function loaded<T>(l: Loaded<T>): YamlFile<T> {
  if ("error" in l) throw l.error;
  return l.file;
}

/** An open secrets repository. Made by {@link openSession}. */
export class Session {
  /** Absolute path of the folder holding lockstep.yaml. */
  readonly root: string;
  /** The repository's files (storage). */
  readonly files: RepositoryFiles;
  /** The clock. */
  readonly now: () => Date;
  #config: Loaded<ProjectConfig>;
  #access: Loaded<AccessConfig>;
  readonly #sources: IdentitySources;
  #identities?: Promise<AgeIdentity[]>;

  private constructor(
    files: RepositoryFiles,
    config: Loaded<ProjectConfig>,
    access: Loaded<AccessConfig>,
    options: OpenOptions,
  ) {
    this.files = files;
    this.root = files.root;
    this.#config = config;
    this.#access = access;
    this.#sources = options;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Opens the repository that holds `options.dir` (default: the working directory).
   * @throws LockstepError `NOT_A_REPOSITORY`; with `strict` (the default), what reading lockstep.yaml or access.yaml throws.
   */
  static async open(options: OpenOptions = {}): Promise<Session> {
    const files = new RepositoryFiles(await findRoot(options.dir ?? process.cwd()));
    const [config, access] = await Promise.all([load(() => files.readConfig()), load(() => files.readAccess())]);
    const session = new Session(files, config, access, options);
    if (options.strict !== false) {
      loaded(config);
      loaded(access);
    }
    return session;
  }

  /** lockstep.yaml's data. @throws what reading it threw, if it is invalid. */
  get config(): ProjectConfig {
    return loaded(this.#config).data;
  }

  /** access.yaml's data, as last read or written through this session. @throws what reading it threw. */
  get access(): AccessConfig {
    return loaded(this.#access).data;
  }

  /** lockstep.yaml as read, with its lines. @throws what reading it threw. */
  configFile(): YamlFile<ProjectConfig> {
    return loaded(this.#config);
  }

  /** access.yaml as read, with its lines. @throws what reading it threw. */
  accessFile(): YamlFile<AccessConfig> {
    return loaded(this.#access);
  }

  /** Reads access.yaml again, after an edit. */
  async reloadAccess(): Promise<void> {
    this.#access = await load(() => this.files.readAccess());
  }

  /** The identities of this process, loaded on first use (never for metadata commands). */
  identities(): Promise<AgeIdentity[]> {
    this.#identities ??= loadIdentities(this.#sources);
    return this.#identities;
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

  /**
   * A secret's manifest.
   * @throws LockstepError `UNKNOWN_SECRET` if there is none.
   */
  async manifest(id: string): Promise<StoredManifest> {
    const manifest = await readManifest(this.files, id);
    if (!manifest) {
      const file = this.files.manifestFile(id);
      throw new LockstepError("UNKNOWN_SECRET", `no secret ${id} (no ${file})`, {
        file,
        fix: "list secrets with `lockstep ls`, or create it with `lockstep set`",
      });
    }
    return manifest;
  }
}

/** Opens a session: see {@link Session.open}. */
export function openSession(options: OpenOptions = {}): Promise<Session> {
  return Session.open(options);
}
