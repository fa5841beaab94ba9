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
 * Threads pay only when each job is mostly X25519: encrypting to many
 * readers. For one decryption per secret (export, check --decrypt) the main
 * thread's reading and parsing is the larger part, and on two cores the
 * threads only compete with it (measured: export of 1000 secrets 0.75 s on
 * one thread, 0.77 s with two workers; import 6.4 s and 4.9 s).
 */
const MIN_OPERATIONS_PER_JOB = 8;

/** Threads that run {@link JobRequest}s, each to the least busy one. */
export class WorkerPool {
  /** The recipients of the identities the workers decrypt with. */
  readonly recipients: ReadonlySet<string>;
  private readonly workers: { worker: Worker; load: number }[];
  private readonly pending = new Map<number, (r: JobResult) => void>();
  private nextId = 0;
  /** Set when a worker failed: from then on every job is the main thread's. */
  private broken = false;

  constructor(script: string, size: number, identities: readonly { secret: string; recipient: string }[]) {
    this.recipients = new Set(identities.map((i) => i.recipient));
    const secrets = identities.map((i) => i.secret);
    this.workers = Array.from({ length: size }, () => {
      const { Worker: Thread } = builtin<typeof import("node:worker_threads")>("node:worker_threads");
      const slot = { worker: new Thread(script, { workerData: { identities: secrets } }), load: 0 };
      slot.worker.on("message", ({ id, result }: { id: number; result: JobResult }) => {
        const resolve = this.pending.get(id);
        this.pending.delete(id);
        slot.load--;
        resolve?.(result);
      });
      slot.worker.on("error", () => this.giveBack());
      slot.worker.on("exit", () => this.giveBack());
      return slot; // referenced: a job in flight keeps the process alive; close() ends them
    });
  }

  run(job: JobRequest): Promise<JobResult> {
    if (this.broken) return Promise.resolve({});
    const slot = this.workers.reduce((a, b) => (b.load < a.load ? b : a));
    const id = this.nextId++;
    slot.load++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      slot.worker.postMessage({ id, job });
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
 * Runs `f` with worker threads for about `operations` X25519 operations in
 * `jobs` jobs: one per core but one, when there are enough operations, and enough
 * per job, to pay for starting them.
 * `LOCKSTEP_WORKERS` overrides the count (0: none). `identities` are the
 * identities the workers decrypt with (only X25519 ones go to threads).
 */
export async function withCryptoWorkers<T>(
  operations: number,
  jobs: number,
  identities: readonly AgeIdentity[],
  f: () => Promise<T>,
): Promise<T> {
  const forced = process.env.LOCKSTEP_WORKERS;
  // One thread per core but one: the main thread reads, writes and parses meanwhile, and on two
  // cores a second worker only takes turns with it (rekey of 1000 secrets: 2.6-3.3 s with one
  // worker or none, 3.4-3.5 s with two; import about the same with one or two).
  const size =
    forced !== undefined && forced !== ""
      ? Number(forced)
      : builtin<typeof import("node:os")>("node:os").availableParallelism() - 1;
  const wanted =
    forced !== undefined && forced !== ""
      ? size > 0
      : operations >= MIN_OPERATIONS && operations >= jobs * MIN_OPERATIONS_PER_JOB && size > 0;
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
