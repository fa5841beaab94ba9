/**
 * The files of a secrets repository: where they are, and reading and writing
 * them. The only module that knows the repository's folder layout.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile, rmdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { AccessConfig, ProjectConfig } from "../core/model.js";
import { LockstepError } from "../errors.js";
import { isTemporaryFile, writeFileAtomic } from "./fs.js";
import { type LockFile, locksIn, withBulkLock, withFileLock } from "./locks.js";
import type { FileSchema } from "./schemas.js";
import { parseYamlFile, type YamlFile } from "./yaml-file.js";

/** The repository's configuration file names. */
export const CONFIG_FILE = "lockstep.yaml";
export const ACCESS_FILE = "access.yaml";
export const SECRETS_DIR = "secrets";
/**
 * Where locks live: a folder of the repository's root that no secret id
 * reaches (manifests live under secrets/), ignored by git.
 */
export const LOCKS_DIR = ".lockstep/locks";
/** The lock that bulk writers (import, rekey) hold for the whole repository, instead of one per file. */
export const BULK_LOCK = `${LOCKS_DIR}/repository`;
/** Single files' locks: `file-` and the file's repository-relative path, percent-encoded. */
const FILE_LOCK_PREFIX = "file-";

/**
 * Walks up from `start` to the folder holding lockstep.yaml.
 * @throws LockstepError `NOT_A_REPOSITORY`.
 */
export async function findRoot(start: string): Promise<string> {
  let dir = resolve(start);
  for (;;) {
    try {
      await readFile(join(dir, CONFIG_FILE));
      return dir;
    } catch {
      const up = dirname(dir);
      if (up === dir) {
        throw new LockstepError("NOT_A_REPOSITORY", `no ${CONFIG_FILE} in ${resolve(start)} or any folder above it`, {
          fix: "run `lockstep init` to make a secrets repository here, or pass -C DIR",
        });
      }
      dir = up;
    }
  }
}

/** Reads and writes the files of one secrets repository. */
export class RepositoryFiles {
  /** Absolute path of the folder holding lockstep.yaml. */
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** The repository-relative path of a secret's manifest (always `/`-separated). */
  manifestFile(id: string): string {
    return `${SECRETS_DIR}/${id}.yaml`;
  }

  /** Absolute path of a repository-relative path. */
  abs(rel: string): string {
    return join(this.root, ...rel.split("/"));
  }

  /** Runs `fn` as the only writer of `rel`: its lock, or its turn under this process's bulk lock. */
  withLock<T>(rel: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(this.lockOf(rel), rel, fn, this.bulkLock());
  }

  /** Runs `fn` holding the repository's bulk lock: the writes inside it take no lock each. */
  withBulkLock<T>(fn: () => Promise<T>): Promise<T> {
    const others = () => locksIn(this.abs(LOCKS_DIR), LOCKS_DIR, FILE_LOCK_PREFIX);
    return withBulkLock(this.bulkLock(), others, fn);
  }

  /** The lock of a repository-relative file (a name under {@link LOCKS_DIR} that no other file shares). */
  lockOf(rel: string): LockFile {
    let name = FILE_LOCK_PREFIX + encodeURIComponent(rel);
    // A file name has at most 255 bytes; a deep id's path can be longer.
    if (name.length > 200) name = `${FILE_LOCK_PREFIX}${createHash("sha256").update(rel).digest("hex")}`;
    return { path: this.abs(`${LOCKS_DIR}/${name}`), display: `${LOCKS_DIR}/${name}` };
  }

  private bulkLock(): LockFile {
    return { path: this.abs(BULK_LOCK), display: BULK_LOCK };
  }

  /** lockstep.yaml, validated. */
  readConfig(): Promise<YamlFile<ProjectConfig>> {
    return this.readYaml<ProjectConfig>(CONFIG_FILE, "lockstep");
  }

  /** access.yaml, validated. */
  readAccess(): Promise<YamlFile<AccessConfig>> {
    return this.readYaml<AccessConfig>(ACCESS_FILE, "access");
  }

  /** Writes a file's text atomically. */
  async writeText(rel: string, text: string): Promise<void> {
    await writeFileAtomic(this.abs(rel), text);
  }

  /** Removes a repository-relative folder if it is empty; returns whether it did. */
  async removeEmptyFolder(rel: string): Promise<boolean> {
    try {
      await rmdir(this.abs(rel));
      return true;
    } catch {
      return false;
    }
  }

  /** Reads a value schema, `schemas/<name>.schema.json` in the repository. */
  async readValueSchema(name: string): Promise<object> {
    const rel = `schemas/${name}.schema.json`;
    let text: string;
    try {
      text = await readFile(this.abs(rel), "utf8");
    } catch {
      throw new LockstepError("INVALID_VALUE", `value schema "${name}" not found: no ${rel}`, {
        file: rel,
        fix: `write a JSON Schema to ${rel}, or remove "schema: ${name}" from the manifest`,
      });
    }
    try {
      return JSON.parse(text) as object;
    } catch (e) {
      throw new LockstepError("SCHEMA_INVALID", `${rel} is not valid JSON`, { file: rel, cause: e });
    }
  }

  /** The ids of every secret (of one environment, if given), sorted. */
  async listSecretIds(env?: string): Promise<string[]> {
    const folder = env === undefined ? SECRETS_DIR : `${SECRETS_DIR}/${env}`;
    const start = SECRETS_DIR.length + 1;
    return this.filesEndingIn(folder, ".yaml")
      .map((rel) => rel.slice(start, -".yaml".length))
      .sort();
  }

  /** The repository-relative paths of the files under `folder` whose names end in `suffix`. */
  /**
   * Temporary files of writes that a kill -9 cut short, repository-relative:
   * at the top and under secrets/. The next write in their folder removes
   * them; `check` reports the ones still there.
   */
  leftoverFiles(): string[] {
    const top = readdirSync(this.root).filter((name) => isTemporaryFile(name));
    return [...top, ...this.filesEndingIn(SECRETS_DIR, ".tmp").filter((rel) => isTemporaryFile(rel))];
  }

  private filesEndingIn(folder: string, suffix: string): string[] {
    // Synchronous, folder by folder with the entries' types: a recursive fs/promises readdir stats
    // every entry, which costs more than the rest of the walk over a thousand manifests.
    const found: string[] = [];
    const walk = (rel: string): void => {
      for (const entry of readdirSync(this.abs(rel), { withFileTypes: true })) {
        if (entry.isDirectory()) walk(`${rel}/${entry.name}`);
        else if (entry.name.endsWith(suffix)) found.push(`${rel}/${entry.name}`);
      }
    };
    if (existsSync(this.abs(folder))) walk(folder);
    return found;
  }

  /**
   * A YAML file of the repository, validated against `schema` (manifests:
   * see manifests.ts).
   * @throws FileFormatError; the file system's error if it cannot be read.
   */
  async readYaml<T>(rel: string, schema: FileSchema): Promise<YamlFile<T>> {
    // Synchronous on purpose: a read of a few kilobytes costs far less than the
    // open/stat/read/close round trips of fs/promises, over a thousand manifests.
    const text = readFileSync(this.abs(rel), "utf8");
    return parseYamlFile<T>(text, rel, schema);
  }
}
