/**
 * A private place for a decrypted value while a person edits it (`edit`),
 * as `sops edit` makes one: a folder of mode 0700 holding one file of mode
 * 0600, on a memory file system (`/dev/shm`) where there is one, so that the
 * value never reaches a disk. The folder (not only the file: editors write
 * backups and swap files beside it, and some replace the file by a new one
 * with their own mode) is removed on every way out: when the caller is
 * done, when the process exits, and when a signal ends it (the CLI's signal
 * handler calls {@link removeScratchFolders} through `releaseHeldResources`).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { chmod, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Memory file systems to prefer, in order. */
const MEMORY = ["/dev/shm"];

/** Scratch folders alive in this process. */
const folders = new Set<string>();
let onExit = false;

/** A private file holding a value. */
export interface ScratchFile {
  /** Absolute path of the file. */
  path: string;
  /** Whether it is on a memory file system. */
  inMemory: boolean;
  /** The file's bytes now. */
  read(): Promise<Buffer>;
  /** Removes the file and its folder (again is harmless). */
  remove(): void;
}

function usableFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes `data` to `name` in a new private folder (0700; the file 0600).
 * `base` overrides where the folder is made (tests).
 */
export async function scratchFile(name: string, data: Uint8Array | string, base?: string): Promise<ScratchFile> {
  const candidates = base !== undefined ? [base] : [...MEMORY.filter(usableFolder), tmpdir()];
  let folder: string | undefined;
  let error: unknown;
  for (const c of candidates) {
    try {
      folder = mkdtempSync(join(c, "lockstep-edit-"));
      break;
    } catch (e) {
      error = e; // a read-only /dev/shm: try the next
    }
  }
  if (folder === undefined) throw error;
  folders.add(folder);
  if (!onExit) {
    onExit = true;
    process.on("exit", removeScratchFolders);
  }
  const dir = folder;
  const path = join(dir, name);
  try {
    await chmod(dir, 0o700);
    writeFileSync(path, data, { mode: 0o600, flag: "wx" });
  } catch (e) {
    remove(dir);
    throw e;
  }
  return {
    path,
    inMemory: base === undefined && MEMORY.some((m) => dir.startsWith(`${m}/`)),
    read: () => readFile(path),
    remove: () => remove(dir),
  };
}

function remove(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  folders.delete(dir);
}

/** Removes every scratch folder of this process, synchronously: for exit and signal handlers. */
export function removeScratchFolders(): void {
  for (const dir of [...folders]) {
    try {
      remove(dir);
    } catch {
      // gone already
    }
  }
}
