/** Which deploy jobs `init --github` writes, and the names of their environments and secrets. */
import { describe, expect, it } from "vitest";
import { ciReadersOf, deployPlan, isCiMember, keySecretName } from "../../src/core/deploy-plan.js";
import type { AccessConfig, ProjectConfig } from "../../src/core/model.js";

const member = { recipients: ["age1x"] };
const config: ProjectConfig = {
  environments: {
    staging: { stages: [{ name: "stable" }] },
    production: { stages: [{ name: "canary", consumers: ["api-canary"] }, { name: "stable" }] },
  },
};

describe("deployPlan", () => {
  it("CI members are ci and ci-*; their secrets are LOCKSTEP_AGE_KEY_ and the name in capitals", () => {
    expect(["ci", "ci-prod", "circle", "alice", "x-ci"].filter(isCiMember)).toEqual(["ci", "ci-prod"]);
    expect(keySecretName("ci-production.eu")).toBe("LOCKSTEP_AGE_KEY_CI_PRODUCTION_EU");
  });

  it("a job per stage an environment's CI member reads; stages of an environment without one are skipped", () => {
    const access: AccessConfig = {
      members: { alice: member, "ci-production": member },
      groups: { deployers: ["ci-production"] },
      rules: [
        { match: "production/**", readers: ["alice", "deployers"] },
        { match: "staging/**", readers: ["alice"] },
      ],
    };
    const plan = deployPlan(config, access, {});
    expect(plan.jobs.map((j) => [j.name, j.member, j.secret, j.consumers])).toEqual([
      ["production-canary", "ci-production", "LOCKSTEP_AGE_KEY_CI_PRODUCTION", ["api-canary"]],
      ["production-stable", "ci-production", "LOCKSTEP_AGE_KEY_CI_PRODUCTION", []],
    ]);
    expect(plan.skipped).toEqual([{ env: "staging", stage: "stable", reason: expect.stringContaining("staging") }]);
  });

  it("with secrets, a CI member must read every one of them; the most specific member wins", () => {
    const access: AccessConfig = {
      members: { ci: member, "ci-production": member, "ci-production-canary": member },
      rules: [
        { match: "**", readers: ["ci"] },
        { match: "production/db/*", readers: ["ci-production", "ci-production-canary"] },
        { match: "production/admin/*", readers: ["ci-production-canary"] },
      ],
    };
    const ids = { production: ["production/db/password", "production/admin/token"] };
    // ci-production does not read production/admin/token
    expect(ciReadersOf(access, "production", ids.production)).toEqual(["ci", "ci-production-canary"]);
    const plan = deployPlan(config, access, ids);
    expect(plan.jobs.map((j) => [j.name, j.member])).toEqual([
      ["staging-stable", "ci"],
      ["production-canary", "ci-production-canary"],
      ["production-stable", "ci"],
    ]);
  });
});
