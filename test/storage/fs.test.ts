import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readlinkSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { LockstepError } from "../../src/errors.js";
import { writeFileAtomic, writeFileExclusive } from "../../src/storage/fs.js";
import { holdsLocks, locksIn, releaseHeldLocks, withBulkLock, withFileLock } from "../../src/storage/locks.js";

const tempDir = () => mkdtemp(join(tmpdir(), "lockstep-fs-"));

describe("writeFileAtomic", () => {
  it("replaces the file and leaves no temporary file behind", async () => {
    const dir = await tempDir();
    const file = join(dir, "a.yaml");
    await writeFileAtomic(file, "one");
    await writeFileAtomic(file, "two");
    expect(await readFile(file, "utf8")).toBe("two");
    expect(await readdir(dir)).toEqual(["a.yaml"]);
  });
});

describe("writeFileExclusive", () => {
  it("writes with the mode asked and never overwrites", async () => {
    const dir = await tempDir();
    const file = join(dir, "key.txt");
    await writeFileExclusive(file, "secret", 0o600);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await expect(writeFileExclusive(file, "other", 0o600)).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    expect(await readFile(file, "utf8")).toBe("secret");
  });
});

/** A lock in a fresh temporary folder, as RepositoryFiles places them. */
async function lockSetUp() {
  const dir = await tempDir();
  const locks = join(dir, "locks");
  const lock = { path: join(locks, "file-x.yaml"), display: "locks/file-x.yaml" };
  return { dir, locks, lock };
}

/**
 * Plants a lock as a killed writer leaves it: a folder with its owner file,
 * not refreshed for `ageMs`, naming the pid `pid`.
 */
async function plantLock(path: string, { ageMs = 5 * 60_000, pid = 99999, host = "0000another0" } = {}) {
  await mkdir(path, { recursive: true });
  const owner = join(path, `${pid}.0badc0de.0.${host}`);
  await writeFile(owner, "");
  const old = new Date(Date.now() - ageMs);
  await utimes(owner, old, old);
  return owner;
}

/** This machine's tag, as locks.ts makes it: the host name and pid namespace, digested. */
function thisHostTag(): string {
  let ns = "-";
  try {
    ns = readlinkSync("/proc/self/ns/pid");
  } catch {}
  return createHash("sha256").update(`${hostname()} ${ns}`).digest("hex").slice(0, 12);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("withFileLock", () => {
  it("serializes concurrent holders: no two run at once", async () => {
    const { locks, lock } = await lockSetUp();
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        withFileLock(lock, "x.yaml", async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(5);
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await readdir(locks)).toEqual([]);
  });

  it("a lock left by a dead writer is taken over by exactly one of many waiters, round after round", async () => {
    // The race of issue 13: with a stale lock planted, 8 writers start at once. Taking it over by
    // "check its age, then remove it by path" let a late waiter remove the lock an earlier one had
    // just taken, and two wrote at once (3 rounds of 50 here, before the fix).
    const { lock } = await lockSetUp();
    let rounds = 0;
    let overlaps = 0;
    for (let round = 0; round < 60; round++) {
      await plantLock(lock.path);
      let inside = 0;
      let ran = 0;
      await Promise.all(
        Array.from({ length: 8 }, () =>
          withFileLock(lock, "x.yaml", async () => {
            if (++inside > 1) overlaps++;
            await sleep(1);
            inside--;
            ran++;
          }),
        ),
      );
      expect(ran).toBe(8);
      rounds++;
    }
    expect({ rounds, overlaps }).toEqual({ rounds: 60, overlaps: 0 });
  });

  it("takes over at once a lock whose owner's pid is dead on this machine", async () => {
    const { lock } = await lockSetUp();
    // A pid that does not run: a child that has exited.
    const { pid } = await new Promise<{ pid: number }>((resolve) => {
      const child = spawn(process.execPath, ["-e", ""]);
      child.on("exit", () => resolve({ pid: child.pid ?? 0 }));
    });
    await plantLock(lock.path, { ageMs: 0, pid, host: thisHostTag() });
    expect(await withFileLock(lock, "x.yaml", async () => "ran")).toBe("ran");
  });

  it.skipIf(process.platform !== "linux")(
    "takes over at once a lock whose pid a later process reuses (the owner file is older than that process)",
    async () => {
      const { lock } = await lockSetUp();
      // Last refreshed 10 s ago (fresh: a lock is stale after a minute), by a pid that a process started
      // just now holds: the writer that made the lock is gone, and its pid came round again.
      const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"]);
      try {
        await new Promise((resolve) => child.once("spawn", resolve));
        await plantLock(lock.path, { ageMs: 10_000, pid: child.pid ?? 0, host: thisHostTag() });
        // Taken for live, the lock would end the wait in LOCKED (15 s) long before it is stale (60 s).
        expect(await withFileLock(lock, "x.yaml", async () => "ran")).toBe("ran");
      } finally {
        child.kill();
      }
    },
  );

  it("waits for a fresh lock of another machine, then fails with LOCKED naming the lock and the fix", async () => {
    const { lock } = await lockSetUp();
    await plantLock(lock.path, { ageMs: 0, pid: 1 });
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      const waiting = withFileLock(lock, "x.yaml", async () => "ran");
      vi.setSystemTime(Date.now() + 16_000);
      await expect(waiting).rejects.toMatchObject({
        code: "LOCKED",
        file: "locks/file-x.yaml",
        message: expect.stringMatching(/x\.yaml is locked by another lockstep process/),
        fix: expect.stringMatching(/remove locks\/file-x\.yaml/),
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it("takes over a lock file an older lockstep left, once it is a minute old", async () => {
    const { lock } = await lockSetUp();
    await mkdir(join(lock.path, ".."), { recursive: true });
    await writeFile(lock.path, "12345\n");
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(lock.path, old, old);
    expect(await withFileLock(lock, "x.yaml", async () => "ran")).toBe("ran");
  });

  it("leaves alone a lock another process took over while the holder stalled", async () => {
    const { lock } = await lockSetUp();
    let other = "";
    await withFileLock(lock, "x.yaml", async () => {
      // this holder stalled past a minute; another process broke its lock and took it
      for (const f of await readdir(lock.path)) await unlink(join(lock.path, f));
      other = await plantLock(lock.path, { ageMs: 0, pid: 1 });
    });
    expect(await readdir(lock.path)).toEqual([basename(other)]);
  });

  it("releases the lock when the holder fails", async () => {
    const { lock } = await lockSetUp();
    await expect(
      withFileLock(lock, "x.yaml", async () => Promise.reject(new LockstepError("IO", "boom"))),
    ).rejects.toThrow("boom");
    expect(await withFileLock(lock, "x.yaml", async () => "again")).toBe("again");
  });

  it("releaseHeldLocks removes the locks held now (what the CLI does on a signal)", async () => {
    const { locks, lock } = await lockSetUp();
    await withFileLock(lock, "x.yaml", async () => {
      expect(holdsLocks()).toBe(true);
      releaseHeldLocks();
      expect(await readdir(locks)).toEqual([]);
    });
    expect(holdsLocks()).toBe(false);
  });
});

describe("withBulkLock", () => {
  const setUp = async () => {
    const { dir, locks, lock } = await lockSetUp();
    const bulk = { path: join(locks, "repository"), display: "locks/repository" };
    const underBulk = <T>(fn: () => Promise<T>) => withBulkLock(bulk, () => locksIn(locks, "locks", "file-"), fn);
    return { dir, locks, bulk, lock, underBulk };
  };
  const fresh = (path: string) => plantLock(path, { ageMs: 0, pid: 1 });
  const unplant = (path: string) => rm(path, { recursive: true });

  it("lets its writes go without a lock each, one writer of a file at a time", async () => {
    const { locks, bulk, lock, underBulk } = await setUp();
    let inside = 0;
    let most = 0;
    const seen: string[][] = [];
    await underBulk(() =>
      Promise.all(
        Array.from({ length: 4 }, () =>
          withFileLock(
            lock,
            "x.yaml",
            async () => {
              inside++;
              most = Math.max(most, inside);
              seen.push(await readdir(locks));
              await sleep(5);
              inside--;
            },
            bulk,
          ),
        ),
      ),
    );
    expect(most).toBe(1);
    expect(seen).toEqual(Array(4).fill(["repository"]));
    expect(await readdir(locks)).toEqual([]);
  });

  it("makes a writer of one file in another process wait until it ends", async () => {
    const { locks, bulk, lock } = await setUp();
    await fresh(bulk.path); // another process's import
    let ranAt = 0;
    const writer = withFileLock(lock, "x.yaml", async () => (ranAt = Date.now()), bulk);
    await sleep(150);
    expect(ranAt).toBe(0);
    const releasedAt = Date.now();
    await unplant(bulk.path);
    await writer;
    expect(ranAt).toBeGreaterThanOrEqual(releasedAt);
    expect(await readdir(locks)).toEqual([]);
  });

  it("starts once no writer of a single file in another process holds its lock", async () => {
    const { lock, underBulk } = await setUp();
    await fresh(lock.path); // another process's `set`
    let ranAt = 0;
    const bulkWrite = underBulk(async () => (ranAt = Date.now()));
    await sleep(150);
    expect(ranAt).toBe(0);
    const releasedAt = Date.now();
    await unplant(lock.path);
    await bulkWrite;
    expect(ranAt).toBeGreaterThanOrEqual(releasedAt);
  });

  it("shares the lock with the process's other bulk writers, each waiting until it is had", async () => {
    const { locks, lock, underBulk } = await setUp();
    await fresh(lock.path);
    const ran: string[] = [];
    const both = Promise.all([underBulk(async () => ran.push("first")), underBulk(async () => ran.push("second"))]);
    await sleep(100);
    expect(ran).toEqual([]);
    await unplant(lock.path);
    await both;
    expect(ran.sort()).toEqual(["first", "second"]);
    expect(await readdir(locks)).toEqual([]);
  });

  it("is kept while a write of one file that came meanwhile (a library call) still runs", async () => {
    const { locks, bulk, lock, underBulk } = await setUp();
    let finish = () => {};
    const gate = new Promise<void>((r) => {
      finish = r;
    });
    let elsewhere: Promise<unknown> = Promise.resolve();
    await underBulk(async () => {
      elsewhere = withFileLock(lock, "x.yaml", () => gate, bulk);
    });
    // The bulk writer is done, the other write is not: the lock stays, so no other process writes meanwhile.
    expect(await readdir(locks)).toEqual(["repository"]);
    finish();
    await elsewhere;
    expect(await readdir(locks)).toEqual([]);
  });

  it("takes in a writer of one file that was waiting when this process took it", async () => {
    const { bulk, lock, underBulk } = await setUp();
    await fresh(lock.path); // another process's `set`, which this process's writer waits for
    const writer = withFileLock(lock, "x.yaml", async () => "written", bulk);
    await sleep(50);
    const bulkWork = underBulk(async () => {
      // The writer joins this bulk lock (taking its turn), rather than waiting for the lock to go.
      return Promise.race([writer, sleep(1000).then(() => "still waiting")]);
    });
    await sleep(100);
    await unplant(lock.path);
    expect(await bulkWork).toBe("written");
  });

  it("is taken over, and ignored by writers of one file, when left by a process that died long ago", async () => {
    const { bulk, lock, underBulk } = await setUp();
    await plantLock(bulk.path);
    expect(await withFileLock(lock, "x.yaml", async () => "ran", bulk)).toBe("ran");
    await plantLock(bulk.path);
    expect(await underBulk(async () => "bulk ran")).toBe("bulk ran");
  });

  it("stops before its next write once another process took its lock over, and leaves that lock alone", async () => {
    const { bulk, lock, underBulk } = await setUp();
    let other = "";
    const wrote = underBulk(async () => {
      // this one stalled past a minute; another process broke its lock and took it
      for (const f of await readdir(bulk.path)) await unlink(join(bulk.path, f));
      other = await fresh(bulk.path);
      return withFileLock(lock, "x.yaml", async () => "wrote", bulk);
    });
    await expect(wrote).rejects.toMatchObject({ code: "LOCKED" });
    expect(await readdir(bulk.path)).toEqual([basename(other)]);
  });

  it("keeps its lock fresh while held, so a long import is not taken for a dead one", async () => {
    const { bulk, underBulk } = await setUp();
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      await underBulk(async () => {
        const [owner] = (await readdir(bulk.path)).map((f) => join(bulk.path, f));
        if (!owner) throw new Error("no owner file");
        const old = new Date(Date.now() - 10 * 60_000);
        await utimes(owner, old, old);
        vi.advanceTimersByTime(60_000);
        expect(Date.now() - (await stat(owner)).mtimeMs).toBeLessThan(60_000);
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it("removes the leftovers of a lock's making that a killed process left", async () => {
    const { locks, underBulk } = await setUp();
    const leftover = join(locks, "file-x.yaml.99999.0badc0de.3.0000another0.new");
    await mkdir(leftover, { recursive: true });
    await writeFile(join(leftover, "99999.0badc0de.3.0000another0"), "");
    const old = new Date(Date.now() - 5 * 60_000);
    await utimes(leftover, old, old);
    await underBulk(async () => {});
    expect(await readdir(locks)).toEqual([]);
  });
});
