/**
 * The files of a secrets repository: where they are, and reading and writing
 * them. The only module that knows the repository's folder layout.
 */
import { createHash } from "node:crypto";
import { type Dirent, existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { readFile, rmdir } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { isSecretId } from "../core/ids.js";
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

/** A link of the repository that leads outside its folder. */
export interface OutsideLink {
  /** The link, repository-relative. */
  rel: string;
  /** Where it leads (absolute). */
  target: string;
}

/** What the secrets folder holds: manifests by id, and what is not one. */
export interface SecretFiles {
  /** Ids of the manifests, sorted. */
  ids: string[];
  /** `.yaml` files under secrets/ whose path names no valid secret id (`password copy.yaml`), repository-relative. */
  invalid: string[];
  /** Links under secrets/ (or secrets/ itself) that lead outside the repository's folder: never followed. */
  outside: OutsideLink[];
}

/** The error for a link out of the repository. */
export function outsideLinkError(link: OutsideLink): LockstepError {
  return new LockstepError(
    "UNSAFE_PATH",
    `${link.rel} is a link to ${link.target}, outside the repository: lockstep reads and writes secrets only inside it`,
    {
      file: link.rel,
      fix: `replace the link with the folder or file itself (secrets live in the repository, under review), or remove it`,
    },
  );
}

/** Reads and writes the files of one secrets repository. */
export class RepositoryFiles {
  /** Absolute path of the folder holding lockstep.yaml. */
  readonly root: string;
  #realRoot: string | undefined;
  /** Folders (repository-relative) known to lie inside the repository, links resolved. */
  readonly #insideFolders = new Set<string>();
  /** Files the last walk found inside the repository, links resolved. */
  readonly #insideFiles = new Set<string>();
  /** Ids whose manifests the walks reached through a link (a linked folder on the way, or a linked file). */
  readonly #viaLink = new Set<string>();

  constructor(root: string) {
    this.root = root;
  }

  /** The repository's folder, links resolved. */
  private realRoot(): string {
    this.#realRoot ??= realpathSync.native(this.root);
    return this.#realRoot;
  }

  /** Whether an absolute, link-free path lies inside the repository's folder. */
  private inside(real: string): boolean {
    const root = this.realRoot();
    return real === root || real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
  }

  /**
   * Refuses a repository-relative path that reaches outside the repository
   * through a link: a folder on the way, or the file itself. A path that
   * does not exist yet is judged by the nearest folder that does.
   * @throws LockstepError `UNSAFE_PATH`.
   */
  assertInside(rel: string): void {
    if (this.#insideFiles.has(rel)) return;
    const parts = rel.split("/");
    for (let n = 1; n <= parts.length; n++) {
      const at = parts.slice(0, n).join("/");
      if (n < parts.length && this.#insideFolders.has(at)) continue;
      let link: boolean;
      try {
        link = lstatSync(this.abs(at)).isSymbolicLink();
      } catch {
        return; // missing from here on: nothing to follow
      }
      if (link) {
        let target: string;
        try {
          target = realpathSync.native(this.abs(at));
        } catch {
          return; // a dangling link: reading it fails as a missing file
        }
        if (!this.inside(target)) throw outsideLinkError({ rel: at, target });
      }
      if (n < parts.length) this.#insideFolders.add(at);
    }
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

  /**
   * Writes a file's text atomically (a link at `rel` is replaced, never written through).
   * @throws LockstepError `UNSAFE_PATH` when a folder on the way is a link out of the repository.
   */
  async writeText(rel: string, text: string): Promise<void> {
    this.assertInside(dirname(rel));
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

  /**
   * The ids of every secret (of one environment, if given), sorted; files
   * whose path is no valid id are left out (see {@link scanSecretFiles}).
   * @throws LockstepError `UNSAFE_PATH` if a link under secrets/ leads outside the repository.
   */
  async listSecretIds(env?: string): Promise<string[]> {
    const found = this.scanSecretFiles(env);
    const [outside] = found.outside;
    if (outside) throw outsideLinkError(outside);
    return found.ids;
  }

  /**
   * Temporary files of writes that a kill -9 cut short, repository-relative:
   * at the top and under secrets/. The next write in their folder removes
   * them; `check` reports the ones still there.
   */
  leftoverFiles(): string[] {
    const top = readdirSync(this.root).filter((name) => isTemporaryFile(name));
    return [...top, ...this.filesEndingIn(SECRETS_DIR, ".tmp").filter((rel) => isTemporaryFile(rel))];
  }

  /** The repository-relative paths of the files under `folder` whose names end in `suffix` (links not followed). */
  private filesEndingIn(folder: string, suffix: string): string[] {
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
   * Every manifest under secrets/ (or secrets/ENV), following links to
   * folders and files that stay inside the repository, as every command
   * sees them; and what is not a manifest: `.yaml` files whose path is no
   * valid id, and links out of the repository (not followed).
   */
  scanSecretFiles(env?: string): SecretFiles {
    // Synchronous, folder by folder with the entries' types: a recursive fs/promises readdir stats
    // every entry, which costs more than the rest of the walk over a thousand manifests.
    const folder = env === undefined ? SECRETS_DIR : `${SECRETS_DIR}/${env}`;
    const out: SecretFiles = { ids: [], invalid: [], outside: [] };
    if (!existsSync(this.abs(folder))) return out;
    try {
      this.assertInside(folder);
    } catch (e) {
      const target = realpathSync.native(this.abs(folder));
      if (e instanceof LockstepError && e.code === "UNSAFE_PATH") {
        out.outside.push({ rel: e.file ?? folder, target });
        return out;
      }
      throw e;
    }
    const start = SECRETS_DIR.length + 1;
    const walk = (rel: string, ancestors: ReadonlySet<string>, linked: boolean): void => {
      for (const entry of readdirSync(this.abs(rel), { withFileTypes: true })) {
        const child = `${rel}/${entry.name}`;
        const kind = this.kindOf(entry, child, out);
        if (kind === "folder") {
          const real = realpathSync.native(this.abs(child));
          if (ancestors.has(real)) continue; // a link back up: its contents are listed once, where they are
          this.#insideFolders.add(child);
          walk(child, new Set([...ancestors, real]), linked || entry.isSymbolicLink());
        } else if (kind === "file" && entry.name.endsWith(".yaml")) {
          const id = child.slice(start, -".yaml".length);
          if (isSecretId(id)) {
            out.ids.push(id);
            this.#insideFiles.add(child);
            if (linked || entry.isSymbolicLink()) this.#viaLink.add(id);
          } else {
            out.invalid.push(child);
          }
        }
      }
    };
    const top = realpathSync.native(this.abs(folder));
    walk(folder, new Set([top]), top !== join(this.realRoot(), ...folder.split("/")));
    out.ids.sort();
    out.invalid.sort();
    return out;
  }

  /**
   * Where a secret's manifest really is (repository-relative, `/`-separated)
   * when a listing reached it through a link inside the repository;
   * `undefined` when it is where its id says.
   */
  linkedManifest(id: string): string | undefined {
    return this.#viaLink.has(id) ? this.realRelative(this.manifestFile(id)) : undefined;
  }

  /**
   * Where a repository-relative path really is, links resolved, when that
   * differs from the path (`/`-separated, relative to the repository);
   * `undefined` when it is where it says, or does not exist.
   */
  realRelative(rel: string): string | undefined {
    let real: string;
    try {
      real = realpathSync.native(this.abs(rel));
    } catch {
      return undefined;
    }
    const root = this.realRoot();
    if (!this.inside(real) || real === root) return undefined;
    const out = real
      .slice(root.length + (root.endsWith(sep) ? 0 : 1))
      .split(sep)
      .join("/");
    return out === rel ? undefined : out;
  }

  /** A folder, a file, or neither, links followed when they stay inside (else recorded in `out`). */
  private kindOf(entry: Dirent, rel: string, out: SecretFiles): "folder" | "file" | undefined {
    if (entry.isDirectory()) return "folder";
    if (entry.isFile()) return "file";
    if (!entry.isSymbolicLink()) return undefined;
    let target: string;
    try {
      target = realpathSync.native(this.abs(rel));
    } catch {
      // A dangling link: a manifest that cannot be read.
      if (rel.endsWith(".yaml")) out.invalid.push(rel);
      return undefined;
    }
    if (!this.inside(target)) {
      out.outside.push({ rel, target });
      return undefined;
    }
    const st = statSync(target);
    return st.isDirectory() ? "folder" : st.isFile() ? "file" : undefined;
  }

  /**
   * A YAML file of the repository, validated against `schema` (manifests:
   * see manifests.ts).
   * @throws FileFormatError; LockstepError `UNSAFE_PATH` for a link out of the repository; the file system's error if it cannot be read.
   */
  async readYaml<T>(rel: string, schema: FileSchema): Promise<YamlFile<T>> {
    this.assertInside(rel);
    // Synchronous on purpose: a read of a few kilobytes costs far less than the
    // open/stat/read/close round trips of fs/promises, over a thousand manifests.
    const text = readFileSync(this.abs(rel), "utf8");
    return parseYamlFile<T>(text, rel, schema);
  }
}
