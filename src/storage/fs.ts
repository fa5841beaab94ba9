/**
 * File writes that cannot be half-done, and a lock that serializes writers
 * of one file across processes.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { access, mkdir, open, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { LockstepError } from "../errors.js";

/**
 * Writes `data` to `path` atomically: a temporary file beside it, flushed,
 * then renamed over. Readers see the old file or the new one, never a part.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = `${path}.${TMP_TAG}-${tmpCount++}.tmp`;
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
const TMP_TAG = `${process.pid}.${randomBytes(4).toString("hex")}`;
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

const LOCK_WAIT_MS = 15_000;
const LOCK_STALE_MS = 60_000;

/**
 * Runs `fn` holding an exclusive lock on `path` (a `path.lock` file), so
 * that concurrent lockstep processes writing one file take turns.
 * @throws LockstepError `LOCKED` if the lock is not had within 15 seconds.
 */
export async function withFileLock<T>(path: string, display: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      await inFolder(lock, () => writeFile(lock, `${process.pid}\n`, { flag: "wx" }));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > LOCK_STALE_MS) {
        await unlink(lock).catch(() => {}); // left by a process that died mid-write
        continue;
      }
      if (Date.now() > deadline) {
        throw new LockstepError("LOCKED", `${display} is locked by another lockstep process`, {
          file: display,
          fix: `wait for it to finish; if none is running, remove ${display}.lock`,
        });
      }
      await new Promise((r) => setTimeout(r, Math.min(10 * 2 ** Math.min(attempt, 5), 200) * (0.5 + Math.random())));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => {});
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
