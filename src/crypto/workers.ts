/**
 * Worker threads for the bulk commands. X25519 costs a fraction of a
 * millisecond per stanza on Node's crypto, so an import of a thousand
 * secrets to twenty readers is seconds of one core; spread over threads it
 * uses every core the machine has.
 *
 * Workers answer only the native path's common case. Any other answer (a
 * post-quantum recipient, a file that does not open, a damaged one) comes
 * back empty, and the caller does the job in the main thread, which decides
 * and reports exactly as without workers.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import type { AgeIdentity } from "./keys.js";

/**
 * Node's `worker_threads` and `os`, loaded when threads are considered:
 * together they cost about 6 ms of start-up, which `get` never needs.
 */
const builtin = createRequire(import.meta.url) as <T>(id: string) => T;

/** One job for a worker. */
export type JobRequest =
  | { op: "encrypt"; plaintext: Uint8Array; recipients: string[] }
  | { op: "decrypt"; armored: string; order: readonly string[] }
  | { op: "add"; armored: string; order: readonly string[]; recipients: string[] };

/** A worker's answer: empty when the main thread must do the job itself. */
export interface JobResult {
  armored?: string;
  plaintext?: Uint8Array;
}

/**
 * X25519 operations queued per worker before the main thread takes the next
 * job itself: enough that a worker never waits for work (about 10 ms of it),
 * few enough that the main thread, between its reading and writing, shares
 * the crypto rather than waiting for a long queue to drain at the end.
 */
const QUEUE_PER_WORKER = 64;

/** A job's X25519 operations, roughly its cost. Adding recipients wraps the file key for the new ones only. */
export function weight(job: JobRequest): number {
  if (job.op === "decrypt") return 1;
  if (job.op === "encrypt") return job.recipients.length;
  return 1 + Math.max(1, job.recipients.length - job.order.length); // a count, not a comparison of every key
}

/** Threads that run {@link JobRequest}s, each to the least busy one. */
export class WorkerPool {
  /** The recipients of the identities the workers decrypt with. */
  readonly recipients: ReadonlySet<string>;
  private readonly workers: { worker: Worker; sent: number; done: Int32Array }[];
  private readonly pending = new Map<number, (r: JobResult) => void>();
  private nextId = 0;
  /** Set when a worker failed: from then on every job is the main thread's. */
  private broken = false;

  constructor(script: string, size: number, identities: readonly { secret: string; recipient: string }[]) {
    this.recipients = new Set(identities.map((i) => i.recipient));
    const secrets = identities.map((i) => i.secret);
    this.workers = Array.from({ length: size }, () => {
      const { Worker: Thread } = builtin<typeof import("node:worker_threads")>("node:worker_threads");
      // The worker counts the work it finished here (in X25519 operations), where this thread sees
      // it even while busy: its answers arrive as events, which a long run of work here delays.
      const done = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Thread(script, { workerData: { identities: secrets, done } });
      const slot = { worker, sent: 0, done };
      worker.on("message", ({ id, result }: { id: number; result: JobResult }) => {
        const resolve = this.pending.get(id);
        this.pending.delete(id);
        resolve?.(result);
      });
      slot.worker.on("error", () => this.giveBack());
      slot.worker.on("exit", () => this.giveBack());
      return slot; // referenced: a job in flight keeps the process alive; close() ends them
    });
  }

  /** Whether every worker has a full queue: the caller then does the job itself, meanwhile. */
  get saturated(): boolean {
    return this.broken || this.workers.every((w) => queued(w) >= QUEUE_PER_WORKER);
  }

  run(job: JobRequest): Promise<JobResult> {
    if (this.broken) return Promise.resolve({});
    const slot = this.workers.reduce((a, b) => (queued(b) < queued(a) ? b : a));
    const id = this.nextId++;
    const cost = weight(job);
    slot.sent += cost;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      slot.worker.postMessage({ id, job, cost });
    });
  }

  async close(): Promise<void> {
    this.broken = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  /** A worker failed or ended: its jobs, and all later ones, go back to the main thread (empty answers). */
  private giveBack(): void {
    this.broken = true;
    for (const resolve of this.pending.values()) resolve({});
    this.pending.clear();
  }
}

/** A worker's work not finished yet, in X25519 operations. */
function queued(w: { sent: number; done: Int32Array }): number {
  return w.sent - Atomics.load(w.done, 0);
}

/** The pool's recipients hold exactly the fast identities among `identities`, and no other identity is given. */
function holds(pool: WorkerPool, identities: readonly { recipient: string | undefined }[]): boolean {
  return (
    identities.length === pool.recipients.size &&
    identities.every((i) => i.recipient !== undefined && pool.recipients.has(i.recipient))
  );
}

/**
 * Work seen in a scope, in X25519 operations, before threads start. The work
 * seen so far is the estimate of the work to come: no caller counts it.
 * Starting a thread costs the main thread and the other core time before the
 * thread answers, so a command that ends soon after pays for nothing: on
 * this project's 2-core machine, an export of 60 secrets took 0.4 s longer
 * with threads started after 48 operations. Started later, a large command
 * loses the overlap: rekey of 1000 secrets took 16-20% longer starting
 * after 128 operations (64 jobs) than after 48 or 64, in three interleaved
 * runs. 64 keeps small commands (under 64 stanzas) on one thread.
 */
const START_AFTER = 64;

/** A {@link withCryptoWorkers} scope: the work it has seen, and its pool once started. */
interface Scope {
  seen: number;
  pool: WorkerPool | undefined;
  /** Threads were considered and are not wanted or not possible (no script, one core, `LOCKSTEP_WORKERS=0`). */
  declined: boolean;
}

let scope: Scope | undefined;

/**
 * The pool for a job of about `weight` X25519 operations, in the current
 * {@link withCryptoWorkers} scope; it starts the pool once the scope's work
 * passes {@link START_AFTER}. For a job that decrypts, `identities` are the
 * caller's: the pool answers only if its workers hold exactly those (so a
 * post-quantum, SSH or plugin identity keeps decryptions in this thread,
 * which reports every outcome). The first job to start the pool gives it its
 * identities (only the fast-path ones go to threads).
 */
export function cryptoWorkers(
  weight: number,
  identities?: readonly { recipient: string | undefined; fast?: { encode(): string } | undefined }[],
): WorkerPool | undefined {
  const s = scope;
  if (!s) return undefined;
  s.seen += weight;
  if (!s.pool) {
    if (s.declined || s.seen < threshold()) return undefined;
    s.pool = startPool(identities ?? []);
    if (!s.pool) {
      s.declined = true;
      return undefined;
    }
  }
  return identities === undefined || holds(s.pool, identities) ? s.pool : undefined;
}

/** `LOCKSTEP_WORKERS`, read once: the thread count, overriding the core count (0: none). */
let forcedCount: string | undefined | null = null;
function forced(): string | undefined {
  if (forcedCount === null) forcedCount = process.env.LOCKSTEP_WORKERS || undefined;
  return forcedCount;
}

/** With `LOCKSTEP_WORKERS` set, threads start at the first job. */
function threshold(): number {
  return forced() !== undefined ? 0 : START_AFTER;
}

/**
 * One thread per core but one: the main thread reads, writes and parses
 * meanwhile, and on two cores a second worker only takes turns with it
 * (rekey of 1000 secrets: 2.6-3.3 s with one worker or none, 3.4-3.5 s with
 * two; import about the same with one or two).
 */
function startPool(identities: readonly { recipient: string | undefined; fast?: { encode(): string } | undefined }[]) {
  const f = forced();
  const size = f !== undefined ? Number(f) : builtin<typeof import("node:os")>("node:os").availableParallelism() - 1;
  if (!Number.isInteger(size) || size < 1) return undefined;
  const script = workerScript();
  if (!script) return undefined;
  const fast = identities.flatMap((i) =>
    i.fast && i.recipient !== undefined ? [{ secret: i.fast.encode(), recipient: i.recipient }] : [],
  );
  return new WorkerPool(script, size, fast);
}

/** The worker script, next to this module: tsc's output, or the CLI bundle's. */
function workerScript(): string | undefined {
  for (const rel of ["./crypto-worker.js", "./crypto-worker.cjs"]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined; // running from TypeScript sources (tests): no threads
}

/**
 * Runs `f`, a bulk command's work, with worker threads for its crypto: the
 * pool starts itself once the work seen passes a threshold (see
 * {@link cryptoWorkers}), and ends with `f`. Jobs go to a thread while its
 * queue has room, and are done in this thread otherwise (see
 * {@link WorkerPool.saturated}). `LOCKSTEP_WORKERS` sets the thread count
 * (0: none). A scope inside another (or beside it, in the same process)
 * shares the first one's pool.
 */
export function withCryptoWorkers<T>(f: () => Promise<T>): Promise<T>;
/**
 * The earlier form, kept so callers compile unchanged: the pool now sizes
 * itself from the work it sees, and `operations` and `identities` are not
 * used.
 * @deprecated call `withCryptoWorkers(f)`.
 */
export function withCryptoWorkers<T>(
  operations: number,
  identities: readonly AgeIdentity[],
  f: () => Promise<T>,
): Promise<T>;
export async function withCryptoWorkers<T>(
  ...args: [() => Promise<T>] | [number, readonly AgeIdentity[], () => Promise<T>]
): Promise<T> {
  const f = args.length === 1 ? args[0] : args[2];
  if (scope) return f();
  const mine: Scope = { seen: 0, pool: undefined, declined: false };
  scope = mine;
  try {
    return await f();
  } finally {
    scope = undefined;
    await mine.pool?.close();
  }
}
