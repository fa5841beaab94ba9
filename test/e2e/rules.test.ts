/**
 * Rules without hand-editing traps (issue 21.1): `rule add`, `rule rm` and
 * `rule ls` through the built CLI, the access.yaml `init` writes, and the
 * duplicate-key error a hand-written second `rules:` block meets.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { expectError, expectOk, makeSandbox, runTool, type Sandbox } from "./helpers.js";

const NO_RULES = { rules: "" };

describe("lockstep rule", () => {
  const boxes: Sandbox[] = [];
  const sandbox = async () => {
    const s = await makeSandbox(NO_RULES);
    boxes.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(boxes.splice(0).map((s) => s.cleanup()));
  });
  const rulesOf = async (s: Sandbox) =>
    (parseDocument(await s.read("access.yaml")).toJS() as { rules?: unknown }).rules ?? null;

  it("init writes no rules: key to trip on, and rule add writes one under init's comments", async () => {
    const s = await sandbox();
    const before = await s.read("access.yaml");
    expect(before).not.toMatch(/^rules:/m);
    expect(before).toContain("lockstep rule add");
    const r = expectOk(
      await s.run(["rule", "add", "production/**", "--readers", "platform,ci", "--approvers", "platform"]),
    );
    expect(r.stdout).toMatch(
      /^Added rule "production\/\*\*" \(access\.yaml:\d+\): readers platform, ci; approvers platform$/m,
    );
    const after = await s.read("access.yaml");
    // Everything init wrote is still there, comments included, and the rule comes after it.
    expect(after.startsWith(before.trimEnd().split("\n").slice(0, 2).join("\n"))).toBe(true);
    for (const line of before.split("\n").filter((l) => l.startsWith("#"))) expect(after).toContain(line);
    expect(after).toMatch(
      /\nrules:\n {2}- match: "production\/\*\*"\n {4}readers: \[ platform, ci \]\n {4}approvers: \[ platform \]\n$/,
    );
    const line = Number(/access\.yaml:(\d+)/.exec(r.stdout)?.[1]);
    expect(after.split("\n")[line - 1]).toBe('  - match: "production/**"');
    // The rule works: alice (platform) sets and reads a production secret.
    expectOk(await s.as("alice", ["set", "production/db/password"], { input: "s3cret" }));
    expect(expectOk(await s.as("ci", ["get", "production/db/password"])).stdout).toBe("s3cret");
  });

  it("a hand-written rules: block appended to init's access.yaml just works", async () => {
    const s = await sandbox();
    await s.write(
      "access.yaml",
      `${await s.read("access.yaml")}rules:\n  - match: "staging/**"\n    readers: [platform]\n`,
    );
    expectOk(await s.as("alice", ["set", "staging/x"], { input: "v" }));
  });

  it("a second rules: key names the line of the first, and an empty one is to be deleted", async () => {
    const s = await sandbox();
    const base = await s.read("access.yaml");
    const first = base.split("\n").length; // the line `rules: []` lands on
    await s.write("access.yaml", `${base}rules: []\nrules:\n  - match: "staging/**"\n    readers: [platform]\n`);
    expectError(
      await s.run(["ls"]),
      1,
      `access.yaml:${first + 1}: not valid YAML: the key "rules" is already at line ${first}`,
      `fix: line ${first} is an empty "rules": delete it, and keep the one at line ${first + 1}`,
      "`lockstep rule add` edits access.yaml for you",
    );
    // Two non-empty ones: move one into the other.
    await s.write(
      "access.yaml",
      `${base}rules:\n  - match: "production/**"\n    readers: [platform]\nrules:\n  - match: "staging/**"\n    readers: [platform]\n`,
    );
    expectError(
      await s.run(["ls"]),
      1,
      `the key "rules" is already at line ${first}`,
      `move what is under line ${first + 3} into the one at line ${first}`,
    );
    // check reports it as a finding at the second key's line.
    const check = await s.run(["check"]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(new RegExp(`${first + 3}\\s+error\\s+schema-invalid .*already at line ${first}`));
  });

  it("adds names to the rule of an existing glob, says whose reading changed, and rekey follows", async () => {
    const s = await sandbox();
    expectOk(await s.run(["rule", "add", "production/**", "--readers", "platform"]));
    expectOk(await s.as("alice", ["set", "production/db/password"], { input: "s3cret" }));
    const r = expectOk(await s.run(["rule", "add", "production/**", "--readers", "bob", "--readers", "ci"]));
    expect(r.stdout).toContain('Updated rule "production/**"');
    expect(r.stdout).toContain("readers platform, bob, ci");
    expect(r.stdout).toMatch(/production\/db\/password\s+\+bob \+ci/);
    expect(r.stdout).toContain("lockstep rekey");
    expect((await rulesOf(s)) as unknown[]).toHaveLength(1);
    // Again: nothing to add.
    expect(expectOk(await s.run(["rule", "add", "production/**", "--readers", "bob"])).stdout).toContain(
      'Rule "production/**" unchanged',
    );
    expectOk(await s.as("alice", ["rekey"]));
    expect(expectOk(await s.as("bob", ["get", "production/db/password"])).stdout).toBe("s3cret");
  });

  it("refuses a name that is neither member nor group, with the near one, and writes nothing", async () => {
    const s = await sandbox();
    const before = await s.read("access.yaml");
    expectError(
      await s.run(["rule", "add", "production/**", "--readers", "platfrom"]),
      1,
      '"platfrom" is neither a member nor a group of access.yaml',
      "did you mean platform?",
      "lockstep member add platfrom --key age1...",
    );
    expectError(await s.run(["rule", "add", "production/**"]), 2, "rule add needs readers or approvers");
    expect(await s.read("access.yaml")).toBe(before);
  });

  it("refuses a glob that can match no secret, or a manifest's path, with the glob it meant", async () => {
    const s = await sandbox();
    expectError(
      await s.run(["rule", "add", "prodution/**", "--readers", "platform"]),
      2,
      '"prodution/**" can match no secret: lockstep.yaml has no environment "prodution"',
      'did you mean "production/**"?',
    );
    expectError(
      await s.run(["rule", "add", "secrets/production/db/*.yaml", "--readers", "platform"]),
      2,
      "is a path of manifests: a rule matches ids",
      'did you mean "production/db/*"?',
    );
    expect(await rulesOf(s)).toBeNull();
  });

  it("rm takes names out of a rule, then the rule, and back to no rules: key at all", async () => {
    const s = await sandbox();
    const initial = await s.read("access.yaml");
    expectOk(await s.run(["rule", "add", "staging/**", "--readers", "platform,bob", "--approvers", "platform"]));
    expectOk(await s.as("alice", ["set", "staging/api/token"], { input: "t" }));
    const r = expectOk(await s.run(["rule", "rm", "staging/**", "--readers", "bob"]));
    expect(r.stdout).toContain('Updated rule "staging/**"');
    expect(r.stdout).toMatch(/staging\/api\/token\s+-bob/);
    expect(r.stdout).toContain("rotate what they must no longer know");
    expect(await rulesOf(s)).toEqual([{ match: "staging/**", readers: ["platform"], approvers: ["platform"] }]);
    expectError(
      await s.run(["rule", "rm", "staging/**", "--readers", "bobb"]),
      1,
      'the rule for "staging/**" has no reader "bobb"',
      "its readers: platform",
    );
    expectError(
      await s.run(["rule", "rm", "stagin/**"]),
      1,
      'access.yaml has no rule for "stagin/**"',
      'did you mean "staging/**"?',
    );
    expect(expectOk(await s.run(["rule", "rm", "staging/**"])).stdout).toContain('Removed the rule for "staging/**"');
    expect(await s.read("access.yaml")).toBe(initial);
  });

  it("ls lists the rules with their lines, and with an id the rules that decide its readers", async () => {
    const s = await sandbox();
    expect(expectOk(await s.run(["rule", "ls"])).stdout).toContain("No rules yet");
    expectOk(await s.run(["rule", "add", "production/**", "--readers", "platform,ci", "--approvers", "platform"]));
    expectOk(await s.run(["rule", "add", "production/db/*", "--readers", "bob"]));
    expectOk(await s.as("alice", ["set", "production/db/password"], { input: "p" }));
    expectOk(await s.as("alice", ["set", "production/api/token"], { input: "t" }));
    const all = expectOk(await s.run(["rule", "ls"])).stdout;
    expect(all).toMatch(
      /access\.yaml:\d+\s+"production\/\*\*"\s+readers platform, ci\s+approvers platform\s+2 secrets/,
    );
    expect(all).toMatch(/access\.yaml:\d+\s+"production\/db\/\*"\s+readers bob\s+approvers none\s+1 secret/);
    const one = expectOk(await s.run(["rule", "ls", "secrets/production/db/password.yaml"])).stdout;
    expect(one).toContain("production/db/password: readers alice, bob, ci; approvers alice");
    expect(one).toContain("Decided by these rules of access.yaml:");
    const json = JSON.parse(expectOk(await s.run(["rule", "ls", "--json"])).stdout);
    expect(json.rules.map((r: { match: string; secrets: number }) => [r.match, r.secrets])).toEqual([
      ["production/**", 2],
      ["production/db/*", 1],
    ]);
  });

  it("--commit commits access.yaml alone, with a message that says what changed", async () => {
    const s = await sandbox();
    const git = (...args: string[]) => runTool("git", args, { cwd: s.repo });
    expectOk(await git("add", "-A"));
    expectOk(await git("-c", "user.name=T", "-c", "user.email=t@t.invalid", "commit", "-qm", "start"));
    await s.write("notes.txt", "unrelated, uncommitted\n");
    const r = expectOk(await s.run(["rule", "add", "production/**", "--readers", "platform", "--commit"]));
    expect(r.stdout).toMatch(/^Committed [0-9a-f]{7,}/m);
    const shown = expectOk(await git("show", "--stat", "--format=%s", "HEAD")).stdout;
    expect(shown).toContain('lockstep rule add: "production/**" readers +platform');
    expect(shown).toContain("access.yaml");
    expect(shown).not.toContain("notes.txt");
    expect(expectOk(await git("status", "--porcelain")).stdout.trim()).toBe("?? notes.txt");
  });
});
