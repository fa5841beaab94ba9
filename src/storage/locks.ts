/**
 * Locks that serialize lockstep's writers across processes: one per file
 * for writers of one secret, one per repository for bulk writers.
 *
 * A lock is a folder holding one file, its owner, named by a token unique
 * to the holder and the acquisition. The folder is made complete under a
 * name of its own, then renamed into place: `rename` onto a folder that
 * holds anything fails, so exactly one contender gets it. A lock left by
 * a process that died (its owner's pid is gone on this host, or its owner
 * file was not refreshed for a minute) is broken by removing *that owner
 * file by name*, then the emptied folder: a process that saw the same dead
 * lock a moment too late finds its owner file gone and removes nothing, and
 * `rmdir` never removes a folder another writer has renamed into place.
 * Checking a lock's age and then removing "the lock" by path, as a lock
 * *file* must, lets a late waiter remove the fresh lock an earlier one just
 * took, and two writers then both hold it (proper-lockfile takes over stale
 * locks that way too).
 *
 * Nothing here prints or ends the process: the CLI calls
 * {@link releaseHeldLocks} when a signal ends it.
 */

import { createHash } from "node:crypto";
import {
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { LockstepError } from "../errors.js";
import { ioError, isDeadProcess, PROCESS_TAG, removeTemporaryFiles } from "./fs.js";
import { removeScratchFolders } from "./scratch.js";

const LOCK_WAIT_MS = 15_000;
/** A lock whose owner file is older than this was left by a process that stopped (holders refresh theirs). */
const LOCK_STALE_MS = 60_000;
const REFRESH_MS = LOCK_STALE_MS / 4;

/*
 * A writer of one file (set, promote, member add) holds that file's lock. A
 * bulk writer (import, rekey) holds one lock for the whole repository
 * instead: creating and removing a lock per secret was a fifth of a rekey
 * of 1000 secrets. The two kinds meet this way:
 *
 * - a writer of one file, once it holds its file's lock, looks for the bulk
 *   lock; if it is held, it lets go of its own and waits;
 * - a bulk writer, once it holds the bulk lock, waits until no file's lock
 *   is held, and writes from then on.
 *
 * Each announces itself (holds its lock) before it looks for the other, so
 * whichever looks second sees the first: the two never write at once.
 * Inside the process that holds the bulk lock, writers of one file take
 * turns in memory.
 */

/** A lock: the folder's absolute path, and how messages name it. */
export interface LockFile {
  path: string;
  display: string;
}

/**
 * The last part of an owner file's name: a digest of the machine and (on
 * Linux) the pid namespace, so that another process can tell whether the
 * owner's pid is one it can check (containers sharing a folder have
 * namespaces of their own). The owner file itself is empty, so that a lock
 * needs no space on a full disk.
 */
let host: string | undefined;
function thisHost(): string {
  if (host === undefined) {
    let namespace = "-";
    try {
      namespace = readlinkSync("/proc/self/ns/pid");
    } catch {
      // not Linux
    }
    host = createHash("sha256").update(`${hostname()} ${namespace}`).digest("hex").slice(0, 12);
  }
  return host;
}

/** A lock this process holds: its folder and owner file. */
interface Hold {
  dir: string;
  owner: string;
  /** Set when the owner file went: another process broke the lock after this one stalled. */
  lost?: boolean;
}

/** Every lock this process holds (or is taking), by folder. */
const held = new Map<string, Hold>();
/** Temporary folders of locks being taken, removed should a signal come first. */
const taking = new Set<string>();
let acquisitions = 0;
let refresher: NodeJS.Timeout | undefined;

/**
 * Tries once to take the lock at `dir`, breaking it first if a dead process
 * left it. Synchronous from the creation to the entry in {@link held}, so
 * that no signal handler runs between them.
 * @returns the hold, or `undefined` if a live process holds the lock.
 */
function tryTake(dir: string): Hold | undefined {
  for (let broken = 0; broken < 3; broken++) {
    const token = `${PROCESS_TAG}.${acquisitions++}.${thisHost()}`;
    const tmp = `${dir}.${token}.new`;
    taking.add(tmp);
    try {
      try {
        mkdirSync(tmp);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        mkdirSync(dirname(tmp), { recursive: true });
        mkdirSync(tmp);
      }
      writeFileSync(join(tmp, token), "");
      try {
        renameSync(tmp, dir);
        const hold = { dir, owner: join(dir, token) };
        held.set(dir, hold);
        startRefreshing();
        return hold;
      } catch (e) {
        if (!TAKEN.has((e as NodeJS.ErrnoException).code ?? "")) throw e;
      }
    } finally {
      removeQuietly(join(tmp, token));
      removeFolderQuietly(tmp);
      taking.delete(tmp);
    }
    if (isHeld(dir)) return undefined;
  }
  return undefined;
}

/** {@link tryTake}, its failures (a full disk, a read-only folder) as coded errors naming what was to be written. */
function take(lock: LockFile, what: string): Hold | undefined {
  try {
    return tryTake(lock.path);
  } catch (e) {
    throw ioError(e, lock.path, `${what} (its lock, ${lock.display})`);
  }
}

/** What `rename` onto a lock that is there says: a folder with an owner, a file (an older lockstep's lock), or (Windows) any folder. */
const TAKEN = new Set(["EEXIST", "ENOTEMPTY", "ENOTDIR", "EISDIR", "EPERM", "EACCES", "EBUSY"]);

/**
 * Whether a live process holds the lock at `dir`. A lock left by a dead
 * process is broken on the way (its owner file by name, then the empty
 * folder), and is not held.
 */
function isHeld(dir: string): boolean {
  let owners: string[];
  try {
    owners = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    if (code !== "ENOTDIR") throw e;
    // A file where the lock goes (an older lockstep's lock file): held while fresh. Removing it by
    // path cannot remove a folder another writer has renamed into place meanwhile.
    if (!isOld(dir)) return true;
    removeQuietly(dir);
    return false;
  }
  for (const name of owners) {
    const owner = join(dir, name);
    if (!isDeadOwner(owner, name)) return true;
    removeQuietly(owner);
  }
  removeFolderQuietly(dir); // fails, harmlessly, if another writer's lock has come meanwhile
  return false;
}

/**
 * Whether an owner file (`PID.TAG.N.HOST`) was left by a process that is
 * gone: its pid is dead on this machine, or it was not refreshed for a minute.
 */
function isDeadOwner(owner: string, token: string): boolean {
  const touched = touchedAt(owner);
  if (touched === undefined || Date.now() - touched > LOCK_STALE_MS) return true;
  const parts = token.split(".");
  const pid = Number(parts[0]);
  return parts.length === 4 && parts[3] === thisHost() && Number.isInteger(pid) && isDeadProcess(pid, touched);
}

/** A file's mtime (ms since the epoch), or `undefined` once it is gone. */
function touchedAt(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function isOld(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > LOCK_STALE_MS;
  } catch {
    return true; // gone already
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already, or a folder (another writer's lock)
  }
}

function removeFolderQuietly(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // not empty (another writer's lock), or gone already
  }
}

/** Lets go of a lock this process holds; if another process broke it meanwhile, leaves that one's alone. */
function release(hold: Hold): void {
  removeQuietly(hold.owner);
  removeFolderQuietly(hold.dir);
  if (held.get(hold.dir) === hold) held.delete(hold.dir);
  if (held.size === 0 && refresher) {
    clearInterval(refresher);
    refresher = undefined;
  }
}

/** Keeps every held lock's owner file fresh, so a long command is never taken for a dead one. */
function startRefreshing(): void {
  if (refresher) return;
  refresher = setInterval(() => {
    const now = new Date();
    for (const hold of held.values()) {
      try {
        utimesSync(hold.owner, now, now);
      } catch {
        hold.lost = true;
      }
    }
  }, REFRESH_MS);
  refresher.unref();
}

/** Whether another process broke this lock (after this one stalled past a minute). */
function isLost(hold: Hold): boolean {
  if (!hold.lost) {
    try {
      statSync(hold.owner);
    } catch {
      hold.lost = true;
    }
  }
  return hold.lost === true;
}

/**
 * Removes every lock this process holds or is taking, synchronously: for a
 * signal handler of the CLI, before the process ends. A library host that
 * goes on running lets its writes end instead, and they let go.
 */
export function releaseHeldLocks(): void {
  for (const hold of [...held.values()]) release(hold);
  for (const tmp of taking) {
    for (const f of readdirQuietly(tmp)) removeQuietly(join(tmp, f));
    removeFolderQuietly(tmp);
  }
}

/**
 * The locks in `folder` whose names start with `prefix` (`display` names
 * the folder in messages). Leftovers of a lock's making that a killed
 * process left behind are removed on the way.
 */
export function locksIn(folder: string, display: string, prefix: string): LockFile[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const locks: LockFile[] = [];
  for (const name of names) {
    if (name.endsWith(".new")) {
      const pid = Number(name.split(".").at(-5));
      const path = join(folder, name);
      const touched = touchedAt(path);
      const old = touched === undefined || Date.now() - touched > LOCK_STALE_MS;
      if (!taking.has(path) && (old || (Number.isInteger(pid) && isDeadProcess(pid, touched)))) {
        for (const f of readdirQuietly(path)) removeQuietly(join(path, f));
        removeFolderQuietly(path);
      }
    } else if (name.startsWith(prefix)) {
      locks.push({ path: join(folder, name), display: `${display}/${name}` });
    }
  }
  return locks;
}

function readdirQuietly(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/**
 * Removes what this process's writes hold now, synchronously: its locks and
 * the temporary files of writes in flight, and the private folders of
 * values being edited (scratch.ts). For a signal handler, before the
 * process ends; the CLI's does this on Ctrl-C, SIGTERM and SIGHUP. (A
 * passphrase prompt's terminal needs nothing: Node gives a terminal on
 * standard input or error its mode back when a signal ends the process.)
 */
export function releaseHeldResources(): void {
  releaseHeldLocks();
  removeTemporaryFiles();
  removeScratchFolders();
}

/** Whether this process holds any lock now. */
export function holdsLocks(): boolean {
  return held.size > 0 || taking.size > 0;
}

/** A bulk lock this process holds (or is taking): how many callers share it. */
interface BulkHold {
  holders: number;
  /** Settles when the lock is had and no writer of a single file holds one; rejects if not in time. */
  ready: Promise<void>;
  hold?: Hold;
}
const bulkHeld = new Map<string, BulkHold>();
/** This process's writers of each file under a bulk lock, in turn: the last one's promise. */
const turns = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` as the only writer of the file `file` names, holding `lock`, so
 * that lockstep processes writing one file take turns. `bulkLock` is the
 * repository's bulk lock, if any (see {@link withBulkLock}): while another
 * process holds it, this waits.
 * @throws LockstepError `LOCKED` if the turn does not come within 15 seconds, naming the lock.
 */
export async function withFileLock<T>(
  lock: LockFile,
  file: string,
  fn: () => Promise<T>,
  bulkLock?: LockFile,
): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    // Under this process's own bulk lock (perhaps taken while this waited), a turn in memory.
    const bulk = bulkLock && bulkHeld.get(bulkLock.path);
    if (bulkLock && bulk) return share(bulkLock, bulk, () => inTurn(lock.path, fn));
    const hold = held.has(lock.path) ? undefined : take(lock, file);
    if (hold && (!bulkLock || !isHeld(bulkLock.path))) {
      try {
        return await fn();
      } finally {
        release(hold);
      }
    }
    if (hold) {
      release(hold); // a bulk writer goes first
      await backOff(attempt, deadline, () => lockedError(REPOSITORY, bulkLock ?? lock));
    } else {
      await backOff(attempt, deadline, () => lockedError(file, lock));
    }
  }
}

/**
 * Runs `fn` holding the repository's bulk lock, once no writer of a single
 * file holds a lock (`others` lists the locks there are). Writes inside it
 * that name the same bulk lock take no lock of their own, and writers of
 * single files wait until it ends.
 * @throws LockstepError `LOCKED` if another process keeps it, or a file's lock, for 15 seconds.
 */
export async function withBulkLock<T>(lock: LockFile, others: () => LockFile[], fn: () => Promise<T>): Promise<T> {
  let bulk = bulkHeld.get(lock.path);
  if (!bulk) {
    const b: BulkHold = { holders: 0, ready: Promise.resolve() };
    b.ready = takeBulkLock(lock, others, b);
    bulkHeld.set(lock.path, b);
    bulk = b;
  }
  return share(lock, bulk, fn);
}

/**
 * Runs `fn` as one more sharer of this process's bulk lock, once it is had:
 * bulk writers, and any write of one file that comes meanwhile. The last
 * sharer to end lets the lock go.
 * @throws LockstepError `LOCKED` if the lock was broken (this process stalled past a minute).
 */
async function share<T>(lock: LockFile, bulk: BulkHold, fn: () => Promise<T>): Promise<T> {
  bulk.holders++;
  try {
    await bulk.ready;
    if (bulk.hold && isLost(bulk.hold)) throw lostError(lock);
    return await fn();
  } finally {
    if (--bulk.holders === 0) {
      bulkHeld.delete(lock.path);
      if (bulk.hold) release(bulk.hold);
    }
  }
}

/** Takes the bulk lock, then waits for the writers of single files. */
async function takeBulkLock(lock: LockFile, others: () => LockFile[], bulk: BulkHold): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    bulk.hold = take(lock, REPOSITORY);
    if (bulk.hold) break;
    await backOff(attempt, deadline, () => lockedError(REPOSITORY, lock));
  }
  try {
    for (let attempt = 0; ; attempt++) {
      const busy = others().find((l) => isHeld(l.path));
      if (!busy) return;
      await backOff(attempt, deadline, () => lockedError(busy.display, busy));
    }
  } catch (e) {
    release(bulk.hold);
    bulk.hold = undefined;
    throw e;
  }
}

const REPOSITORY = "the repository (an import or rekey)";

/** Runs `fn` after this process's earlier writers of `path` have finished, whatever their outcome. */
function inTurn<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const run = (turns.get(path) ?? Promise.resolve()).then(fn);
  const done = run.then(
    () => {},
    () => {},
  );
  turns.set(path, done);
  void done.then(() => {
    if (turns.get(path) === done) turns.delete(path);
  });
  return run;
}

/** Waits a little longer each attempt; past the deadline, throws the error instead. */
async function backOff(attempt: number, deadline: number, error: () => LockstepError): Promise<void> {
  if (Date.now() > deadline) throw error();
  await new Promise((r) => setTimeout(r, Math.min(10 * 2 ** Math.min(attempt, 5), 200) * (0.5 + Math.random())));
}

/** `what` could not be locked in time: another process holds `lock`, to remove if that process is gone. */
function lockedError(what: string, lock: LockFile): LockstepError {
  return new LockstepError("LOCKED", `${what} is locked by another lockstep process`, {
    file: lock.display,
    fix: `wait for it to finish and run this again; if no lockstep process is running (on any machine sharing this folder), remove ${lock.display}`,
  });
}

function lostError(lock: LockFile): LockstepError {
  return new LockstepError("LOCKED", `another lockstep process took over ${lock.display} while this one stalled`, {
    file: lock.display,
    fix: "each secret it wrote is whole: see `git status`, then run it again for the rest",
  });
}
