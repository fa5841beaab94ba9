/**
 * A newcomer's typos (issue 21.2 and 21.3), through the built CLI: a
 * mistyped secret id, environment, stage, member or consumer gets the
 * closest existing name; a manifest's path stands for its id; an id typed
 * with `secrets/` or `.yaml` never makes a stray file.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, expectOk, makeSandbox, requireBuiltCli, type Sandbox } from "./helpers.js";

requireBuiltCli();

describe("did you mean", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    expectOk(await s.as("alice", ["set", "production/db/password"], { input: "s3cret" }));
    expectOk(await s.as("alice", ["set", "production/api/token"], { input: "t0ken" }));
  });
  afterAll(() => s.cleanup());

  it("a mistyped secret id gets the secret it meant", async () => {
    for (const args of [
      ["get", "production/db/pasword"],
      ["show", "production/db/passwrd"],
      ["rotate", "production/db/pasword"],
      ["promote", "production/db/pasword"],
    ]) {
      expectError(
        await s.as("alice", args),
        1,
        "no secret production/db/pas",
        "fix: did you mean production/db/password? (list secrets with `lockstep ls`",
      );
    }
  });

  it("a mistyped or shortened environment gets the whole id with the right one", async () => {
    expectError(
      await s.as("alice", ["get", "prodution/db/password"]),
      2,
      'no environment "prodution" in lockstep.yaml',
      "did you mean production/db/password? (environments are: staging, production)",
    );
    expectError(await s.as("alice", ["get", "prod/db/password"]), 2, "did you mean production/db/password?");
    expectError(await s.run(["ls", "stagign"]), 2, "did you mean staging?");
    expectError(await s.run(["status", "Production"]), 2, "did you mean production?");
    expectError(await s.as("alice", ["export", "prodcution"]), 2, "did you mean production?");
  });

  it("a mistyped stage gets the stage", async () => {
    expectError(
      await s.as("alice", ["get", "production/db/password", "--stage", "stabel"]),
      1,
      'no stage "stabel"',
      "did you mean stable? (stages are: canary, stable)",
    );
    expectError(
      await s.run(["promote", "production/db/password", "--stage", "canery"]),
      1,
      "did you mean canary? (stages are: canary, stable)",
    );
    expectError(await s.as("alice", ["export", "production", "--stage", "stabel"]), 1, "did you mean stable?");
  });

  it("a mistyped member gets the member, in member rm, exposure and rule add", async () => {
    expectError(
      await s.run(["member", "rm", "alcie"]),
      1,
      'access.yaml has no member "alcie"',
      "did you mean alice? (members are: alice, bob, ci)",
    );
    expectError(await s.run(["exposure", "alcie"]), 1, 'no member "alcie"', "did you mean alice?");
    expectError(await s.run(["rule", "add", "staging/**", "--readers", "platfrom"]), 1, "did you mean platform?");
  });

  it("check's unknown-member finding offers the near name before member add", async () => {
    const t = await makeSandbox({ rules: 'rules:\n  - match: "production/**"\n    readers: [platfrom]\n' });
    try {
      const r = await t.run(["check"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('names "platfrom", which is neither a member nor a group');
      expect(r.stdout).toContain("fix: did you mean platform? (else add it with `lockstep member add platfrom");
      // The secret it would cover: no readers, and why.
      expectError(
        await t.as("alice", ["set", "production/x"], { input: "v" }),
        1,
        'the rules that match it ("production/**") name platfrom, neither a member nor a group',
      );
    } finally {
      await t.cleanup();
    }
  });

  it("a mistyped consumer gets the consumer", async () => {
    const t = await makeSandbox();
    try {
      const config = await t.read("lockstep.yaml");
      await t.write("lockstep.yaml", config.replace("consumers: []", "consumers: [api-canary]"));
      expectError(
        await t.as("alice", ["export", "staging", "--consumer", "api-canry"]),
        1,
        'consumer "api-canry"',
        "did you mean api-canary?",
      );
    } finally {
      await t.cleanup();
    }
  });
});

describe("ids typed as paths", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
  });
  afterAll(() => s.cleanup());

  it("set ID.yaml makes the secret ID, not ID.yaml.yaml", async () => {
    const r = expectOk(await s.as("alice", ["set", "production/db/password.yaml"], { input: "s3cret" }));
    expect(r.stdout).toContain("production/db/password:");
    expect(existsSync(s.path("secrets/production/db/password.yaml"))).toBe(true);
    expect(existsSync(s.path("secrets/production/db/password.yaml.yaml"))).toBe(false);
  });

  it("a manifest's path stands for its id: from the root, from secrets/, and from a subfolder", async () => {
    expectOk(await s.as("alice", ["set", "production/api/token"], { input: "t0ken" }));
    const get = (id: string, cwd?: string) => s.as("alice", ["get", id], cwd === undefined ? {} : { cwd: s.path(cwd) });
    expect(expectOk(await get("secrets/production/api/token.yaml")).stdout).toBe("t0ken");
    expect(expectOk(await get("./secrets/production/api/token.yaml")).stdout).toBe("t0ken");
    expect(expectOk(await get("api/token.yaml", "secrets/production")).stdout).toBe("t0ken");
    expect(expectOk(await get(s.path("secrets/production/api/token.yaml"), "secrets")).stdout).toBe("t0ken");
    // The same for the other commands that take an id.
    expect(expectOk(await s.run(["show", "secrets/production/api/token.yaml"])).stdout).toContain(
      "production/api/token",
    );
    expectOk(await s.as("alice", ["rotate", "secrets/production/api/token.yaml", "--generate", "hex:8"]));
    expect((await s.manifest("production/api/token")).versions).toHaveLength(2);
  });

  it("an id typed with secrets/ but no .yaml is refused with the id it meant", async () => {
    expectError(
      await s.as("alice", ["get", "secrets/production/db/password"]),
      2,
      '"secrets/production/db/password" is not a secret id: ids leave out secrets/',
      "did you mean production/db/password? (or its manifest's path, secrets/production/db/password.yaml)",
    );
    expectError(
      await s.as("alice", ["set", "secrets/production/db/other"], { input: "v" }),
      2,
      "did you mean production/db/other?",
    );
    expect(existsSync(s.path("secrets/secrets"))).toBe(false);
  });

  it("an id with a .yaml segment, or a .yaml path outside secrets/, is refused", async () => {
    expectError(
      await s.as("alice", ["set", "production/x.yaml/y"], { input: "v" }),
      2,
      "a segment may not end in .yaml",
    );
    expectError(await s.as("alice", ["get", "/tmp/x.yaml"]), 2, '"/tmp/x.yaml" is not a secret id');
    expect(existsSync(s.path("secrets/production/x.yaml"))).toBe(false);
  });
});
