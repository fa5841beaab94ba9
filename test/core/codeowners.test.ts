import { describe, expect, it } from "vitest";
import { CODEOWNERS_FILE, renderCodeowners } from "../../src/core/codeowners.js";
import type { AccessConfig } from "../../src/core/model.js";

const HEADER = [
  "# Written by `lockstep codeowners --write` from access.yaml; do not edit by hand.",
  "# Changes to a secret need the review of its approvers.",
  "",
];

/** alice and bob have GitHub handles; carol and the CI job do not. */
const access: AccessConfig = {
  members: {
    alice: { recipients: ["age1alice"], github: "alice-gh" },
    bob: { recipients: ["age1bob"], github: "bob-gh" },
    carol: { recipients: ["age1carol"] },
    ci: { recipients: ["age1ci"] },
  },
  groups: { platform: ["alice", "carol"], dba: ["bob"], everyone: ["platform", "dba"] },
  rules: [
    { match: "production/**", readers: ["platform", "ci"], approvers: ["platform"] },
    { match: "production/db/*", readers: ["dba"], approvers: ["dba", "carol"] },
    { match: "production/payments/stripe", readers: ["ci"], approvers: ["everyone"] },
    { match: "staging/**", readers: ["everyone", "ci"] },
    { match: "sandbox/**", readers: ["carol"], approvers: ["carol"] },
  ],
};

const lines = (text: string) => text.split("\n");

describe("renderCodeowners", () => {
  it("writes rule lines, then one line per secret with the union of its approvers, then the admin files", () => {
    const text = renderCodeowners(access, [
      "production/api/key",
      "production/db/password",
      "production/payments/stripe",
      "staging/api/key",
      "sandbox/x",
    ]);
    expect(text.endsWith("\n")).toBe(true);
    expect(lines(text)).toEqual([
      ...HEADER,
      // Rules, in access.yaml order; a glob as is, an exact id as its manifest.
      "/secrets/production/** @alice-gh",
      "/secrets/production/db/* @bob-gh",
      "/secrets/production/payments/stripe.yaml @alice-gh @bob-gh",
      // No line for staging/** (no approvers) or sandbox/** (carol has no handle).
      // Per secret: the union over every matching rule, in member order.
      "/secrets/production/api/key.yaml @alice-gh",
      "/secrets/production/db/password.yaml @alice-gh @bob-gh",
      "/secrets/production/payments/stripe.yaml @alice-gh @bob-gh",
      // Without an admins group: the approvers of all rules.
      "/lockstep.yaml @alice-gh @bob-gh",
      "/access.yaml @alice-gh @bob-gh",
      `/${CODEOWNERS_FILE} @alice-gh @bob-gh`,
      "",
    ]);
  });

  it("puts the last matching line per secret after the rule lines, so CODEOWNERS' last-match-wins gives the union", () => {
    const out = lines(renderCodeowners(access, ["production/db/password"]));
    const rule = out.indexOf("/secrets/production/db/* @bob-gh");
    const secret = out.indexOf("/secrets/production/db/password.yaml @alice-gh @bob-gh");
    expect(rule).toBeGreaterThan(-1);
    expect(secret).toBeGreaterThan(rule);
  });

  it("skips members without a GitHub handle, and a secret whose approvers have none", () => {
    const out = renderCodeowners(access, ["sandbox/x", "staging/api/key"]);
    expect(out).not.toContain("sandbox/x");
    expect(out).not.toContain("staging/api/key");
    expect(out).not.toMatch(/@carol|@ci\b|@undefined/);
  });

  it("uses the admins group for lockstep.yaml, access.yaml and CODEOWNERS itself", () => {
    const withAdmins: AccessConfig = {
      ...access,
      members: { ...access.members, root: { recipients: ["age1root"], github: "root-gh" } },
      groups: { ...access.groups, admins: ["root", "carol"] },
    };
    const out = lines(renderCodeowners(withAdmins, ["production/api/key"]));
    expect(out.slice(-4)).toEqual([
      "/lockstep.yaml @root-gh",
      "/access.yaml @root-gh",
      `/${CODEOWNERS_FILE} @root-gh`,
      "",
    ]);
    // Admins do not become approvers of secrets.
    expect(out).toContain("/secrets/production/api/key.yaml @alice-gh");
  });

  it("expands nested groups in admins", () => {
    const nested: AccessConfig = { ...access, groups: { ...access.groups, admins: ["everyone"] } };
    expect(lines(renderCodeowners(nested, []))).toContain("/access.yaml @alice-gh @bob-gh");
  });

  it("writes no admin lines when no admin has a handle", () => {
    const noHandles: AccessConfig = { ...access, groups: { ...access.groups, admins: ["carol", "ci"] } };
    const out = renderCodeowners(noHandles, []);
    expect(out).not.toContain("/lockstep.yaml");
    expect(out).not.toContain("/access.yaml");
    expect(out).not.toContain(CODEOWNERS_FILE);
  });

  it("is only the header for an access.yaml without rules", () => {
    const bare: AccessConfig = { members: { alice: { recipients: ["age1alice"], github: "alice-gh" } } };
    expect(renderCodeowners(bare, ["production/x"])).toBe(`${HEADER.join("\n")}\n`);
  });

  it("is deterministic", () => {
    const ids = ["production/db/password", "production/api/key"];
    expect(renderCodeowners(access, ids)).toBe(renderCodeowners(access, ids));
  });
});
