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
    // A key of dave's own: a key belongs to one member.
    const dave = expectOk(await s.run(["keygen", "-o", s.path("../dave.txt")])).stderr.match(/age1\S+/)?.[0] as string;
    expectOk(await s.run(["member", "add", "dave", "--key", dave, "--commit"]));
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

  it("set --keep-value and edit commit the manifest they changed", async () => {
    const meta = expectOk(
      await s.as("alice", ["set", "production/db/password", "--keep-value", "--description", "Primary", "--commit"]),
    );
    expect(meta.stdout).toMatch(/^Committed [0-9a-f]{7,}$/m);
    expect(await head()).toEqual({
      message: "lockstep set: production/db/password metadata (description), no new version",
      files: ["secrets/production/db/password.yaml"],
    });
    await s.write("../ed.sh", `#!/bin/sh\nfor last; do :; done\nprintf 'edited\\n' > "$last"\n`);
    await runTool("chmod", ["+x", s.path("../ed.sh")], { cwd: s.repo });
    const edit = expectOk(
      await s.as("alice", ["edit", "production/db/password", "--commit"], {
        env: { VISUAL: undefined, EDITOR: s.path("../ed.sh") },
      }),
    );
    expect(edit.stdout).toMatch(/^Committed [0-9a-f]{7,}$/m);
    expect(await head()).toEqual({
      message: "lockstep edit: production/db/password version 3 (stages: canary)",
      files: ["secrets/production/db/password.yaml"],
    });
    expect(expectOk(await s.as("alice", ["get", "production/db/password"])).stdout).toBe("edited");
  });

  it("member add --rekey --commit commits access.yaml and the rekeyed manifests in one commit", async () => {
    const erin = expectOk(await s.run(["keygen", "-o", s.path("../erin.txt")])).stderr.match(/age1\S+/)?.[0] as string;
    const r = expectOk(
      await s.as("alice", ["member", "add", "erin", "--key", erin, "--group", "platform", "--rekey", "--commit"]),
    );
    expect(r.stdout).toMatch(/^Committed [0-9a-f]{7,}$/m);
    const { message, files } = await head();
    expect(files[0]).toBe("access.yaml");
    expect(files).toContain("secrets/production/db/password.yaml");
    expect(message).toMatch(/^lockstep member add: erin \(groups: platform; rekeyed \d+ secret\(s\)\)$/);
    expect(expectOk(await s.run(["--identity", s.path("../erin.txt"), "get", "production/db/password"])).stdout).toBe(
      "edited",
    );
  });

  it("--commit refuses, writing nothing, when the files it would change have changes of their own", async () => {
    expectOk(await s.as("alice", ["set", "production/db/password"], { input: "not committed" }));
    const before = await s.read("secrets/production/db/password.yaml");
    const count = await commits();
    expectError(
      await s.as("alice", ["set", "production/db/password", "--commit"], { input: "x" }),
      1,
      "secrets/production/db/password.yaml already has changes that are not committed",
      "nothing was changed",
    );
    expect(await s.read("secrets/production/db/password.yaml")).toBe(before);
    expect(await commits()).toBe(count);
    await git(
      "-c",
      "user.name=T",
      "-c",
      "user.email=t@t.invalid",
      "commit",
      "-qm",
      "by hand",
      "--",
      "secrets/production/db/password.yaml",
    );
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
