/**
 * The end of a secret's life and its renames, through the built CLI in real
 * git repositories: `rm` (refused while a consumer deploys it), `restore`
 * from history, `prune` of old versions, `mv` to a new id; what `audit`,
 * `diff` and `check` say of each.
 */
import { describe, expect, it, vi } from "vitest";
import {
  childEnv,
  expectError,
  expectOk,
  type RunResult,
  requireBuiltCli,
  runTool,
  type Sandbox,
  sandboxPerTest,
  setValue,
} from "./helpers.js";

requireBuiltCli();
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const makeSandbox = sandboxPerTest();
const sandbox = (rules?: string) => makeSandbox(rules === undefined ? {} : { rules });
const set = setValue;

async function git(s: Sandbox, ...args: string[]): Promise<string> {
  const r: RunResult = await runTool("git", args, { cwd: s.repo, env: childEnv(s.home) });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

async function commitAll(s: Sandbox, message: string): Promise<void> {
  await git(s, "add", "-A");
  await git(s, "commit", "-q", "-m", message);
}

interface Event {
  kind: string;
  id?: string;
  renamed?: string;
  versions?: number[];
}

async function audit(s: Sandbox, ...args: string[]): Promise<Event[]> {
  return JSON.parse(expectOk(await s.run(["audit", "--json", ...args])).stdout);
}

const DEPLOYED = `environments:
  staging:
    stages:
      - name: canary
      - name: stable
  production:
    stages:
      - name: canary
        consumers: [api-canary]
      - name: stable
        consumers: [api, worker]
`;

describe("rm", () => {
  it("refuses while a consumer still deploys the secret, naming them; --force deletes it and warns", async () => {
    const s = await sandbox();
    await s.write("lockstep.yaml", DEPLOYED);
    await set(s, "production/db/password", "pw");
    const before = await s.read("secrets/production/db/password.yaml");
    const r = await s.run(["rm", "production/db/password"]);
    expectError(
      r,
      1,
      "production/db/password is still deployed to api-canary (canary); api, worker (stable)",
      "--force",
    );
    expect(await s.read("secrets/production/db/password.yaml")).toBe(before);
    const forced = expectOk(await s.run(["rm", "production/db/password", "--force"]));
    expect(forced.stdout).toContain("Deleted production/db/password (version 1).");
    expect(forced.stdout).toContain("warning: it was still deployed to api, worker (stable)");
    expectError(await s.run(["show", "production/db/password"]), 1);
  });

  it("deletes a secret no consumer gets (consumers: []) and removes the folders it leaves empty", async () => {
    const s = await sandbox();
    await s.write("lockstep.yaml", DEPLOYED);
    await set(s, "production/old/unused", "x");
    const m = await s.read("secrets/production/old/unused.yaml");
    await s.write("secrets/production/old/unused.yaml", m.replace(/^stages:/m, "consumers: []\nstages:"));
    expectOk(await s.run(["rm", "production/old/unused"]));
    expect(await runTool("test", ["-e", s.path("secrets/production/old")])).toMatchObject({ code: 1 });
    expect(await runTool("test", ["-d", s.path("secrets")])).toMatchObject({ code: 0 });
  });

  it("--commit records the deletion; audit shows `deleted`; restore brings it back byte for byte, versions and stages intact", async () => {
    const s = await sandbox();
    await set(s, "staging/api/key", "one");
    await set(s, "staging/api/key", "two");
    await commitAll(s, "api key");
    const before = await s.read("secrets/staging/api/key.yaml");
    const r = expectOk(await s.run(["rm", "staging/api/key", "--commit"]));
    expect(r.stdout).toContain("Deleted staging/api/key (versions 1, 2).");
    expect(r.stdout).toContain("`lockstep restore staging/api/key` brings it back");
    expect(r.stdout).toMatch(/^Committed [0-9a-f]{40}$/m);
    expect((await git(s, "log", "-1", "--format=%s")).trim()).toBe("lockstep rm: staging/api/key");
    expect(await git(s, "status", "--porcelain")).toBe("");
    const events = await audit(s, "staging/api/key");
    expect(events[0]).toMatchObject({ kind: "deleted", id: "staging/api/key", versions: [1, 2] });
    expect(expectOk(await s.run(["audit", "staging/api/key"])).stdout).toMatch(/deleted\s+staging\/api\/key\s+v1, v2/);

    const back = expectOk(await s.run(["restore", "staging/api/key", "--commit"]));
    expect(back.stdout).toMatch(/Restored staging\/api\/key from [0-9a-f]{12} \(versions 1, 2; canary: 2, stable: 1\)/);
    expect(await s.read("secrets/staging/api/key.yaml")).toBe(before);
    expect(expectOk(await s.as("alice", ["get", "staging/api/key", "--stage", "stable"])).stdout).toBe("one");
    expect(expectOk(await s.as("alice", ["get", "staging/api/key"])).stdout).toBe("two");
    expect((await git(s, "log", "-1", "--format=%s")).trim()).toBe("lockstep restore: staging/api/key");
    expect((await audit(s, "staging/api/key"))[0]).toMatchObject({ kind: "created", versions: [1, 2] });
    expectOk(await s.run(["check"]));
  });

  it("restore --from REV takes the manifest as it was then; it refuses a secret that exists or never did", async () => {
    const s = await sandbox();
    await set(s, "staging/token", "first");
    await commitAll(s, "v1");
    const v1 = (await git(s, "rev-parse", "HEAD")).trim();
    await set(s, "staging/token", "second");
    await commitAll(s, "v2");
    expectError(await s.run(["restore", "staging/token"]), 1, "staging/token exists");
    expectOk(await s.run(["rm", "staging/token", "--commit"]));
    expectOk(await s.run(["restore", "staging/token", "--from", v1]));
    expect((await s.manifest("staging/token")).versions.map((v) => v.version)).toEqual([1]);
    expect(expectOk(await s.as("alice", ["get", "staging/token"])).stdout).toBe("first");
    expectError(await s.run(["restore", "staging/never"]), 1, "no secret staging/never in Git history");
    expectError(await s.run(["restore", "staging/token2", "--from", v1]), 1, "does not exist at");
  });

  it("restores a manifest deleted in the working tree only, from HEAD", async () => {
    const s = await sandbox();
    await set(s, "staging/wt", "value");
    await commitAll(s, "wt");
    const before = await s.read("secrets/staging/wt.yaml");
    expectOk(await s.run(["rm", "staging/wt"]));
    expect(expectOk(await s.run(["diff"])).stdout).toContain("staging/wt: deleted");
    expect(JSON.parse(expectOk(await s.run(["diff", "--format", "json"])).stdout).secrets).toEqual([
      expect.objectContaining({ id: "staging/wt", kind: "deleted" }),
    ]);
    expectOk(await s.run(["restore", "staging/wt"]));
    expect(expectOk(await s.run(["diff"])).stdout).not.toContain("staging/wt");
    expect(await s.read("secrets/staging/wt.yaml")).toBe(before);
  });
});

describe("prune", () => {
  /** Versions 1-5 of staging/p: canary at 5, stable at 3. */
  async function five(s: Sandbox): Promise<void> {
    await set(s, "staging/p", "v1");
    await set(s, "staging/p", "v2", "--all-stages");
    await set(s, "staging/p", "v3", "--all-stages");
    await set(s, "staging/p", "v4");
    await set(s, "staging/p", "v5");
  }

  it("removes old versions no stage points at, keeps the N newest, and says history still holds them", async () => {
    const s = await sandbox();
    await five(s);
    const r = expectOk(await s.run(["prune", "staging/p", "--keep", "2", "--commit"]));
    expect(r.stdout).toContain("Pruned staging/p: versions 1, 2 removed; versions 3, 4, 5 kept.");
    expect(r.stdout).toContain("Git history still holds the removed versions");
    expect((await s.manifest("staging/p")).versions.map((v) => v.version)).toEqual([5, 4, 3]);
    expect((await git(s, "log", "-1", "--format=%s")).trim()).toBe("lockstep prune: staging/p: versions 1, 2 removed");
    expectError(await s.as("alice", ["get", "staging/p", "--version", "1"]), 1);
    expect(expectOk(await s.as("alice", ["get", "staging/p", "--stage", "stable"])).stdout).toBe("v3");
    expectOk(await s.run(["check"]));
  });

  it("never removes a live version, nor one pending after a rollback, even with --keep 0", async () => {
    const s = await sandbox();
    await five(s);
    const zero = expectOk(await s.run(["prune", "staging/p", "--keep", "0"]));
    expect(zero.stdout).toContain("versions 1, 2, 4 removed; versions 3, 5 kept");
    expect((await s.manifest("staging/p")).stages).toEqual({ canary: 5, stable: 3 });
    expectOk(await s.run(["rollback", "staging/p", "--stage", "canary"]));
    const again = expectOk(await s.run(["prune", "staging/p", "--keep", "0"]));
    expect(again.stdout).toContain("Nothing to prune in staging/p: versions 3, 5 kept");
    expectError(await s.run(["prune", "staging/p", "--keep", "-1"]), 2);
    expectError(await s.run(["prune", "staging/p"]), 2, "--keep");
  });
});

const SPLIT_RULES = `rules:
  - match: "staging/**"
    readers: [platform, ci]
    approvers: [platform]
  - match: "production/**"
    readers: [platform]
    approvers: [platform]
`;

describe("mv", () => {
  it("re-encrypts every version for the new id, keeps numbers, dates and stages, records where it came from", async () => {
    const s = await sandbox();
    await set(s, "staging/redis_url", "redis://one");
    await set(s, "staging/redis_url", "redis://two");
    await commitAll(s, "redis");
    const before = await s.manifest("staging/redis_url");
    const r = expectOk(await s.as("alice", ["mv", "staging/redis_url", "staging/cache/url", "--commit"]));
    expect(r.stdout).toContain("Renamed staging/redis_url -> staging/cache/url: versions 1, 2 re-encrypted");
    const after = await s.manifest("staging/cache/url");
    expect(after.stages).toEqual(before.stages);
    expect(after.versions.map((v) => [v.version, v.created])).toEqual(
      before.versions.map((v) => [v.version, v.created]),
    );
    expect((after as unknown as { renamedFrom: string }).renamedFrom).toBe("staging/redis_url");
    expect(after.versions[0]?.ciphertext).not.toBe(before.versions[0]?.ciphertext);
    expect(await runTool("test", ["-e", s.path("secrets/staging/redis_url.yaml")])).toMatchObject({ code: 1 });
    expect(expectOk(await s.as("ci", ["get", "staging/cache/url", "--stage", "stable"])).stdout).toBe("redis://one");
    expect(expectOk(await s.as("ci", ["get", "staging/cache/url"])).stdout).toBe("redis://two");
    expectOk(await s.run(["check"]));
    expect((await git(s, "log", "-1", "--format=%s")).trim()).toBe(
      "lockstep mv: staging/redis_url -> staging/cache/url",
    );
    expect(await git(s, "status", "--porcelain")).toBe("");
    const events = await audit(s, "staging");
    expect(events.slice(0, 2)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: "created",
          id: "staging/cache/url",
          renamed: "staging/redis_url",
          versions: [1, 2],
        }),
        expect.objectContaining({
          kind: "deleted",
          id: "staging/redis_url",
          renamed: "staging/cache/url",
          versions: [1, 2],
        }),
      ]),
    );
    const text = expectOk(await s.run(["audit", "staging"])).stdout;
    expect(text).toContain("renamed from staging/redis_url");
  });

  it("diff shows the rename as one change of the new id", async () => {
    const s = await sandbox();
    await set(s, "staging/a", "x");
    await commitAll(s, "a");
    expectOk(await s.as("alice", ["mv", "staging/a", "staging/b"]));
    const diff = JSON.parse(expectOk(await s.run(["diff", "--format", "json"])).stdout);
    expect(diff.secrets).toEqual([
      expect.objectContaining({ id: "staging/b", kind: "changed", renamedFrom: "staging/a", rekeyed: [1] }),
    ]);
    expect(expectOk(await s.run(["diff"])).stdout).toContain("staging/b: renamed from staging/a");
  });

  it("needs a key that reads every version: without one, exit 3 naming who can, nothing written", async () => {
    const s = await sandbox();
    await set(s, "staging/a", "x");
    const before = await s.read("secrets/staging/a.yaml");
    const r = await s.as("bob", ["mv", "staging/a", "staging/b"]);
    expectError(r, 3, "nothing was written", "alice, ci");
    expect(await s.read("secrets/staging/a.yaml")).toBe(before);
    expect(await runTool("test", ["-e", s.path("secrets/staging/b.yaml")])).toMatchObject({ code: 1 });
  });

  it("encrypts for the new id's readers; who no longer reads it is named and remembered as a former reader", async () => {
    const s = await sandbox(SPLIT_RULES);
    await set(s, "staging/shared", "x");
    const r = expectOk(await s.as("alice", ["mv", "staging/shared", "production/shared"]));
    expect(r.stdout).toContain("No longer readers: ci");
    expectError(await s.as("ci", ["get", "production/shared"]), 3);
    const check = await s.run(["check", "--format", "json"]);
    expect(JSON.parse(check.stdout).findings.map((f: { code: string }) => f.code)).toContain(
      "exposed-to-former-reader",
    );
  });

  it("refuses an id that exists, and keeps a hand-edited manifest's comments", async () => {
    const s = await sandbox();
    await set(s, "staging/a", "x");
    await set(s, "staging/b", "y");
    expectError(await s.as("alice", ["mv", "staging/a", "staging/b"]), 1, "staging/b exists already");
    const text = await s.read("secrets/staging/a.yaml");
    await s.write("secrets/staging/a.yaml", `# owned by the payments team\n${text}`);
    expectOk(await s.as("alice", ["mv", "staging/a", "staging/c"]));
    const moved = await s.read("secrets/staging/c.yaml");
    expect(moved.startsWith("# owned by the payments team\n")).toBe(true);
    expect(moved).toContain("renamedFrom: staging/a");
    expect(expectOk(await s.as("alice", ["get", "staging/c"])).stdout).toBe("x");
    expectOk(await s.run(["check"]));
  });
});
