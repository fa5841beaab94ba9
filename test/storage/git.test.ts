/**
 * The git runner: what git prints, the exit codes that are answers, and
 * every failure as a GIT error with git's own words.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitError } from "../../src/errors.js";
import {
  codeownersPlace,
  commitPaths,
  ensureGitRepository,
  gitText,
  runGit,
  trackedFiles,
  workTreeRoot,
} from "../../src/storage/git.js";
import { hasCommits, readBlobs, revisionExists } from "../../src/storage/git-history.js";

const execFileP = promisify(execFile);

describe("the git runner", () => {
  let home: string;
  let repo: string;
  let outside: string;
  beforeAll(async () => {
    Object.assign(process.env, {
      GIT_AUTHOR_NAME: "Lockstep Test",
      GIT_AUTHOR_EMAIL: "test@lockstep.invalid",
      GIT_COMMITTER_NAME: "Lockstep Test",
      GIT_COMMITTER_EMAIL: "test@lockstep.invalid",
    });
    home = await mkdtemp(join(tmpdir(), "lockstep-git-"));
    repo = join(home, "repo");
    outside = join(home, "outside");
    await mkdir(outside);
    await mkdir(join(repo, "sub"), { recursive: true });
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it("outside a work tree: no root, not inside; init makes one, once", async () => {
    expect(await workTreeRoot(outside)).toBeUndefined();
    expect(await hasCommits(outside)).toBe(false);
    expect(await ensureGitRepository(repo)).toBe(true);
    expect(await ensureGitRepository(join(repo, "sub"))).toBe(false);
    expect(await workTreeRoot(join(repo, "sub"))).toBe(repo);
    expect(await hasCommits(repo)).toBe(false);
  });

  it("commits exactly the paths given and returns the commit's full hash", async () => {
    await writeFile(join(repo, "sub", "a.yaml"), "a: 1\n");
    await writeFile(join(repo, "other.txt"), "unrelated\n");
    const hash = await commitPaths(join(repo, "sub"), ["a.yaml"], "lockstep test: a\n\nbody\n");
    expect(hash).toBe((await execFileP("git", ["rev-parse", "HEAD"], { cwd: repo })).stdout.trim());
    expect(await trackedFiles(join(repo, "sub"))).toEqual(["a.yaml"]);
    expect((await execFileP("git", ["status", "--porcelain"], { cwd: repo })).stdout).toBe("?? other.txt\n");
    expect(await gitText(repo, ["log", "-1", "--format=%B"])).toBe("lockstep test: a\n\nbody\n\n");
    expect(await codeownersPlace(join(repo, "sub"), repo)).toEqual({
      file: join(repo, ".github", "CODEOWNERS"),
      prefix: "sub/",
    });
  });

  it("answers: a revision that exists or not; stdin for cat-file's batch", async () => {
    expect(await hasCommits(repo)).toBe(true);
    expect(await revisionExists(repo, "HEAD")).toBe(true);
    expect(await revisionExists(repo, "no-such-branch")).toBe(false);
    const blob = (await gitText(repo, ["rev-parse", "HEAD:sub/a.yaml"])).trim();
    expect(await readBlobs(repo, [blob, "0".repeat(40)])).toEqual(new Map([[blob, "a: 1\n"]]));
    const quiet = await runGit(repo, ["rev-parse", "--verify", "-q", "nothing"], { answers: [1] });
    expect(quiet).toEqual({ stdout: Buffer.alloc(0), exitCode: 1 });
  });

  it("a failure is a GitError: code GIT, git's exit code, and its stderr in full", async () => {
    const error = await runGit(repo, ["log", "no-such-rev"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect(error).toMatchObject({ code: "GIT", exitCode: 128, args: ["log", "no-such-rev"] });
    const e = error as GitError;
    expect(e.stderr).toMatch(/no-such-rev/);
    expect(e.message).toBe(`git log failed (exit 128): ${e.stderr.trim().split("\n")[0]}`);
    await expect(trackedFiles(outside)).rejects.toMatchObject({ code: "GIT" });
  });

  it("without git on PATH: a GitError that says to install it, and no work tree", async () => {
    const path = process.env.PATH;
    process.env.PATH = outside;
    try {
      const error = await runGit(repo, ["status"]).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "GIT", exitCode: undefined, fix: "install git and make sure it is on PATH" });
      expect(await workTreeRoot(repo)).toBeUndefined();
    } finally {
      process.env.PATH = path;
    }
  });
});
