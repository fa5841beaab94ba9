/** "Did you mean": which existing name a mistyped one is offered. */
import { describe, expect, it } from "vitest";
import { closestName, fixWithSuggestion } from "../../src/core/suggest.js";

describe("closestName", () => {
  const stages = ["canary", "stable"];
  it("finds a name a few edits away, in proportion to its length", () => {
    expect(closestName("stabel", stages)).toBe("stable");
    expect(closestName("canery", stages)).toBe("canary");
    expect(closestName("platfrom", ["platform", "alice", "ci-production"])).toBe("platform");
    expect(closestName("alcie", ["bob", "alice"])).toBe("alice");
    expect(closestName("production/db/pasword", ["production/db/password", "production/api/token"])).toBe(
      "production/db/password",
    );
  });
  it("finds the same name in other letter case", () => {
    expect(closestName("Production", ["staging", "production"])).toBe("production");
  });
  it("finds the one name that a prefix of 3 characters or more begins", () => {
    expect(closestName("prod", ["staging", "production"])).toBe("production");
    expect(closestName("pr", ["staging", "production"])).toBeUndefined();
    expect(closestName("prod", ["production", "product-x"])).toBeUndefined();
  });
  it("offers nothing for a name that exists, or none near enough", () => {
    expect(closestName("stable", stages)).toBeUndefined();
    expect(closestName("qa", ["ci"])).toBeUndefined();
    expect(closestName("bob", ["alice", "platform"])).toBeUndefined();
    expect(closestName("x", [])).toBeUndefined();
  });
  it("puts the suggestion before the rest of a fix", () => {
    expect(fixWithSuggestion("stabel", stages, "stages are: canary, stable")).toBe(
      "did you mean stable? (stages are: canary, stable)",
    );
    expect(fixWithSuggestion("zzz", stages, "stages are: canary, stable")).toBe("stages are: canary, stable");
  });
});
