import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { globMatches } from "../../src/core/glob.js";

describe("globMatches", () => {
  it.each([
    ["production/**", "production/db/password", true],
    ["production/**", "production/x", true],
    ["production/**", "staging/db/password", false],
    ["production/*", "production/db/password", false],
    ["production/*", "production/token", true],
    ["*/db/*", "staging/db/password", true],
    ["**/password", "production/db/password", true],
    ["production/**/password", "production/password", true],
    ["production/**/password", "production/a/b/password", true],
    ["production/db/pass?ord", "production/db/password", true],
    ["production/db.x", "production/dbax", false],
    ["production/db/password", "production/db/password", true],
  ])("%s against %s is %s", (glob, id, expected) => {
    expect(globMatches(glob, id)).toBe(expected);
  });

  it("an id always matches itself and its environment's **", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 2, maxLength: 5 }), (segments) => {
        const id = segments.join("/");
        expect(globMatches(id, id)).toBe(true);
        expect(globMatches(`${segments[0]}/**`, id)).toBe(true);
        expect(globMatches("*", id)).toBe(false);
      }),
    );
  });
});
