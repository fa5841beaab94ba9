/**
 * Two branches that change one secret, merged by real `git merge` and
 * `git rebase` through lockstep's merge driver (set up by `init`, and by
 * `setup-git` in a clone): both new versions kept and numbered one after
 * the other, stages merged, `check` clean; without a key the conflict stays,
 * `check` explains it, and `lockstep resolve` finishes it.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import {
  childEnv,
  expectError,
  expectOk,
  type RunResult,
  requireBuiltCli,
  runTool,
  type Sandbox,
  sandboxPerTest,
} from "./helpers.js";

requireBuiltCli();
vi.setConfig({ testTimeout: 240_000, hookTimeout: 120_000 });

const makeSandbox = sandboxPerTest();

const ID = "staging/db/password";
const FILE = `secrets/${ID}.yaml`;

/** git in the sandbox's repository; `key`: the identity the merge driver may use. */
function git(s: Sandbox, args: string[], key?: string): Promise<RunResult> {
  return runTool("git", args, {
    cwd: s.repo,
    env: childEnv(s.home, { LOCKSTEP_AGE_KEY_FILE: key, GIT_EDITOR: "true" }),
  });
}

async function gitOk(s: Sandbox, args: string[], key?: string): Promise<string> {
  const r = await git(s, args, key);
  expect(r.code, `git ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

async function set(s: Sandbox, value: string, ...args: string[]): Promise<void> {
  expectOk(await s.run(["set", ID, ...args], { input: value }));
}

async function commit(s: Sandbox, message: string): Promise<void> {
  await gitOk(s, ["add", "-A"]);
  await gitOk(s, ["commit", "-q", "-m", message]);
}

/**
 * main with version 1 committed; branch `feature` adds version 2 ("feature"),
 * main adds its own version 2 ("main"): both point canary at it.
 */
async function diverged(): Promise<Sandbox> {
  const s = await makeSandbox();
  await set(s, "base");
  await commit(s, "base");
  await gitOk(s, ["checkout", "-q", "-b", "feature"]);
  await set(s, "feature");
  await commit(s, "feature: rotate");
  await gitOk(s, ["checkout", "-q", "main"]);
  await set(s, "main");
  await commit(s, "main: rotate");
  return s;
}

const value = async (s: Sandbox, ...args: string[]) => expectOk(await s.as("ci", ["get", ID, ...args])).stdout;

describe("setup-git", () => {
  it("init wrote .gitattributes and the driver; setup-git writes them again in a clone, once", async () => {
    const s = await makeSandbox();
    expect(await s.read(".gitattributes")).toContain("secrets/**/*.yaml merge=lockstep\n");
    expect(await gitOk(s, ["config", "merge.lockstep.driver"])).toMatch(/merge-driver %O %A %B %P\n$/);
    await gitOk(s, ["config", "--unset", "merge.lockstep.driver"]);
    const r = expectOk(await s.run(["setup-git"]));
    expect(r.stdout).toContain("Kept .gitattributes");
    expect(r.stdout).toMatch(/Set git config merge\.lockstep\.driver = .*merge-driver %O %A %B %P/);
    expect(await gitOk(s, ["check-attr", "merge", "--", FILE])).toBe(`${FILE}: merge: lockstep\n`);
    const again = expectOk(await s.run(["setup-git"]));
    expect(again.stdout).toMatch(/Kept .gitattributes[\s\S]*Kept git config/);
    expect((await s.read(".gitattributes")).match(/merge=lockstep/g)).toHaveLength(1);
  });
});

describe("git merge", () => {
  it("keeps both new versions, numbered one after the other, canary on the last; check is clean", async () => {
    const s = await diverged();
    const out = await gitOk(s, ["merge", "--no-edit", "feature"], s.keys.alice.file);
    expect(out).not.toContain("CONFLICT");
    const text = await s.read(FILE);
    expect(text).not.toContain("<<<<<<<");
    const m = parse(text);
    expect(m.versions.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(m.versions[0].mergedFrom).toBeUndefined();
    expect(m.stages).toEqual({ canary: 3, stable: 1 });
    expect(await value(s, "--version", "2")).toBe("main");
    expect(await value(s, "--version", "3")).toBe("feature");
    expect(await value(s, "--stage", "stable")).toBe("base");
    expectOk(await s.run(["check"]));
    expect(await gitOk(s, ["status", "--porcelain"])).toBe("");
  });

  it("without a key it leaves the conflict in a valid manifest; check explains it; resolve finishes it", async () => {
    const s = await diverged();
    const r = await git(s, ["merge", "--no-edit", "feature"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`CONFLICT (content): Merge conflict in ${FILE}`);
    expect(r.stderr).toContain(`run \`lockstep resolve ${ID}\` with the key of one of: alice, ci`);
    const m = parse(await s.read(FILE));
    expect(m.versions[0]).toMatchObject({ version: 3, mergedFrom: 2 });

    const check = await s.run(["check", "--format", "json"]);
    expect(check.code).toBe(1);
    const finding = JSON.parse(check.stdout).findings.find((f: { code: string }) => f.code === "merge-unresolved");
    expect(finding).toMatchObject({ id: ID, file: FILE });
    expect(finding.message).toContain("version 3 came from the other side of a merge as version 2");
    expect(finding.fix).toBe(`lockstep resolve ${ID}, with the key of one of: alice, ci`);
    expectError(await s.as("ci", ["get", ID, "--version", "3"]), 1, `lockstep resolve ${ID}`);

    expectError(await s.as("bob", ["resolve", ID]), 3, "alice, ci");
    const resolved = expectOk(await s.as("alice", ["resolve", ID]));
    expect(resolved.stdout).toContain(`Resolved ${ID}: version 3 re-encrypted`);
    expect(resolved.stdout).toContain("Marked");
    await gitOk(s, ["commit", "--no-edit", "-q"]);
    expect(await value(s, "--version", "3")).toBe("feature");
    expect(await value(s, "--version", "2")).toBe("main");
    expectOk(await s.run(["check"]));
  });

  it("merges a promotion on one branch with a rotation on the other", async () => {
    const s = await makeSandbox();
    await set(s, "v1");
    await set(s, "v2");
    await commit(s, "v2 on canary");
    await gitOk(s, ["checkout", "-q", "-b", "promote"]);
    expectOk(await s.run(["promote", ID, "--commit"]));
    await gitOk(s, ["checkout", "-q", "main"]);
    await set(s, "v3");
    await commit(s, "v3 on canary");
    await gitOk(s, ["merge", "--no-edit", "promote"]);
    expect((await s.manifest(ID)).stages).toEqual({ canary: 3, stable: 2 });
    expectOk(await s.run(["check"]));
  });
});

describe("git rebase", () => {
  it("replays a branch's new version after the other's, with its later promotion, and the values stay right", async () => {
    const s = await diverged();
    await gitOk(s, ["checkout", "-q", "feature"]);
    expectOk(await s.run(["promote", ID, "--commit"])); // feature: stable -> its version 2
    await gitOk(s, ["rebase", "main"], s.keys.alice.file);
    const m = await s.manifest(ID);
    expect(m.versions.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(m.stages).toEqual({ canary: 3, stable: 3 });
    expect(await value(s, "--version", "2")).toBe("main");
    expect(await value(s, "--stage", "stable")).toBe("feature");
    expectOk(await s.run(["check"]));
    expect((await gitOk(s, ["log", "--format=%s", "-3"])).trim().split("\n")).toEqual([
      `lockstep promote: ${ID}: stable 1 -> 2`,
      "feature: rotate",
      "main: rotate",
    ]);
  });

  it("without a key the rebase stops; resolve and git rebase --continue finish it", async () => {
    const s = await diverged();
    await gitOk(s, ["checkout", "-q", "feature"]);
    const r = await git(s, ["rebase", "main"]);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain(`lockstep resolve ${ID}`);
    expectOk(await s.as("alice", ["resolve", ID]));
    await gitOk(s, ["rebase", "--continue"]);
    expect(await value(s, "--version", "3")).toBe("feature");
    expect(await value(s, "--version", "2")).toBe("main");
    expectOk(await s.run(["check"]));
    const attrs = await readFile(join(s.repo, ".gitattributes"), "utf8");
    expect(attrs).toContain("merge=lockstep");
  });
});
