import { readdirSync } from "node:fs";
import { mkdtemp, readdir, readFile, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { LockstepError } from "../../src/errors.js";
import { writeFileAtomic, writeFileExclusive } from "../../src/storage/fs.js";
import { withBulkLock, withFileLock } from "../../src/storage/locks.js";

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

describe("withFileLock", () => {
  it("serializes concurrent holders: no two run at once", async () => {
    const dir = await tempDir();
    const file = join(dir, "x.yaml");
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        withFileLock(file, "x.yaml", async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 5));
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await readdir(dir)).toEqual([]);
  });

  it("takes over a lock left by a process that died long ago", async () => {
    const dir = await tempDir();
    const file = join(dir, "x.yaml");
    await writeFile(`${file}.lock`, "12345\n");
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(`${file}.lock`, old, old);
    expect(await withFileLock(file, "x.yaml", async () => "ran")).toBe("ran");
  });

  it("leaves alone a lock another process took over while the holder stalled", async () => {
    const dir = await tempDir();
    const file = join(dir, "x.yaml");
    await withFileLock(file, "x.yaml", async () => {
      await writeFile(`${file}.lock`, "another process\n");
    });
    expect(await readFile(`${file}.lock`, "utf8")).toBe("another process\n");
  });

  it("releases the lock when the holder fails", async () => {
    const dir = await tempDir();
    const file = join(dir, "x.yaml");
    await expect(
      withFileLock(file, "x.yaml", async () => Promise.reject(new LockstepError("IO", "boom"))),
    ).rejects.toThrow("boom");
    expect(await withFileLock(file, "x.yaml", async () => "again")).toBe("again");
  });
});

describe("withBulkLock", () => {
  const setUp = async () => {
    const dir = await tempDir();
    const bulk = { path: join(dir, ".lockstep.lock"), display: ".lockstep.lock" };
    const file = join(dir, "x.yaml");
    // The lock files of single-file writers there are, as RepositoryFiles.lockFiles lists them.
    const others = () =>
      readdirSync(dir)
        .filter((f) => f.endsWith(".lock") && f !== ".lockstep.lock")
        .map((f) => ({ path: join(dir, f), display: f }));
    const underBulk = <T>(fn: () => Promise<T>) => withBulkLock(bulk, others, fn);
    return { dir, bulk, file, underBulk };
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const fresh = (path: string) => writeFile(path, "99999\n");

  it("lets its writes go without a lock file each, one writer of a file at a time", async () => {
    const { dir, bulk, file, underBulk } = await setUp();
    let inside = 0;
    let most = 0;
    const seen: string[][] = [];
    await underBulk(() =>
      Promise.all(
        Array.from({ length: 4 }, () =>
          withFileLock(
            file,
            "x.yaml",
            async () => {
              inside++;
              most = Math.max(most, inside);
              seen.push(await readdir(dir));
              await sleep(5);
              inside--;
            },
            bulk,
          ),
        ),
      ),
    );
    expect(most).toBe(1);
    expect(seen).toEqual(Array(4).fill([".lockstep.lock"]));
    expect(await readdir(dir)).toEqual([]);
  });

  it("makes a writer of one file in another process wait until it ends", async () => {
    const { dir, bulk, file } = await setUp();
    await fresh(bulk.path); // another process's import
    let ranAt = 0;
    const writer = withFileLock(file, "x.yaml", async () => (ranAt = Date.now()), bulk);
    await sleep(150);
    expect(ranAt).toBe(0);
    const releasedAt = Date.now();
    await unlink(bulk.path);
    await writer;
    expect(ranAt).toBeGreaterThanOrEqual(releasedAt);
    expect(await readdir(dir)).toEqual([]);
  });

  it("starts once no writer of a single file in another process holds its lock", async () => {
    const { file, underBulk } = await setUp();
    await fresh(`${file}.lock`); // another process's `set`
    let ranAt = 0;
    const bulkWrite = underBulk(async () => (ranAt = Date.now()));
    await sleep(150);
    expect(ranAt).toBe(0);
    const releasedAt = Date.now();
    await unlink(`${file}.lock`);
    await bulkWrite;
    expect(ranAt).toBeGreaterThanOrEqual(releasedAt);
  });

  it("shares the lock with the process's other bulk writers, each waiting until it is had", async () => {
    const { dir, file, underBulk } = await setUp();
    await fresh(`${file}.lock`);
    const ran: string[] = [];
    const both = Promise.all([underBulk(async () => ran.push("first")), underBulk(async () => ran.push("second"))]);
    await sleep(100);
    expect(ran).toEqual([]);
    await unlink(`${file}.lock`);
    await both;
    expect(ran.sort()).toEqual(["first", "second"]);
    expect(await readdir(dir)).toEqual([]);
  });

  it("is kept while a write of one file that came meanwhile (a library call) still runs", async () => {
    const { dir, bulk, file, underBulk } = await setUp();
    let finish = () => {};
    const gate = new Promise<void>((r) => {
      finish = r;
    });
    let elsewhere: Promise<unknown> = Promise.resolve();
    await underBulk(async () => {
      elsewhere = withFileLock(file, "x.yaml", () => gate, bulk);
    });
    // The bulk writer is done, the other write is not: the lock stays, so no other process writes meanwhile.
    expect(await readdir(dir)).toEqual([".lockstep.lock"]);
    finish();
    await elsewhere;
    expect(await readdir(dir)).toEqual([]);
  });

  it("takes in a writer of one file that was waiting when this process took it", async () => {
    const { bulk, file, underBulk } = await setUp();
    await fresh(`${file}.lock`); // another process's `set`, which this process's writer waits for
    const writer = withFileLock(file, "x.yaml", async () => "written", bulk);
    await sleep(50);
    const bulkWork = underBulk(async () => {
      // The writer joins this bulk lock (taking its turn), rather than waiting for the lock to go.
      return Promise.race([writer, sleep(1000).then(() => "still waiting")]);
    });
    await sleep(100);
    await unlink(`${file}.lock`);
    expect(await bulkWork).toBe("written");
  });

  it("is taken over, and ignored by writers of one file, when left by a process that died long ago", async () => {
    const { bulk, file, underBulk } = await setUp();
    const old = new Date(Date.now() - 10 * 60_000);
    await fresh(bulk.path);
    await utimes(bulk.path, old, old);
    expect(await withFileLock(file, "x.yaml", async () => "ran", bulk)).toBe("ran");
    await fresh(bulk.path);
    await utimes(bulk.path, old, old);
    expect(await underBulk(async () => "bulk ran")).toBe("bulk ran");
  });

  it("stops before its next write once another process took its lock over, and leaves that lock alone", async () => {
    const { bulk, file, underBulk } = await setUp();
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const wrote = underBulk(async () => {
        await writeFile(bulk.path, "another process\n"); // this one stalled past a minute; another took over
        vi.advanceTimersByTime(15_000);
        await sleep(200); // the check reads the lock file
        return withFileLock(file, "x.yaml", async () => "wrote", bulk);
      });
      await expect(wrote).rejects.toMatchObject({ code: "LOCKED" });
      expect(await readFile(bulk.path, "utf8")).toBe("another process\n");
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps its lock fresh while held, so a long import is not taken for a dead one", async () => {
    const { bulk, underBulk } = await setUp();
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      await underBulk(async () => {
        const old = new Date(Date.now() - 10 * 60_000);
        await utimes(bulk.path, old, old);
        vi.advanceTimersByTime(60_000);
        for (let i = 0; i < 100 && Date.now() - (await stat(bulk.path)).mtimeMs > 60_000; i++) await sleep(10);
        expect(Date.now() - (await stat(bulk.path)).mtimeMs).toBeLessThan(60_000);
      });
    } finally {
      vi.useRealTimers();
    }
  });
});
