/**
 * Locks that serialize lockstep's writers across processes: one per file
 * for writers of one secret, one per repository for bulk writers.
 */
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { readFile, stat, unlink, utimes } from "node:fs/promises";
import { dirname } from "node:path";
import { LockstepError } from "../errors.js";
import { PROCESS_TAG } from "./fs.js";

const LOCK_WAIT_MS = 15_000;
const LOCK_STALE_MS = 60_000;

/*
 * Locks. A writer of one file (set, promote, member add) holds that file's
 * lock, `FILE.lock`. A bulk writer (import, rekey) holds one lock for the
 * whole repository instead: creating and removing a lock file per secret was
 * a fifth of a rekey of 1000 secrets. The two kinds meet this way:
 *
 * - a writer of one file, once it holds its file's lock, looks for the bulk
 *   lock; if it is there, it lets go of its own and waits;
 * - a bulk writer, once it holds the bulk lock, waits until no file's lock
 *   is held, and writes from then on.
 *
 * Each announces itself (its lock file exists) before it looks for the
 * other, so whichever looks second sees the first: the two never write at
 * once. Inside the process that holds the bulk lock, writers of one file
 * take turns in memory.
 */

/** A lock file, and how messages name it. */
export interface LockFile {
  path: string;
  display: string;
}

/** A bulk lock this process holds (or is taking): how many callers share it, and the timer that keeps it fresh. */
interface BulkHold {
  holders: number;
  /** Settles when the lock is had and no writer of a single file holds one; rejects if not in time. */
  ready: Promise<void>;
  refresh?: NodeJS.Timeout;
  /** Set when the lock file is no longer this process's: another took it over, after this one stalled. */
  lost?: boolean;
}
const bulkHeld = new Map<string, BulkHold>();
/** This process's writers of each file under a bulk lock, in turn: the last one's promise. */
const turns = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` as the only writer of `path`, so that lockstep processes writing
 * one file take turns. `bulkLock` is the repository's bulk lock, if any (see
 * {@link withBulkLock}): while another process holds it, this waits.
 * @throws LockstepError `LOCKED` if the turn does not come within 15 seconds.
 */
export async function withFileLock<T>(
  path: string,
  display: string,
  fn: () => Promise<T>,
  bulkLock?: LockFile,
): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    // Under this process's own bulk lock (perhaps taken while this waited), a turn in memory.
    const hold = bulkLock && bulkHeld.get(bulkLock.path);
    if (bulkLock && hold) return share(bulkLock, hold, () => inTurn(path, fn));
    if (await tryCreate(lock)) {
      if (!bulkLock || !(await isHeld(bulkLock.path))) break;
      await releaseLock(lock); // a bulk writer goes first
      await backOff(attempt, deadline, () => lockedError(REPOSITORY, bulkLock.display, bulkLock.display));
    } else {
      await backOff(attempt, deadline, () => lockedError(display, display, `${display}.lock`));
    }
  }
  try {
    return await fn();
  } finally {
    await releaseLock(lock);
  }
}

/**
 * Runs `fn` holding the repository's bulk lock, once no writer of a single
 * file holds a lock (`others` lists the lock files there are). Writes inside
 * it that name the same bulk lock take no lock file of their own, and
 * writers of single files wait until it ends. The lock is kept fresh while
 * held, so a long import is never taken for a dead one.
 * @throws LockstepError `LOCKED` if another process keeps it, or a file's lock, for 15 seconds.
 */
export async function withBulkLock<T>(lock: LockFile, others: () => LockFile[], fn: () => Promise<T>): Promise<T> {
  let hold = bulkHeld.get(lock.path);
  if (!hold) {
    const h: BulkHold = { holders: 0, ready: Promise.resolve() };
    h.ready = takeBulkLock(lock, others, h);
    bulkHeld.set(lock.path, h);
    hold = h;
  }
  return share(lock, hold, fn);
}

/**
 * Runs `fn` as one more sharer of this process's bulk lock, once it is had:
 * bulk writers, and any write of one file that comes meanwhile. The last
 * sharer to end lets the lock go.
 * @throws LockstepError `LOCKED` if the lock was taken over (this process stalled past its staleness).
 */
async function share<T>(lock: LockFile, hold: BulkHold, fn: () => Promise<T>): Promise<T> {
  hold.holders++;
  try {
    await hold.ready;
    if (hold.lost) {
      throw new LockstepError("LOCKED", `another lockstep process took over ${lock.display} while this one stalled`, {
        file: lock.display,
        fix: "each secret it wrote is whole: see `git status`, then run it again for the rest",
      });
    }
    return await fn();
  } finally {
    if (--hold.holders === 0) {
      bulkHeld.delete(lock.path);
      clearInterval(hold.refresh);
      if (hold.refresh) await releaseLock(lock.path);
    }
  }
}

/** Takes the bulk lock, waits for the writers of single files, and keeps the lock fresh while `hold` has it. */
async function takeBulkLock(lock: LockFile, others: () => LockFile[], hold: BulkHold): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; !(await tryCreate(lock.path)); attempt++) {
    await backOff(attempt, deadline, () => lockedError(REPOSITORY, lock.display, lock.display));
  }
  hold.refresh = setInterval(async () => {
    if (await lostLock(lock.path)) hold.lost = true;
    else {
      const now = new Date();
      await utimes(lock.path, now, now).catch(() => {});
    }
  }, LOCK_STALE_MS / 4);
  hold.refresh.unref();
  try {
    await whenNoneHeld(others, deadline);
  } catch (e) {
    clearInterval(hold.refresh);
    hold.refresh = undefined;
    await releaseLock(lock.path);
    throw e;
  }
}

/** What this process writes into its lock files: its pid and a random tag, so that it knows its own. */
const LOCK_TOKEN = `${PROCESS_TAG}\n`;

/** Lets go of a lock this process took, unless another process took it over after this one stalled. */
async function releaseLock(lock: string): Promise<void> {
  if (!(await lostLock(lock))) await unlink(lock).catch(() => {});
  forget(lock);
}

/**
 * The lock files this process holds (or is creating) now, with a count of
 * its holders. A signal that ends the process (Ctrl-C) would leave them
 * behind, making other writers wait a minute for them to go stale: while
 * any is held, a signal removes them first. Their creation is synchronous,
 * so that the signal never comes between a lock's creation and its entry
 * here.
 */
const held = new Map<string, number>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function noteHeld(lock: string): void {
  if (held.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  held.set(lock, (held.get(lock) ?? 0) + 1);
}

function forget(lock: string): void {
  const n = (held.get(lock) ?? 1) - 1;
  if (n > 0) held.set(lock, n);
  else held.delete(lock);
  if (held.size === 0) for (const s of SIGNALS) process.off(s, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  // A program that handles the signal itself (the library's host) goes on running: its writes end,
  // and let go of their locks, as it winds down. Otherwise the signal ends the process, as it would have.
  if (process.listenerCount(signal) > 1) return;
  for (const lock of held.keys()) {
    try {
      if (readFileSync(lock, "utf8") === LOCK_TOKEN) unlinkSync(lock);
    } catch {
      // gone already
    }
  }
  held.clear();
  for (const s of SIGNALS) process.off(s, onSignal);
  process.kill(process.pid, signal); // and now ends the process, as the signal would have
}

/** Whether the lock file at `path` is no longer this process's (gone, or another's). */
function lostLock(path: string): Promise<boolean> {
  return readFile(path, "utf8").then(
    (text) => text !== LOCK_TOKEN,
    () => true,
  );
}

const REPOSITORY = "the repository (an import or rekey)";

/** Creates a lock file; `false` if another holder has it. A lock a minute old was left by a dead process, and is taken. */
async function tryCreate(lock: string): Promise<boolean> {
  noteHeld(lock);
  try {
    try {
      writeFileSync(lock, LOCK_TOKEN, { flag: "wx" });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      mkdirSync(dirname(lock), { recursive: true });
      writeFileSync(lock, LOCK_TOKEN, { flag: "wx" });
    }
    return true;
  } catch (e) {
    forget(lock);
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return !(await isHeld(lock)) && tryCreate(lock);
  }
}

/** Whether a lock file exists and is fresh; a stale one is removed. */
async function isHeld(lock: string): Promise<boolean> {
  if (!existsSync(lock)) return false;
  const age = await stat(lock).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0,
  );
  if (age <= LOCK_STALE_MS) return true;
  await unlink(lock).catch(() => {}); // left by a process that died mid-write
  return false;
}

/** Waits until none of the lock files `others` lists is held (a stale one is removed). */
async function whenNoneHeld(others: () => LockFile[], deadline: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    let busy: LockFile | undefined;
    for (const l of others()) if (await isHeld(l.path)) busy = l;
    if (!busy) return;
    const { display } = busy;
    const file = display.slice(0, -".lock".length);
    await backOff(attempt, deadline, () => lockedError(file, file, display));
  }
}

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

/** `what` (in `file`) could not be locked in time: another process holds `lock`, to remove if that process is dead. */
function lockedError(what: string, file: string, lock: string): LockstepError {
  return new LockstepError("LOCKED", `${what} is locked by another lockstep process`, {
    file,
    fix: `wait for it to finish; if none is running, remove ${lock}`,
  });
}
