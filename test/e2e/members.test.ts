/**
 * Members through the built CLI: `member ls`, `member add` telling (and with
 * --rekey doing) the rekey a new reader needs, access.yaml edits that leave
 * untouched lines byte for byte, a rekey by a key that reads only part of
 * the repository, and commands that advise what works (status and promote
 * after a rollback, check's fix for an exposed version).
 */
import { describe, expect, it, vi } from "vitest";
import { expectError, expectOk, requireBuiltCli, sandboxPerTest, setValue } from "./helpers.js";

requireBuiltCli();
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** Rules where ci reads staging only, and platform (alice) reads everything. */
const SPLIT_RULES = `rules:
  - match: "staging/**"
    readers: [platform, ci]
    approvers: [platform]
  - match: "production/**"
    readers: [platform]
    approvers: [platform]
`;

const makeSandbox = sandboxPerTest();
const sandbox = (rules?: string) => makeSandbox(rules === undefined ? {} : { rules });
const set = setValue;

interface MembersJson {
  members: {
    name: string;
    recipients: string[];
    groups: string[];
    reads: string[];
    approves: string[];
    secrets: string[];
    awaitingRekey: string[];
  }[];
  groups: { name: string; members: string[] }[];
}

describe("member ls", () => {
  it("lists members, groups, keys and what each reads, as a table and as JSON", async () => {
    const s = await sandbox();
    await set(s, "staging/db/password", "s3cret");
    await set(s, "production/db/password", "pr0d");
    const json: MembersJson = JSON.parse(expectOk(await s.run(["member", "ls", "--json"])).stdout);
    const alice = json.members.find((m) => m.name === "alice");
    expect(alice).toMatchObject({
      recipients: [s.keys.alice.recipient],
      groups: ["platform"],
      reads: ["staging/**", "production/**"],
      approves: ["staging/**", "production/**"],
      secrets: ["production/db/password", "staging/db/password"],
      awaitingRekey: [],
    });
    expect(json.members.find((m) => m.name === "bob")).toMatchObject({ groups: [], reads: [], secrets: [] });
    expect(json.groups).toEqual([{ name: "platform", members: ["alice"] }]);

    const text = expectOk(await s.run(["member", "ls"])).stdout;
    expect(text).toMatch(/^MEMBER\s+GROUPS\s+KEYS\s+READS\s+SECRETS$/m);
    expect(text).toMatch(/^alice\s+platform\s+age1\S+…\S+\s+staging\/\*\*, production\/\*\*\s+2$/m);
    expect(text).toMatch(/^bob\s+-\s+age1\S+\s+-\s+0$/m);
    expect(text).toMatch(/^platform\s+alice$/m);
  });
});

describe("member add", () => {
  it("changes only the lines it means to: readers: [platform] stays as written in every rule", async () => {
    const s = await sandbox();
    const before = await s.read("access.yaml");
    expect(before).toContain("    readers: [platform, ci]\n");
    expectOk(await s.run(["member", "add", "bob", "--key", s.keys.bob.recipient, "--group", "platform"]));
    const after = await s.read("access.yaml");
    const changed = after.split("\n").filter((l) => !before.split("\n").includes(l));
    const gone = before.split("\n").filter((l) => !after.split("\n").includes(l));
    expect(gone).toEqual(["  platform: [ alice ]"]);
    expect(changed).toEqual(["  platform: [ alice, bob ]"]);
    expect(after.match(/readers: \[platform, ci\]/g)).toHaveLength(2);
  });

  it("says that the secrets a new reader reads need a rekey; it cannot read them until then", async () => {
    const s = await sandbox();
    await set(s, "staging/a", "one");
    await set(s, "production/b", "two");
    const r = expectOk(await s.run(["member", "add", "bob", "--key", s.keys.bob.recipient, "--group", "platform"]));
    expect(r.stdout).toContain("bob reads 2 existing secrets not yet encrypted to its key (production/b, staging/a)");
    expect(r.stdout).toContain("Run `lockstep rekey` (or add --rekey)");
    expectError(await s.as("bob", ["get", "staging/a"]), 3);
    const ls: MembersJson = JSON.parse(expectOk(await s.run(["member", "ls", "--json"])).stdout);
    expect(ls.members.find((m) => m.name === "bob")?.awaitingRekey).toEqual(["production/b", "staging/a"]);
  });

  it("--rekey re-encrypts them at once with a reader's key, and the new member reads them", async () => {
    const s = await sandbox();
    await set(s, "staging/a", "one");
    await set(s, "production/b", "two");
    const r = expectOk(
      await s.as("alice", ["member", "add", "bob", "--key", s.keys.bob.recipient, "--group", "platform", "--rekey"]),
    );
    expect(r.stdout).toMatch(/rekeyed\s+production\/b\s+versions 1/);
    expect(r.stdout).toMatch(/rekeyed\s+staging\/a\s+versions 1/);
    expect(expectOk(await s.as("bob", ["get", "staging/a"])).stdout).toBe("one");
    expect(expectOk(await s.as("bob", ["get", "production/b"])).stdout).toBe("two");
  });

  it("--rekey without a key that opens them adds the member, leaves the secrets, and exits 3 naming who can", async () => {
    const s = await sandbox();
    await set(s, "staging/a", "one");
    const before = await s.read("secrets/staging/a.yaml");
    const r = await s.run(["member", "add", "bob", "--key", s.keys.bob.recipient, "--group", "platform", "--rekey"]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain("Updated member bob (groups: platform)");
    expect(r.stdout).toMatch(/staging\/a\s+version 1\s+can rekey: alice, ci/);
    expect(await s.read("secrets/staging/a.yaml")).toBe(before);
  });
});

describe("rekey with a key that reads only part of the repository", () => {
  it("re-encrypts what it can read, writes nothing it cannot, lists the rest with who can rekey it (exit 3)", async () => {
    const s = await sandbox(SPLIT_RULES);
    await set(s, "staging/a", "one");
    await set(s, "production/b", "two");
    expectOk(await s.run(["member", "add", "bob", "--key", s.keys.bob.recipient, "--group", "platform"]));
    const production = await s.read("secrets/production/b.yaml");
    const r = await s.as("ci", ["rekey"]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/rekeyed\s+staging\/a\s+versions 1/);
    expect(r.stdout).toMatch(/production\/b\s+version 1\s+can rekey: alice/);
    expect(r.stdout).toContain("nothing was written to them");
    expect(await s.read("secrets/production/b.yaml")).toBe(production);
    expect(expectOk(await s.as("bob", ["get", "staging/a"])).stdout).toBe("one");
    // Whoever can finishes it: exit 0, nothing left.
    const done = expectOk(await s.as("alice", ["rekey"]));
    expect(done.stdout).toMatch(/rekeyed\s+production\/b\s+versions 1/);
    expect(done.stdout).not.toContain("Not rekeyed");
    expect(expectOk(await s.as("bob", ["get", "production/b"])).stdout).toBe("two");
    expectOk(await s.run(["check"]));
  });
});

describe("commands agree and advise what works", () => {
  it("after a rollback, status and promote both say how to release the pending version", async () => {
    const s = await sandbox();
    const id = "production/api/token";
    await set(s, id, "v1");
    await set(s, id, "v2");
    expectOk(await s.run(["promote", id]));
    expectOk(await s.run(["rollback", id]));
    const advice = `release it with \`lockstep promote ${id} --stage canary\``;
    const status = expectOk(await s.run(["status", "production"])).stdout;
    expect(status).toContain(`${id}: v2 is pending at every stage: ${advice}`);
    const promote = expectOk(await s.run(["promote", id])).stdout;
    expect(promote).toContain("Nothing to promote");
    expect(promote).toContain(`${id}: version 2 is pending (no stage points at it): ${advice}`);
    // The advice works.
    expect(expectOk(await s.run(["promote", id, "--stage", "canary"])).stdout).toMatch(/canary 1 -> 2/);
  });

  it("check's fix for an exposed version names rotate only for a secret that can generate its value", async () => {
    const s = await sandbox();
    await set(s, "staging/typed", "by hand");
    expectOk(await s.run(["set", "staging/generated", "--generate", "password:20"]));
    expectOk(
      await s.as("alice", ["member", "add", "bob", "--key", s.keys.bob.recipient, "--group", "platform", "--rekey"]),
    );
    expectOk(await s.run(["member", "rm", "bob"]));
    expectOk(await s.as("alice", ["rekey"]));
    const check = await s.run(["check", "--format", "json"]);
    expect(check.code).toBe(1);
    const findings: { code: string; id?: string; fix?: string }[] = JSON.parse(check.stdout).findings;
    const fixOf = (id: string) => findings.find((f) => f.code === "exposed-to-former-reader" && f.id === id)?.fix;
    expect(fixOf("staging/generated")).toMatch(/^lockstep rotate staging\/generated/);
    expect(fixOf("staging/typed")).toMatch(/^lockstep edit staging\/typed \(or lockstep set staging\/typed\)/);
    expect(fixOf("staging/typed")).not.toContain("rotate");
  });
});
