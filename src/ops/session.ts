/**
 * An open secrets repository: what every use case works on. Its root,
 * lockstep.yaml, access.yaml, where this process's identities come from, and
 * the clock. Each use case is a function `(session, options) -> result` in a
 * file of its own under src/ops/; `Repository` (src/repository.ts) is a thin
 * class over them.
 */
import { resolve } from "node:path";
import { parseSecretId, type SecretId } from "../core/ids.js";
import type { AccessConfig, EnvironmentConfig, ProjectConfig } from "../core/model.js";
import { closestName, fixWithSuggestion } from "../core/suggest.js";
import type { AgeIdentity } from "../crypto/index.js";
import { LockstepError } from "../errors.js";
import { type IdentitySources, loadIdentities } from "../storage/identities.js";
import { findRoot, outsideLinkError, RepositoryFiles, SECRETS_DIR } from "../storage/layout.js";
import { idOfManifestPath, idWithoutSecretsDir } from "../storage/manifest-path.js";
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
  /** The folder relative paths are taken from: `dir` as opened (default: the working directory). */
  readonly cwd: string;
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
    this.cwd = resolve(options.dir ?? process.cwd());
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

  /** Tells the user something that does not stop the command (through `onWarning`, if given). */
  warn(message: string): void {
    this.#sources.onWarning?.(message);
  }

  /**
   * The ids of every secret (of one environment), sorted, as every command
   * sees them: links inside the repository followed; a `.yaml` file whose
   * path is no valid id (a stray copy, `password copy.yaml`) left out with
   * a warning, since `check` reports it.
   * @throws LockstepError `UNSAFE_PATH` if a link under secrets/ leads outside the repository.
   */
  async secretIds(env?: string): Promise<string[]> {
    const found = this.files.scanSecretFiles(env);
    const [outside] = found.outside;
    if (outside) throw outsideLinkError(outside);
    for (const file of found.invalid) {
      this.warn(`${file} is not a manifest of a valid secret id; left out (\`lockstep check\` reports it)`);
    }
    return found.ids;
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
   * Parses an id and checks its environment exists. A manifest's path
   * (`secrets/production/db/password.yaml`, from the working folder or the
   * repository; `production/db/password.yaml`) stands for its id.
   * @throws LockstepError `INVALID_ID`.
   */
  secretId(id: string): SecretId & { environment: EnvironmentConfig } {
    const parsed = parseSecretId(idOfManifestPath(this.root, this.cwd, id) ?? id);
    const envs = Object.keys(this.config.environments);
    if (!envs.includes(parsed.env)) {
      const meant = idWithoutSecretsDir(parsed.id, envs);
      if (meant !== undefined) {
        throw new LockstepError("INVALID_ID", `"${id}" is not a secret id: ids leave out ${SECRETS_DIR}/`, {
          fix: `did you mean ${meant}? (or its manifest's path, ${SECRETS_DIR}/${meant}.yaml)`,
        });
      }
      // A mistyped environment: offer the whole id with the near one.
      const near = closestName(parsed.env, envs);
      if (near !== undefined) {
        throw new LockstepError("INVALID_ID", `no environment "${parsed.env}" in lockstep.yaml`, {
          file: "lockstep.yaml",
          fix: `did you mean ${near}/${parsed.path}? (environments are: ${envs.join(", ")})`,
        });
      }
    }
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
        fix: fixWithSuggestion(
          name,
          Object.keys(this.config.environments),
          `environments are: ${Object.keys(this.config.environments).join(", ")}`,
        ),
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
      const env = id.split("/")[0] ?? "";
      const known = env in this.config.environments ? await this.files.listSecretIds(env) : [];
      throw new LockstepError("UNKNOWN_SECRET", `no secret ${id} (no ${file})`, {
        file,
        fix: fixWithSuggestion(id, known, "list secrets with `lockstep ls`, or create it with `lockstep set`"),
      });
    }
    return manifest;
  }
}

/** Opens a session: see {@link Session.open}. */
export function openSession(options: OpenOptions = {}): Promise<Session> {
  return Session.open(options);
}
