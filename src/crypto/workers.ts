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

/** Below this many X25519 operations, starting threads costs more than it saves. */
const MIN_OPERATIONS = 400;
/**
 * X25519 operations queued per worker before the main thread takes the next
 * job itself: enough that a worker never waits for work (about 10 ms of it),
 * few enough that the main thread, between its reading and writing, shares
 * the crypto rather than waiting for a long queue to drain at the end.
 */
const QUEUE_PER_WORKER = 64;

/** A job's X25519 operations, roughly its cost. Adding recipients wraps the file key for the new ones only. */
function weight(job: JobRequest): number {
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

let active: WorkerPool | undefined;

/**
 * The pool of the bulk command running now, if it started one. For a
 * decryption, only if its workers hold exactly the caller's identities.
 */
export function cryptoWorkers(identities?: readonly { recipient: string }[]): WorkerPool | undefined {
  if (!active || identities === undefined) return active;
  const same =
    identities.length === active.recipients.size && identities.every((i) => active?.recipients.has(i.recipient));
  return same ? active : undefined;
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
 * Runs `f` with worker threads for about `operations` X25519 operations:
 * one per core but one, when there are enough operations to pay for
 * starting them. Jobs go to a thread while its queue has room, and are done
 * in the main thread otherwise (see {@link WorkerPool.saturated}).
 * `LOCKSTEP_WORKERS` overrides the count (0: none). `identities` are the
 * identities the workers decrypt with (only X25519 ones go to threads).
 */
export async function withCryptoWorkers<T>(
  operations: number,
  identities: readonly AgeIdentity[],
  f: () => Promise<T>,
): Promise<T> {
  const forced = process.env.LOCKSTEP_WORKERS || undefined;
  // One thread per core but one: the main thread reads, writes and parses meanwhile, and on two
  // cores a second worker only takes turns with it (rekey of 1000 secrets: 2.6-3.3 s with one
  // worker or none, 3.4-3.5 s with two; import about the same with one or two).
  const size =
    forced !== undefined ? Number(forced) : builtin<typeof import("node:os")>("node:os").availableParallelism() - 1;
  const wanted = size > 0 && (forced !== undefined || operations >= MIN_OPERATIONS);
  const script = wanted && active === undefined ? workerScript() : undefined;
  if (!script || !Number.isInteger(size) || size < 1) return f();
  const native = identities.flatMap((i) => (i.native ? [{ secret: i.native.encode(), recipient: i.recipient }] : []));
  // A post-quantum identity stays in the main thread; decryptions then do too (see cryptoWorkers).
  active = new WorkerPool(script, size, native);
  try {
    return await f();
  } finally {
    const pool = active;
    active = undefined;
    await pool.close();
  }
}
