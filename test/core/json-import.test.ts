import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJsonImport } from "../../src/core/json-import.js";
import type { LockstepError } from "../../src/errors.js";

function refusal(text: string): LockstepError {
  try {
    parseJsonImport(text, "in.json");
  } catch (e) {
    expect((e as LockstepError).code).toBe("INVALID_VALUE");
    return e as LockstepError;
  }
  throw new Error("expected a refusal");
}

describe("parseJsonImport", () => {
  it("keeps numbers exactly as written (JSON.parse loses both of the issue's)", () => {
    const text = '{"BIG": 123456789012345678901, "VERSION": 1.10, "PORT": 8080, "EXP": 1E+400, "NEG": -0}';
    expect(parseJsonImport(text, "in.json")).toEqual([
      { key: "BIG", value: "123456789012345678901", type: "json" },
      { key: "VERSION", value: "1.10", type: "json" },
      { key: "PORT", value: "8080", type: "json" },
      { key: "EXP", value: "1E+400", type: "json" },
      { key: "NEG", value: "-0", type: "json" },
    ]);
    expect(String(JSON.parse("123456789012345678901"))).not.toBe("123456789012345678901");
  });

  it("keeps numbers inside objects and arrays, as compact JSON that parses to the same data", () => {
    const [entry] = parseJsonImport(
      '{"LIMITS": {\n  "rps": 1.10,\n  "ids": [123456789012345678901, true, null, "x"]\n}}',
      "in.json",
    );
    expect(entry).toEqual({
      key: "LIMITS",
      value: '{"rps":1.10,"ids":[123456789012345678901,true,null,"x"]}',
      type: "json",
    });
  });

  it("reads strings as strings, exactly", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/), fc.string({ unit: "grapheme" })), (d) => {
        const out = parseJsonImport(JSON.stringify(d), "in.json");
        expect(Object.fromEntries(out.map((e) => [e.key, e.value]))).toEqual(d);
        expect(out.every((e) => e.type === "string")).toBe(true);
      }),
    );
  });

  it("keeps booleans, null and structures as their JSON", () => {
    const out = parseJsonImport('{"A": true, "B": null, "C": [], "D": {}}', "in.json");
    expect(out.map((e) => [e.value, e.type])).toEqual([
      ["true", "json"],
      ["null", "json"],
      ["[]", "json"],
      ["{}", "json"],
    ]);
  });

  it("refuses what is no JSON object, naming the line", () => {
    expect(refusal('{\n  "A": 1,\n  "B": \n}').line).toBe(4);
    refusal("[1, 2]");
    refusal('"text"');
    refusal("42");
    refusal("null");
    refusal('{"A": 1,}');
    for (const text of ['{"A": 1.2s3cr3t}', '{"A": "\\q"}', '{"A": "x" "s3cr3t": 1}']) {
      const e = refusal(text);
      expect(e.message).not.toMatch(/'[.qs]'|'\\q'/);
    }
  });

  it("refuses a key given twice with different values, and a lone surrogate", () => {
    expect(refusal('{"A": "1", "A": "2"}').message).toContain("Duplicate key");
    const e = refusal('{"A": "s3cr3t\\ud800"}');
    expect(e.message).toContain("lone surrogate");
    expect(`${e.message} ${e.fix}`).not.toContain("s3cr3t");
  });
});
