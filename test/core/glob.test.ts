import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { globMatches } from "../../src/core/glob.js";
import { isSecretId } from "../../src/core/ids.js";

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

  it("a glob with a dozen ** segments is matched in bounded time, matching or not", () => {
    // Compiled to a regular expression, this backtracked for minutes on the id below.
    const many = `production/${Array.from({ length: 12 }, () => "**/a").join("/")}/zz`;
    const id = `production/${Array.from({ length: 60 }, () => "a").join("/")}`;
    expect(globMatches(many, id)).toBe(false);
    expect(globMatches(many, `${id}/zz`)).toBe(true);
    expect(globMatches(`production/${"**/".repeat(40)}x`, `${id}/x`)).toBe(true);
  });

  it("an id always matches itself and its environment's **", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/);
    const ids = fc.array(segment, { minLength: 2, maxLength: 5 }).filter((s) => isSecretId(s.join("/")));
    fc.assert(
      fc.property(ids, (segments) => {
        const id = segments.join("/");
        expect(globMatches(id, id)).toBe(true);
        expect(globMatches(`${segments[0]}/**`, id)).toBe(true);
        expect(globMatches("*", id)).toBe(false);
      }),
    );
  });
});
