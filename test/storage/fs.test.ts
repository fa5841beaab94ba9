import { mkdtemp, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LockstepError } from "../../src/errors.js";
import { withFileLock, writeFileAtomic, writeFileExclusive } from "../../src/storage/fs.js";

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

  it("releases the lock when the holder fails", async () => {
    const dir = await tempDir();
    const file = join(dir, "x.yaml");
    await expect(
      withFileLock(file, "x.yaml", async () => Promise.reject(new LockstepError("IO", "boom"))),
    ).rejects.toThrow("boom");
    expect(await withFileLock(file, "x.yaml", async () => "again")).toBe("again");
  });
});
