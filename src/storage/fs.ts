/**
 * File writes that cannot be half-done, and small reads. Locks are in
 * locks.ts.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { access, mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { LockstepError } from "../errors.js";

/**
 * Writes `data` to `path` atomically: a temporary file beside it, flushed,
 * then renamed over. Readers see the old file or the new one, never a part.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = `${path}.${PROCESS_TAG}-${tmpCount++}.tmp`;
  const fh = await inFolder(path, () => open(tmp, "wx", mode));
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Creates `path` with `data`, failing if it exists (never overwrites).
 * @throws LockstepError `ALREADY_EXISTS`.
 */
export async function writeFileExclusive(path: string, data: string, mode: number, display = path): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "wx", mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") {
      throw new LockstepError("ALREADY_EXISTS", `${display} already exists; refusing to overwrite it`, {
        file: display,
        fix: "choose another path, or move the existing file away first",
      });
    }
    throw e;
  }
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** This process's temporary files: its pid and a random tag, then a count (one random draw per process). */
export const PROCESS_TAG = `${process.pid}.${randomBytes(4).toString("hex")}`;
let tmpCount = 0;

/**
 * Creates a file in `path`'s folder with `create`, making the folder first
 * only if it is missing: bulk commands write a thousand files to folders
 * that exist, and a `mkdir` before each costs a round trip through the
 * thread pool.
 */
async function inFolder<T>(path: string, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    await mkdir(dirname(path), { recursive: true });
    return create();
  }
}

/** A file's text, or `undefined` if it cannot be read (missing, a folder, no permission). */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  return readBytesIfExists(path).then((b) => b?.toString("utf8"));
}

/** A file's bytes, or `undefined` if it cannot be read. */
export async function readBytesIfExists(path: string): Promise<Buffer | undefined> {
  // Synchronous: bulk commands read a thousand small files, and each async read
  // costs four round trips through the thread pool (open, stat, read, close).
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Whether a path exists. */
export async function pathExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Makes a folder and its parents. */
export async function ensureDir(path: string, mode?: number): Promise<void> {
  await mkdir(path, { recursive: true, ...(mode !== undefined && { mode }) });
}
