/** member add and member rm: edits of access.yaml that keep it as a person wrote it. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/crypto/index.js";
import { addMember } from "../../src/ops/add-member.js";
import { removeMember } from "../../src/ops/remove-member.js";
import { type Sandbox, sandbox } from "./support.js";

describe("add-member and remove-member", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await sandbox();
  });
  afterAll(() => s.cleanup());

  it("adds a member to a new group and an existing one, keeps the comments, and the session sees it", async () => {
    const before = await s.read("access.yaml");
    const session = await s.open();
    const key = (await generateKey(false)).recipient;
    const result = await addMember(session, {
      name: "carol",
      keys: [key],
      github: "carol-gh",
      groups: ["platform", "oncall"],
    });
    expect(result).toEqual({
      name: "carol",
      created: true,
      addedKeys: [key],
      groups: ["platform", "oncall"],
      needsRekey: [],
    });
    const text = await s.read("access.yaml");
    expect(text.startsWith("# who reads what\n")).toBe(true);
    // New lines follow the file's own style of flow lists ([a], not [ a ]).
    expect(text).toContain(`carol:\n    recipients: [${key}]\n    github: carol-gh`);
    expect(text).toContain("platform: [alice, carol]");
    expect(text).toContain("oncall: [carol]");
    // Every line the edit did not mean to change is as it was, byte for byte.
    const kept = before.split("\n").filter((l) => l !== "  platform: [alice]");
    const after = text.split("\n");
    for (const line of kept) expect(after).toContain(line);
    expect(text).toContain("    readers: [platform, ci-production]\n");
    expect(session.access.groups?.oncall).toEqual(["carol"]);
  });

  it("adds keys to an existing member; the same again changes nothing", async () => {
    const session = await s.open();
    const extra = (await generateKey(false)).recipient;
    expect(await addMember(session, { name: "carol", keys: [extra] })).toMatchObject({
      created: false,
      addedKeys: [extra],
      groups: [],
    });
    expect(await addMember(session, { name: "carol", keys: [extra], groups: ["oncall"] })).toMatchObject({
      addedKeys: [],
      groups: [],
    });
    expect(session.access.members.carol?.recipients).toHaveLength(2);
  });

  it("refuses bad names and keys, and names that a group or member holds, writing nothing", async () => {
    const session = await s.open();
    const before = await s.read("access.yaml");
    const key = s.recipients.bob as string;
    await expect(addMember(session, { name: "no spaces", keys: [key] })).rejects.toMatchObject({ code: "USAGE" });
    await expect(addMember(session, { name: "dave", keys: ["age1nope"] })).rejects.toMatchObject({
      code: "INVALID_KEY",
    });
    await expect(addMember(session, { name: "platform", keys: [key] })).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
    });
    const fresh = (await generateKey(false)).recipient;
    await expect(addMember(session, { name: "dave", keys: [fresh], groups: ["bob"] })).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
      message: 'access.yaml: "bob" is a member, not a group',
    });
    // bob's key for dave: a key belongs to one member.
    await expect(addMember(session, { name: "dave", keys: [key] })).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
      message: "access.yaml: member bob already holds this key",
    });
    expect(await s.read("access.yaml")).toBe(before);
  });

  it("removes a member from the members, its groups and rules, and says where from", async () => {
    const session = await s.open();
    const access = await s.read("access.yaml");
    await s.write("access.yaml", access.replace(/approvers: \[ ?platform ?\]/, "approvers: [platform, carol]"));
    expect(await s.read("access.yaml")).toContain("[platform, carol]");
    expect(await removeMember(session, { name: "carol" })).toEqual({
      name: "carol",
      removedFrom: ["groups.platform", "groups.oncall", "rules[0].approvers"],
    });
    const text = await s.read("access.yaml");
    expect(text).not.toContain("carol");
    expect(text.startsWith("# who reads what\n")).toBe(true);
    expect(session.access.members.carol).toBeUndefined();
    await expect(removeMember(session, { name: "carol" })).rejects.toMatchObject({ code: "UNKNOWN_MEMBER" });
  });
});
