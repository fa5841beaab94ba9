/**
 * A full disk, for real: a small tmpfs, filled up. Every write that fails
 * names its file, leaves the old file as it was and nothing half-written,
 * and a rerun after space is freed succeeds. Mounting needs root (CI runs
 * as root); elsewhere the file is skipped, saying why.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  childEnv,
  expectError,
  expectOk,
  gitInit,
  makeSandbox,
  requireBuiltCli,
  runCli,
  type Sandbox,
} from "./helpers.js";

requireBuiltCli();

const mount = join(tmpdir(), `lockstep-e2e-full-${process.pid}`);

function tryMount(): boolean {
  try {
    execFileSync("mkdir", ["-p", mount]);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mount], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const mounted = process.platform === "linux" && tryMount();
if (!mounted) console.warn("full-disk tests skipped: mounting a tmpfs needs root on Linux");

/** Fills the tmpfs up, leaving no page free; returns a function that frees the space again. */
async function fillDisk(): Promise<() => Promise<void>> {
  const filler = join(mount, "filler");
  try {
    execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=4096"], { stdio: "ignore" });
  } catch {
    // dd ends with "No space left on device", as it should
  }
  return () => rm(filler, { force: true });
}

describe.skipIf(!mounted)("on a full disk", () => {
  let s: Sandbox;

  beforeAll(async () => {
    // The sandbox's keys stay where they are; its repository moves onto the small disk.
    s = await makeSandbox();
    await cp(s.repo, join(mount, "repo"), { recursive: true });
  });

  afterAll(async () => {
    await s?.cleanup();
    try {
      execFileSync("umount", [mount]);
      await rm(mount, { recursive: true, force: true });
    } catch {
      // left for the machine to clean
    }
  });

  const runIn = (cwd: string, args: string[], input?: string) => runCli(args, cwd, childEnv(s.home), input);

  it("set: exit 1 naming the manifest and the disk; the old version stays, no temporary file", async () => {
    const repo = join(mount, "repo");
    expectOk(await runIn(repo, ["set", "production/db/password"], "v1"));
    const free = await fillDisk();
    try {
      const r = await runIn(repo, ["set", "production/db/password"], "v2 that does not fit");
      expectError(r, 1, "secrets/production/db/password.yaml", /disk is full/, /ENOSPC/);
      expect(r.stderr).not.toContain("v2 that does not fit");
      expect((await readdir(join(repo, "secrets", "production", "db"))).sort()).toEqual(["password.yaml"]);
      expect(await readdir(join(repo, ".lockstep", "locks"))).toEqual([]);
    } finally {
      await free();
    }
    const get = await runCli(
      ["--identity", s.keys.alice.file, "get", "production/db/password"],
      repo,
      childEnv(s.home),
    );
    expect(expectOk(get).stdout).toBe("v1");
  });

  it("keygen -o: exit 1 naming the file, and no empty key file left (a rerun then works)", async () => {
    const key = join(mount, "keys", "me.txt");
    await mkdir(join(mount, "keys"), { recursive: true });
    const free = await fillDisk();
    try {
      expectError(await runIn(mount, ["keygen", "-o", key]), 1, "me.txt", /disk is full/);
      expect(existsSync(key)).toBe(false);
    } finally {
      await free();
    }
    expectOk(await runIn(mount, ["keygen", "-o", key]));
    expect(existsSync(key)).toBe(true);
  });

  it("init: exit 1, nothing of it left behind, and a rerun after freeing space works", async () => {
    const dir = join(mount, "fresh");
    await mkdir(dir, { recursive: true });
    await gitInit(dir, s.home);
    const before = (await readdir(dir)).sort();
    const free = await fillDisk();
    try {
      expectError(await runIn(dir, ["init"]), 1, /disk is full/);
      expect((await readdir(dir)).sort()).toEqual(before);
    } finally {
      await free();
    }
    expectOk(await runIn(dir, ["init"]));
    expect(existsSync(join(dir, "lockstep.yaml"))).toBe(true);
  });
});

describe("init's .gitignore", () => {
  it("keeps lockstep's locks and temporary files out of git, keeping what the file held", async () => {
    const home = await mkdtemp(join(tmpdir(), "lockstep-e2e-ignore-"));
    try {
      const dir = join(home, "repo");
      await gitInit(dir, home);
      await writeFile(join(dir, ".gitignore"), "node_modules/");
      expectOk(await runCli(["init"], dir, childEnv(home)));
      const text = await readFile(join(dir, ".gitignore"), "utf8");
      expect(text.split("\n")).toEqual(expect.arrayContaining(["node_modules/", ".lockstep/", "*.tmp"]));
      await mkdir(join(dir, ".lockstep", "locks", "file-x"), { recursive: true });
      await writeFile(join(dir, ".lockstep", "locks", "file-x", "1.a.0"), "h\n");
      await writeFile(join(dir, "lockstep.yaml.123.0badc0de-0.tmp"), "half");
      const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], {
        cwd: dir,
        env: childEnv(home),
      }).toString();
      expect(status).not.toMatch(/\.lockstep|\.tmp/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
