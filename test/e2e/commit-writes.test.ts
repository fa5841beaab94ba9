/**
 * Every writing command commits on request (issue 21.5): `set`, `rotate`,
 * `rekey`, `import`, `member add/rm` and `rule add/rm` take `--commit`, and
 * commit exactly the files they changed, with a message that says what
 * happened; other changes in the work tree stay uncommitted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectError,
  expectOk,
  makeSandbox,
  NO_GIT_IDENTITY,
  requireBuiltCli,
  runTool,
  type Sandbox,
} from "./helpers.js";

requireBuiltCli();

describe("--commit on every writing command", () => {
  let s: Sandbox;
  const git = async (...args: string[]) => expectOk(await runTool("git", args, { cwd: s.repo })).stdout;
  /** The last commit: its message, and the files it changed. */
  const head = async () => ({
    message: (await git("log", "-1", "--format=%B")).trim(),
    files: (await git("show", "--name-only", "--format=", "HEAD")).trim().split("\n").sort(),
  });
  const commits = async () => Number((await git("rev-list", "--count", "HEAD")).trim());

  beforeAll(async () => {
    s = await makeSandbox();
    await git("add", "-A");
    await git("-c", "user.name=T", "-c", "user.email=t@t.invalid", "commit", "-qm", "start");
    // Someone's unrelated work in progress: never swept into lockstep's commits.
    await s.write("notes.txt", "work in progress\n");
    await s.write("secrets/staging/draft.txt", "not a manifest\n");
  });
  afterAll(async () => {
    // Still there, still uncommitted.
    expect((await git("status", "--porcelain")).trim().split("\n").sort()).toEqual([
      "?? notes.txt",
      "?? secrets/staging/draft.txt",
    ]);
    await s.cleanup();
  });

  it("set commits the manifest it wrote", async () => {
    const r = expectOk(await s.as("alice", ["set", "production/db/password", "--commit"], { input: "s3cret" }));
    expect(r.stdout).toMatch(/^Committed [0-9a-f]{7,}$/m);
    expect(await head()).toEqual({
      message: "lockstep set: production/db/password created, version 1 (stages: canary, stable)",
      files: ["secrets/production/db/password.yaml"],
    });
    expectOk(await s.as("alice", ["set", "production/db/password", "--commit"], { input: "s3cret2" }));
    expect((await head()).message).toBe("lockstep set: production/db/password version 2 (stages: canary)");
  });

  it("rotate commits the manifest, saying the version and stage", async () => {
    expectOk(await s.as("alice", ["set", "production/api/token", "--generate", "hex:16", "--commit"]));
    expectOk(await s.as("alice", ["rotate", "production/api/token", "--commit"]));
    expect(await head()).toEqual({
      message: "lockstep rotate: production/api/token version 2 (stages: canary)",
      files: ["secrets/production/api/token.yaml"],
    });
  });

  it("import commits every manifest it wrote, listing them", async () => {
    await s.write("../app.env", "API_URL=https://api.example\nFEATURE_FLAG=on\n");
    const r = expectOk(await s.as("alice", ["import", "staging", s.path("../app.env"), "--commit"]));
    expect(r.stdout).toMatch(/^Committed [0-9a-f]{7,}$/m);
    const { message, files } = await head();
    expect(files).toEqual(["secrets/staging/api_url.yaml", "secrets/staging/feature_flag.yaml"]);
    expect(message.split("\n")[0]).toMatch(/^lockstep import: 2 secrets into staging from .*app\.env$/);
    expect(message).toContain("staging/api_url created, version 1");
  });

  it("member add, rule add, rekey and member rm: access.yaml, then the manifests", async () => {
    const before = await commits();
    expectOk(await s.run(["member", "add", "dave", "--key", s.keys.bob.recipient, "--commit"]));
    expect(await head()).toEqual({ message: "lockstep member add: dave", files: ["access.yaml"] });
    expectOk(await s.run(["rule", "add", "production/**", "--readers", "dave", "--commit"]));
    const rule = await head();
    expect(rule.files).toEqual(["access.yaml"]);
    expect(rule.message).toContain('lockstep rule add: "production/**" readers +dave');
    expect(rule.message).toContain("production/db/password: +dave");
    expectOk(await s.as("alice", ["rekey", "--commit"]));
    const rekey = await head();
    expect(rekey.files).toEqual(["secrets/production/api/token.yaml", "secrets/production/db/password.yaml"]);
    expect(rekey.message).toMatch(
      /^lockstep rekey: 2 secrets re-encrypted to their readers\n\nproduction\/api\/token: versions 1, 2\n/,
    );
    // Nothing to rekey: nothing committed.
    expect(expectOk(await s.as("alice", ["rekey", "--commit"])).stdout).not.toContain("Committed");
    expectOk(await s.run(["member", "rm", "dave", "--commit"]));
    const rm = await head();
    expect(rm.files).toEqual(["access.yaml"]);
    expect(rm.message).toMatch(/^lockstep member rm: dave \(and from rules\[\d\]\.readers\)/);
    expect(await commits()).toBe(before + 4);
  });

  it("without a git identity, --commit refuses before writing anything", async () => {
    const before = await s.read("secrets/production/db/password.yaml");
    expectError(
      await s.as("alice", ["set", "production/db/password", "--commit"], { input: "x", env: NO_GIT_IDENTITY }),
      1,
      "cannot --commit",
      "nothing was changed",
    );
    expect(await s.read("secrets/production/db/password.yaml")).toBe(before);
  });
});
