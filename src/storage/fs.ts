/**
 * File writes that cannot be half-done, and small reads. Locks are in
 * locks.ts.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { access, mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { LockstepError } from "../errors.js";

/**
 * Writes `data` to `path` atomically: a temporary file beside it
 * (`NAME.PID.TAG-N.tmp`), flushed, then renamed over. Readers see the old
 * file or the new one, never a part. The first write in a folder removes
 * the temporary files that writers killed mid-write left there.
 * @throws LockstepError `IO` naming the file, with nothing left behind.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = `${path}.${PROCESS_TAG}-${tmpCount++}.tmp`;
  sweepOnce(dirname(path));
  inFlight.add(tmp);
  try {
    const fh = await inFolder(path, () => open(tmp, "wx", mode));
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw ioError(e, path);
  } finally {
    inFlight.delete(tmp);
  }
}

/** Temporary files being written now, removed should a signal end the process first. */
const inFlight = new Set<string>();

/** Removes the temporary files of writes in flight, synchronously: for the CLI's signal handler. */
export function removeTemporaryFiles(): void {
  for (const tmp of inFlight) {
    try {
      unlinkSync(tmp);
    } catch {
      // not made yet, or renamed into place already
    }
  }
  inFlight.clear();
}

/** A temporary file of {@link writeFileAtomic}: the target's name, the writer's pid and tag, a count. */
const TEMPORARY = /\.(\d+)\.[0-9a-f]{8}-\d+\.tmp$/;

/** Whether a file name is one of {@link writeFileAtomic}'s temporary files. */
export function isTemporaryFile(name: string): boolean {
  return TEMPORARY.test(name);
}

const swept = new Set<string>();

/** Once per folder and process: removes temporary files whose writer is gone (its pid dead here, or a minute old). */
function sweepOnce(folder: string): void {
  if (swept.has(folder)) return;
  swept.add(folder);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMPORARY.exec(name);
    if (!m) continue;
    const file = join(folder, name);
    try {
      const { mtimeMs } = statSync(file);
      if (isDeadProcess(Number(m[1]), mtimeMs) || Date.now() - mtimeMs > 60_000) unlinkSync(file);
    } catch {
      // gone already
    }
  }
}

/**
 * An I/O failure as a coded error naming the file: `ENOSPC` says the disk
 * is full, and where. Errors lockstep raised on purpose pass through.
 */
export function ioError(e: unknown, path: string, display = path): unknown {
  if (e instanceof LockstepError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === undefined) return e;
  const why = IO_REASONS[code] ?? code;
  return new LockstepError("IO", `cannot write ${display}: ${why} (${code})`, {
    file: display,
    fix: IO_FIXES[code] ?? "check the path and its permissions, then run the command again",
    cause: e,
  });
}

const IO_REASONS: Record<string, string> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "the file system is read-only",
  EISDIR: "a folder is in the way",
  ENOTDIR: "a file is in the way of its folder",
  EIO: "an input/output error",
};
const IO_FIXES: Record<string, string> = {
  ENOSPC: "free some space and run the command again; the old file is unchanged",
  EDQUOT: "free some space and run the command again; the old file is unchanged",
  EROFS: "run it where the repository is writable",
};

/**
 * Creates `path` with `data`, failing if it exists (never overwrites).
 * @throws LockstepError `ALREADY_EXISTS`.
 */
export async function writeFileExclusive(path: string, data: string, mode: number, display = path): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    await mkdir(dirname(path), { recursive: true });
    fh = await open(path, "wx", mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") {
      throw new LockstepError("ALREADY_EXISTS", `${display} already exists; refusing to overwrite it`, {
        file: display,
        fix: "choose another path, or move the existing file away first",
      });
    }
    throw ioError(e, path, display);
  }
  // Never a partial or empty file left behind (a rerun would then refuse: "already exists").
  inFlight.add(path);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    await rm(path, { force: true });
    throw ioError(e, path, display);
  } finally {
    inFlight.delete(path);
  }
}

/** This process's temporary files and locks: its pid and a random tag, then a count (one random draw per process). */
export const PROCESS_TAG = `${process.pid}.${randomBytes(4).toString("hex")}`;

/**
 * Whether the process of this pid that made (or last touched) a file is gone
 * from this machine (this pid namespace): no process has the pid, or, given
 * `since` (the file's mtime, ms since the epoch), the process that has it now
 * started after the file was last touched, so it reuses a dead process's pid
 * (Linux: a pid space of 32768 wraps within minutes on a busy machine).
 */
export function isDeadProcess(pid: number, since?: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
  if (since === undefined) return false;
  const started = processStart(pid);
  // btime is in whole seconds: a margin of two keeps a live owner from ever being taken for a dead one.
  return started !== undefined && started > since + 2000;
}

/** Boot time, ms since the epoch (proc(5): `btime` in /proc/stat); `null` where there is no /proc. */
let bootMs: number | null | undefined;

/**
 * When the process `pid` started, ms since the epoch, or `undefined` if it
 * cannot be told (not Linux, the process is gone). proc(5): field 22 of
 * /proc/PID/stat, `starttime`, in clock ticks since boot; USER_HZ is 100 on
 * every Linux architecture Node runs on.
 */
function processStart(pid: number): number | undefined {
  try {
    if (bootMs === undefined) {
      const m = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"));
      bootMs = m ? Number(m[1]) * 1000 : null;
    }
    if (bootMs === null) return undefined;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After "PID (COMM) ", whose COMM may hold spaces and parentheses, field 3 comes first: 22 is [19].
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    return Number.isFinite(ticks) ? bootMs + ticks * 10 : undefined;
  } catch {
    if (bootMs === undefined) bootMs = null;
    return undefined;
  }
}
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

/** Removes a file if it is there. */
export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Makes a folder and its parents. */
export async function ensureDir(path: string, mode?: number): Promise<void> {
  await mkdir(path, { recursive: true, ...(mode !== undefined && { mode }) });
}
