/**
 * Errors that say why (issue 21.4), through the built CLI: a version none
 * of your identities opens names whom it is encrypted to, the rule that
 * decides its readers today and the way in; an imported file's invalid
 * variable name names its line; a secret with no readers says which rules
 * match it and what they lack.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, expectOk, makeSandbox, requireBuiltCli, type Sandbox } from "./helpers.js";

requireBuiltCli();

describe("errors that say why", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    expectOk(await s.run(["set", "production/db/password"], { input: "s3cret" }));
  });
  afterAll(() => s.cleanup());

  it("not a recipient, as a member outside the rules: the rule, its readers and the rule add that lets you in", async () => {
    const line = (await s.read("access.yaml")).split("\n").indexOf('  - match: "production/**"') + 1;
    expect(line).toBeGreaterThan(0);
    expectError(
      await s.as("bob", ["get", "production/db/password"]),
      3,
      /production\/db\/password version 1: none of your identities \(.*bob\.txt\) is a recipient; it is encrypted to alice, ci\./,
      `Readers today: alice, ci (access.yaml:${line}: rule "production/**" reads platform, ci)`,
      'fix: bob is not among its readers: `lockstep rule add "production/**" --readers bob`',
      "then a reader runs `lockstep rekey production/db/password`",
    );
  });

  it("not a recipient, as a reader added after the version was written: rekey", async () => {
    const t = await makeSandbox();
    try {
      expectOk(await t.run(["set", "production/db/password"], { input: "s3cret" }));
      expectOk(await t.run(["rule", "add", "production/**", "--readers", "bob"]));
      expectError(
        await t.as("bob", ["get", "production/db/password"]),
        3,
        "Readers today: alice, bob, ci",
        "fix: bob reads it today, but this version was encrypted before: a reader runs `lockstep rekey production/db/password`",
      );
      expectOk(await t.as("alice", ["rekey", "production/db/password"]));
      expect(expectOk(await t.as("bob", ["get", "production/db/password"])).stdout).toBe("s3cret");
    } finally {
      await t.cleanup();
    }
  });

  it("not a recipient, with a key that is no member's: member add, then rule add", async () => {
    const stranger = join(s.home, "keys", "stranger.txt");
    expectOk(await s.run(["keygen", "-o", stranger]));
    expectError(
      await s.run(["--identity", stranger, "get", "production/db/password"]),
      3,
      "it is encrypted to alice, ci",
      "stranger.txt) is a recipient",
      "fix: your key is no member's: ",
      '`lockstep member add NAME --key age1...` and `lockstep rule add "production/**" --readers NAME`',
    );
  });

  it("an imported .env's invalid variable name names its line", async () => {
    await s.write("../bad.env", "# settings\nGOOD=1\n\nMY-VAR=2\n");
    expectError(
      await s.as("alice", ["import", "staging", s.path("../bad.env")]),
      1,
      /bad\.env:4: "MY-VAR" is not a valid variable name/,
      "fix: variable names are letters, digits and _",
    );
    expect(await s.run(["ls", "staging"])).toMatchObject({ code: 0 });
    expect((await s.run(["ls", "staging"])).stdout).not.toContain("staging/good");
  });

  it("no readers: which rules match it, and what they lack", async () => {
    const t = await makeSandbox({ rules: 'rules:\n  - match: "staging/**"\n    approvers: [platform]\n' });
    try {
      expectError(
        await t.run(["set", "staging/x"], { input: "v" }),
        1,
        'staging/x has no readers: the rules that match it ("staging/**") name none',
        'give one of them readers: lockstep rule add "staging/**" --readers NAME',
      );
      expectError(
        await t.run(["set", "production/x"], { input: "v" }),
        1,
        "production/x has no readers: no rule in access.yaml matches it",
        'lockstep rule add "production/**" --readers NAME',
      );
    } finally {
      await t.cleanup();
    }
  });
});
