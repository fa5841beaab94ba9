/** check, diff, audit, exposure and codeowners: what the repository and its history say, never a value. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/crypto/index.js";
import { addMember } from "../../src/ops/add-member.js";
import { auditEvents, parseEventKinds } from "../../src/ops/audit.js";
import { checkRepository } from "../../src/ops/check.js";
import { codeowners } from "../../src/ops/codeowners.js";
import { diffRepository } from "../../src/ops/diff.js";
import { exposure } from "../../src/ops/exposure.js";
import { removeMember } from "../../src/ops/remove-member.js";
import { setSecret } from "../../src/ops/set.js";
import { type Sandbox, sandbox } from "./support.js";

describe("check, diff, audit, exposure, codeowners", () => {
  let s: Sandbox;
  const id = "production/db/password";
  beforeAll(async () => {
    s = await sandbox();
  });
  afterAll(() => s.cleanup());

  it("before the first commit: no history, and diff compares with nothing", async () => {
    const session = await s.open();
    await setSecret(session, { id, value: "v1" });
    expect(await auditEvents(session)).toEqual({ empty: true, shallow: false, events: [] });
    const diff = await diffRepository(session);
    expect(diff.rev).toBe("HEAD");
    expect(diff.secrets).toMatchObject([{ id, kind: "created", versionsAdded: [1] }]);
    await s.git("add", "-A");
    await s.git("commit", "-qm", "first");
  });

  it("check of a clean repository finds nothing; of a broken access.yaml, a finding with its line", async () => {
    expect(await checkRepository(await s.open(), {})).toEqual({ findings: [], secrets: 1, undecrypted: 0 });
    const access = await s.read("access.yaml");
    await s.write("access.yaml", access.replace("  platform: [alice]", "  platform: [alice]\n  colour: red"));
    try {
      await expect(s.open()).rejects.toMatchObject({ code: "SCHEMA_INVALID" });
      const report = await checkRepository(await s.open("alice", { strict: false }));
      expect(report.findings).toMatchObject([{ code: "schema-invalid", file: "access.yaml", line: 12 }]);
    } finally {
      await s.write("access.yaml", access);
    }
  });

  it("check --decrypt opens every live version with the session's identities", async () => {
    expect(await checkRepository(await s.open("ci-production"), { decrypt: true })).toMatchObject({
      findings: [],
      undecrypted: 0,
    });
    expect(await checkRepository(await s.open("bob"), { decrypt: true })).toMatchObject({ undecrypted: 1 });
  });

  it("diff: a revision that does not exist is a usage error; other revisions compare", async () => {
    const session = await s.open();
    await expect(diffRepository(session, { rev: "no-such-rev" })).rejects.toMatchObject({
      code: "USAGE",
      message: 'unknown revision "no-such-rev"',
    });
    await setSecret(session, { id, value: "v2" });
    const diff = await diffRepository(session, { rev: "HEAD" });
    expect(diff.secrets).toMatchObject([{ id, kind: "changed", versionsAdded: [2] }]);
    expect(JSON.stringify(diff)).not.toContain("v2");
    await s.git("commit", "-qam", "second");
  });

  it("audit: events newest first, filtered by kind; an unknown kind is a usage error", async () => {
    const session = await s.open();
    const all = await auditEvents(session);
    expect(all.events.map((e) => [e.kind, e.id, e.versions])).toEqual([
      ["rotated", id, [2]],
      // The first commit also brought access.yaml and lockstep.yaml.
      ["access-changed", undefined, undefined],
      ["access-changed", undefined, undefined],
      ["created", id, [1]],
    ]);
    expect(all.events[0]?.author).toMatchObject({ name: "Lockstep Test", email: "test@lockstep.invalid" });
    const created = await auditEvents(session, { kinds: parseEventKinds(["created,deleted"]) });
    expect(created.events.map((e) => e.kind)).toEqual(["created"]);
    expect(() => parseEventKinds(["rotated", "exploded"])).toThrow(/unknown event kind "exploded"/);
  });

  it("exposure: what a member who left could decrypt, and what to rotate", async () => {
    const session = await s.open();
    const key = (await generateKey(false)).recipient;
    await addMember(session, { name: "mallory", keys: [key], groups: ["platform"] });
    await setSecret(session, { id, value: "v3", stages: "all" });
    await s.git("commit", "-qam", "mallory reads");
    await removeMember(session, { name: "mallory" });
    const report = await exposure(session, { member: "mallory" });
    expect(report.versions).toMatchObject([{ id, version: 3, live: true, stages: ["canary", "stable"] }]);
    expect(report.rotate).toEqual([id]);
    expect(report.keys).toContain(key);
  });

  it("codeowners: printed, checked, written, and then up to date", async () => {
    const session = await s.open();
    const printed = await codeowners(session);
    expect(printed.status).toBeUndefined();
    expect(printed.file).toBe(".github/CODEOWNERS");
    expect(printed.text).toContain(`/secrets/${id}.yaml @alice-gh`);
    expect((await codeowners(session, { mode: "check" })).status).toBe("missing");
    expect((await codeowners(session, { mode: "write" })).status).toBe("written");
    expect(await s.read(".github/CODEOWNERS")).toBe(printed.text);
    expect((await codeowners(session, { mode: "check" })).status).toBe("up-to-date");
  });
});
