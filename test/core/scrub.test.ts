import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SCRUBBED, scrubber, secretForms } from "../../src/core/scrub.js";

describe("scrubbing", () => {
  it("replaces a value, its lines, and its JSON and URL-encoded forms", () => {
    const multi = "line-one-secret\nline-two-secret";
    const scrub = scrubber([multi, 'pa"ss/word?']);
    expect(scrub(`got ${multi} and line-two-secret`)).toBe("got *** and ***");
    expect(scrub(`{"v":"pa\\"ss/word?"} url=${encodeURIComponent('pa"ss/word?')}`)).toBe('{"v":"***"} url=***');
  });

  it("replaces the strings inside a JSON value, but leaves host, port, user and database readable", () => {
    const value = JSON.stringify({
      username: "app_user",
      password: "test-only-pw-123",
      host: "db.internal",
      port: 5432,
    });
    const scrub = scrubber([value]);
    expect(scrub("login app_user@db.internal with test-only-pw-123 failed")).toBe(
      "login app_user@db.internal with *** failed",
    );
    expect(secretForms(value)).not.toContain("app_user");
  });

  it("leaves no part of any value behind (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 3 }),
        fc.string(),
        fc.string(),
        (values, before, after) => {
          // `*` would make the replacement itself look like a value.
          fc.pre(values.every((v) => !v.includes("*")));
          const text = `${before}${values.join(" ")}${after}`;
          const out = scrubber(values)(text);
          for (const v of values) expect(out.includes(v)).toBe(false);
          expect(out).toContain(SCRUBBED);
        },
      ),
    );
  });
});
