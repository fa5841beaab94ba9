/**
 * The worker pool, from the build (threads run JavaScript, not the
 * TypeScript sources): jobs come back right, what a worker cannot do comes
 * back empty, and a worker that dies hands every job back to the main thread.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptArmored, encryptArmored } from "../../src/crypto/age.js";
import { AgeRecipient, generateKey, parseIdentityFile } from "../../src/crypto/keys.js";
import { ROOT } from "../e2e/helpers.js";

const { WorkerPool, withCryptoWorkers, cryptoWorkers } = (await import(
  join(ROOT, "dist", "crypto", "workers.js")
)) as typeof import("../../src/crypto/workers.js");
const SCRIPT = join(ROOT, "dist", "crypto", "crypto-worker.js");
const place = { file: "secrets/test.yaml", what: "test version 1" };
const plaintext = new TextEncoder().encode("through a thread");

describe("WorkerPool", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lockstep-workers-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A new X25519 key, and a pool of `size` threads that decrypt with it. */
  async function keyAndPool(size: number) {
    const key = await generateKey(false);
    const [identity] = await parseIdentityFile(key.fileText, "test.key");
    if (!identity?.fast || identity.recipient === undefined) throw new Error("an X25519 identity expected");
    const pool = new WorkerPool(SCRIPT, size, [{ secret: identity.fast.encode(), recipient: identity.recipient }]);
    return { key, identity, pool };
  }

  it("encrypts and decrypts on threads, interoperable with the main thread", async () => {
    const { key, identity, pool } = await keyAndPool(2);
    try {
      const enc = await pool.run({ op: "encrypt", plaintext, recipients: [key.recipient] });
      expect(enc.armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
      expect(await decryptArmored(enc.armored ?? "", [identity], [key.recipient], place)).toEqual(plaintext);
      const dec = await pool.run({ op: "decrypt", armored: enc.armored ?? "", order: [key.recipient] });
      expect(dec.plaintext && new Uint8Array(dec.plaintext)).toEqual(plaintext);
      // Not its identity's stanza: the thread answers empty, for the main thread to decide.
      const other = await generateKey(false);
      const foreign = await pool.run({ op: "encrypt", plaintext, recipients: [other.recipient] });
      expect(await pool.run({ op: "decrypt", armored: foreign.armored ?? "", order: [other.recipient] })).toEqual({});
      // A post-quantum recipient is age-encryption's, in the main thread.
      const pq = await generateKey(true);
      expect(AgeRecipient.parse(pq.recipient).kind).toBe("pq");
      expect(await pool.run({ op: "encrypt", plaintext, recipients: [pq.recipient] })).toEqual({});
    } finally {
      await pool.close();
    }
  });

  it("says it is saturated while a worker's queue is full, even before its answers are read", async () => {
    const { key, pool } = await keyAndPool(1);
    try {
      expect(pool.saturated).toBe(false);
      // Twenty readers a job: four jobs fill the queue (64 X25519 operations).
      const recipients = Array.from({ length: 20 }, () => key.recipient);
      const jobs = Array.from({ length: 4 }, () => pool.run({ op: "encrypt", plaintext, recipients }));
      expect(pool.saturated).toBe(true);
      // The worker's count is shared memory: this thread sees the queue drain without taking an answer.
      const start = Date.now();
      while (pool.saturated && Date.now() - start < 10_000)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      expect(pool.saturated).toBe(false);
      for (const done of await Promise.all(jobs)) expect(done.armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    } finally {
      await pool.close();
    }
  });

  it("counts an added reader's wrap, not the readers a file keeps, toward a full queue", async () => {
    const { key, pool } = await keyAndPool(1);
    try {
      const others = await Promise.all(Array.from({ length: 19 }, () => generateKey(false)));
      const order = [key.recipient, ...others.map((o) => o.recipient)];
      const armored = await encryptArmored(plaintext, order.map(AgeRecipient.parse));
      const newcomer = (await generateKey(false)).recipient;
      // Each job opens the file (1 operation) and wraps its key for one newcomer (1): 20 jobs are 40 of 64.
      const jobs = Array.from({ length: 20 }, () =>
        pool.run({ op: "add", armored, order, recipients: [...order, newcomer] }),
      );
      expect(pool.saturated).toBe(false);
      for (const done of await Promise.all(jobs)) expect(new Uint8Array(done.plaintext ?? [])).toEqual(plaintext);
    } finally {
      await pool.close();
    }
  });

  it("ends a worker given an identity it cannot read, and hands its jobs back", async () => {
    const pool = new WorkerPool(SCRIPT, 1, [{ secret: "AGE-SECRET-KEY-1NOTAKEY", recipient: "age1none" }]);
    try {
      expect(await pool.run({ op: "decrypt", armored: "", order: [] })).toEqual({});
      expect(pool.saturated).toBe(true); // every later job is the main thread's
    } finally {
      await pool.close();
    }
  });

  it("hands every job back (empty answers) when a worker dies", async () => {
    const broken = join(dir, "broken-worker.mjs");
    await writeFile(broken, 'throw new Error("this worker fails at start");\n');
    const pool = new WorkerPool(broken, 1, []);
    try {
      const first = pool.run({ op: "encrypt", plaintext, recipients: [] });
      expect(await first).toEqual({});
      expect(await pool.run({ op: "decrypt", armored: "", order: [] })).toEqual({});
    } finally {
      await pool.close();
    }
  });
});

describe("withCryptoWorkers", () => {
  it("starts its pool once the work it has seen passes the threshold, with the identities of the job that starts it, and ends it with the scope", async () => {
    const key = await generateKey(false);
    const [identity] = await parseIdentityFile(key.fileText, "test.key");
    const pq = await parseIdentityFile((await generateKey(true)).fileText, "pq.key");
    if (!identity) throw new Error("an identity expected");
    expect(cryptoWorkers(10_000)).toBeUndefined(); // no scope: no threads
    let seen: unknown;
    await withCryptoWorkers(async () => {
      // A small command: no threads.
      expect(cryptoWorkers(40, [identity])).toBeUndefined();
      // Its work passes 64 operations: the pool starts, holding the decrypting job's identity.
      const pool = cryptoWorkers(40, [identity]);
      expect(pool).toBeInstanceOf(WorkerPool);
      expect(pool?.recipients).toEqual(new Set([identity.recipient]));
      expect(cryptoWorkers(1)).toBe(pool); // encryptions need no identity
      // A caller with other identities decrypts in this thread, which reports every outcome.
      expect(cryptoWorkers(1, [identity, ...pq])).toBeUndefined();
      const armored = await encryptArmored(plaintext, [AgeRecipient.parse(key.recipient)]);
      const done = await pool?.run({ op: "decrypt", armored, order: [key.recipient] });
      expect(done?.plaintext && new Uint8Array(done.plaintext)).toEqual(plaintext);
      seen = pool;
    });
    expect(cryptoWorkers(10_000)).toBeUndefined();
    // The scope closed its pool: a job sent now comes back empty, for the main thread.
    expect(await (seen as InstanceType<typeof WorkerPool>).run({ op: "encrypt", plaintext, recipients: [] })).toEqual(
      {},
    );
  });

  it("keeps the earlier signature, whose counts it no longer needs", async () => {
    const result = await withCryptoWorkers(10_000, [], async () => cryptoWorkers(1));
    expect(result).toBeUndefined();
  });
});
