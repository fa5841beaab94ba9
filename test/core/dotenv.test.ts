import dotenv from "dotenv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDotenv } from "../../src/core/dotenv.js";
import type { LockstepError } from "../../src/errors.js";

const parse = (text: string) => Object.fromEntries(parseDotenv(text, ".env").map((e) => [e.key, e.value]));

describe("parseDotenv", () => {
  it("reads the forms dotenv tools accept", () => {
    const text = [
      "# a comment",
      "",
      "PLAIN=value",
      "export EXPORTED=yes",
      "SPACED = padded value   ",
      "INLINE=abc # trailing comment",
      "HASH=abc#not-a-comment",
      "SINGLE='literal $HOME \\n'",
      'DOUBLE="line1\\nline2\\t\\"q\\" \\\\ \\$x"',
      'MULTI="first',
      "second",
      'third"',
      'BACKTICK=`it\'s "both"`',
      "EMPTY=",
      'EMPTY_QUOTED=""',
      "CRLF=ok\r",
    ].join("\n");
    expect(parse(text)).toEqual({
      PLAIN: "value",
      EXPORTED: "yes",
      SPACED: "padded value",
      INLINE: "abc",
      HASH: "abc#not-a-comment",
      SINGLE: "literal $HOME \\n",
      DOUBLE: 'line1\nline2\t"q" \\ $x',
      MULTI: "first\nsecond\nthird",
      BACKTICK: `it's "both"`,
      EMPTY: "",
      EMPTY_QUOTED: "",
      CRLF: "ok",
    });
  });

  it("records the line each entry starts on", () => {
    const entries = parseDotenv('A=1\nB="x\ny"\n\nC=3\n', ".env");
    expect(entries.map((e) => [e.key, e.line])).toEqual([
      ["A", 1],
      ["B", 2],
      ["C", 5],
    ]);
  });

  it.each([
    ["no equals sign", "JUSTAKEY\n", 1],
    ["unclosed quote", 'A=1\nB="never closed\n', 2],
    ["text after a quoted value", "A='x' y\n", 1],
    ["bad key", "1ABC=x\n", 1],
  ])("refuses %s, naming the line", (_what, text, line) => {
    try {
      parseDotenv(text, "app.env");
      expect.unreachable();
    } catch (e) {
      expect((e as LockstepError).code).toBe("INVALID_VALUE");
      expect((e as LockstepError).line).toBe(line);
      expect((e as LockstepError).message).toContain(`app.env:${line}`);
    }
  });

  it("agrees with the dotenv package on values it reads the same way", () => {
    // dotenv (npm) reads single quotes literally and double quotes with \n; those are the shared ground.
    const value = fc.stringMatching(/^[A-Za-z0-9 _.,:;!@%^&*()+=\-/\n]{0,40}$/);
    fc.assert(
      fc.property(value, value, (a, b) => {
        const text = `A='${a.replace(/\n/g, " ")}'\nB="${b}"\n`;
        expect(parse(text)).toEqual(dotenv.parse(text));
      }),
    );
  });

  it("reads back any value written double-quoted with escapes", () => {
    const escapeValue = (v: string) =>
      v
        .replace(/[\\"$]/g, "\\$&")
        .replace(/\n/g, "\\n")
        .replace(/\r/g, "\\r")
        .replace(/\t/g, "\\t");
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), fc.string({ unit: "grapheme" })),
        (vars) => {
          const text = Object.entries(vars)
            .map(([k, v]) => `${k}="${escapeValue(v)}"`)
            .join("\n");
          expect(parse(text)).toEqual(vars);
        },
      ),
    );
  });
});
