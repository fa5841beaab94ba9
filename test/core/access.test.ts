import { describe, expect, it } from "vitest";
import { approversOf, expandNames, readersOf, recipientsFor, sameRecipients } from "../../src/core/access.js";
import type { AccessConfig } from "../../src/core/model.js";
import { LockstepError } from "../../src/errors.js";

const access: AccessConfig = {
  members: {
    alice: { recipients: ["age1alice", "age1alice2"] },
    bob: { recipients: ["age1bob"] },
    carol: { recipients: ["age1carol"] },
    "ci-production": { recipients: ["age1ci"] },
  },
  groups: { platform: ["alice", "bob"], everyone: ["platform", "carol"], loop: ["loop", "carol"] },
  rules: [
    { match: "production/**", readers: ["platform", "ci-production"], approvers: ["platform"] },
    { match: "production/db/*", readers: ["carol"], approvers: ["carol"] },
    { match: "staging/**", readers: ["everyone"] },
  ],
};

describe("access", () => {
  it("readers are the union of every matching rule, groups expanded, sorted", () => {
    expect(readersOf(access, "production/db/password")).toEqual(["alice", "bob", "carol", "ci-production"]);
    expect(readersOf(access, "production/api/token")).toEqual(["alice", "bob", "ci-production"]);
    expect(readersOf(access, "staging/x")).toEqual(["alice", "bob", "carol"]);
    expect(readersOf(access, "dev/x")).toEqual([]);
  });

  it("approvers likewise", () => {
    expect(approversOf(access, "production/db/password")).toEqual(["alice", "bob", "carol"]);
    expect(approversOf(access, "staging/x")).toEqual([]);
  });

  it("a group that contains itself is expanded once, not forever", () => {
    expect(expandNames(access, ["loop"])).toEqual(["carol"]);
  });

  it("reports names that are neither members nor groups", () => {
    const unknown: { name: string; where: string }[] = [];
    expandNames({ ...access, groups: { g: ["alice", "ghost"] } }, ["g", "nobody"], unknown, "rules[0].readers");
    expect(unknown).toEqual([
      { name: "ghost", where: "groups.g" },
      { name: "nobody", where: "rules[0].readers" },
    ]);
  });

  it("recipients are in member order, each member's keys in access.yaml order", () => {
    expect(recipientsFor(access, "production/api/token")).toEqual([
      { member: "alice", key: "age1alice" },
      { member: "alice", key: "age1alice2" },
      { member: "bob", key: "age1bob" },
      { member: "ci-production", key: "age1ci" },
    ]);
  });

  it("a secret without readers cannot be written", () => {
    expect(() => recipientsFor(access, "dev/x")).toThrow(LockstepError);
    try {
      recipientsFor(access, "dev/x");
    } catch (e) {
      expect((e as LockstepError).code).toBe("NO_READERS");
      expect((e as LockstepError).file).toBe("access.yaml");
    }
  });

  it("sameRecipients ignores order but not membership", () => {
    const a = [
      { member: "alice", key: "k1" },
      { member: "bob", key: "k2" },
    ];
    expect(sameRecipients(a, [...a].reverse())).toBe(true);
    expect(sameRecipients(a, a.slice(1))).toBe(false);
    expect(sameRecipients(a, [a[0]!, { member: "bob", key: "k3" }])).toBe(false);
  });
});
