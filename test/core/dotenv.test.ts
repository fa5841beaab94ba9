/**
 * The import reader gives exactly what npm `dotenv` gives, refusing (with a
 * line number) only what the module documents as deliberate differences.
 */
import dotenv from "dotenv";
import { expand } from "dotenv-expand";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDotenv, readDotenv } from "../../src/core/dotenv.js";
import { dotenvQuote } from "../../src/core/dotenv-quote.js";
import type { LockstepError } from "../../src/errors.js";

const parse = (text: string) => Object.fromEntries(parseDotenv(text, ".env").map((e) => [e.key, e.value]));

function refusal(text: string): LockstepError {
  try {
    parseDotenv(text, "app.env");
  } catch (e) {
    expect((e as LockstepError).code).toBe("INVALID_VALUE");
    return e as LockstepError;
  }
  throw new Error("expected a refusal");
}

describe("parseDotenv reads what npm dotenv reads", () => {
  it("the issue's examples, where the first milestone differed", () => {
    const text = 'A=value# tight\nB="say \\"hi\\""\nC="C:\\\\path"\nD="a\\tb"\n';
    expect(parse(text)).toEqual(dotenv.parse(text));
    expect(parse(text)).toEqual({ A: "value", B: 'say \\"hi\\"', C: "C:\\\\path", D: "a\\tb" });
  });

  it("the forms dotenv documents", () => {
    const text = [
      "# a comment",
      "",
      "PLAIN=value",
      "export EXPORTED=yes",
      "SPACED = padded value   ",
      "INLINE=abc # trailing comment",
      "COLON: yaml style",
      "SINGLE='literal $HOME \\n'",
      'DOUBLE="line1\\nline2 \\r x"',
      'MULTI="first',
      "second",
      'third"',
      'BACKTICK=`it\'s "both"`',
      "EMPTY=",
      'EMPTY_QUOTED=""',
      "CRLF=ok\r",
    ].join("\n");
    const refusalFree = text;
    expect(parse(refusalFree)).toEqual(dotenv.parse(refusalFree));
    expect(parse(refusalFree).MULTI).toBe("first\nsecond\nthird");
  });

  const fragment = fc.constantFrom(
    "a",
    "Z9",
    " ",
    "\t",
    "#",
    "$",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dotenv reference, not a template
    "${X}",
    "=",
    ":",
    "\\",
    "\\n",
    '\\"',
    "'",
    '"',
    "`",
    "\n",
    "\r\n",
    "\r",
    "ü",
    "😀",
    "export ",
  );
  const value = fc.array(fragment, { maxLength: 8 }).map((a) => a.join(""));
  const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,5}$/);

  it("any text it accepts, it reads as dotenv does (keys, values, order)", () => {
    const line = fc.oneof(
      fc.tuple(key, value).map(([k, v]) => `${k}=${v}`),
      fc.tuple(key, value, fc.constantFrom("'", '"', "`")).map(([k, v, q]) => `${k}=${q}${v}${q}`),
      value,
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        const text = lines.join("\n");
        let ours: Record<string, string>;
        try {
          ours = parse(text);
        } catch (e) {
          expect((e as LockstepError).code).toBe("INVALID_VALUE");
          return;
        }
        const theirs = dotenv.parse(text);
        expect(Object.entries(ours)).toEqual(Object.entries(theirs));
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts every well-formed file, reading it as dotenv does", () => {
    // Quoted values without their own quote, and unquoted one-line values: what people write.
    const single = fc.stringMatching(/^[^'\r]{0,12}$/).map((v) => `'${v}'`);
    const double = fc.stringMatching(/^[^"\\\r]{0,12}$/).map((v) => `"${v}"`);
    const bare = fc.stringMatching(/^[^'"`#\s\\][^#\r\n]{0,10}$/);
    const entry = fc.tuple(key, fc.oneof(single, double, bare, fc.constant("")));
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: ([k]) => k, maxLength: 6 }), (entries) => {
        const text = entries.map(([k, v]) => `${k}=${v}`).join("\n");
        expect(Object.entries(parse(text))).toEqual(Object.entries(dotenv.parse(text)));
      }),
      { numRuns: 1000 },
    );
  });

  it("reads back every value lockstep's dotenv export writes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 30 }), (v) => {
        const quoted = dotenvQuote(v);
        fc.pre(quoted !== undefined);
        expect(parse(`A=${quoted}\nB=after\n`)).toEqual({ A: v, B: "after" });
      }),
      { numRuns: 1000 },
    );
  });

  it("records the line each entry starts on", () => {
    const entries = parseDotenv('# c\nA=1\nB="x\ny"\n\nC=3\r\nD=4\n', ".env");
    expect(entries.map((e) => [e.key, e.line])).toEqual([
      ["A", 2],
      ["B", 3],
      ["C", 6],
      ["D", 7],
    ]);
  });
});

describe("deliberate differences: refused with the line, where dotenv guesses", () => {
  it.each([
    ["a line that is no entry (dotenv skips it)", "A=1\nJUSTAKEY\nB=2\n", 2],
    ["a bad key (dotenv skips the line)", "A=1\n1 ABC=x\n", 2],
    ["an unclosed double quote (dotenv keeps the quote)", 'A=1\nB="never closed\nC=3\n', 2],
    ["text after a closing quote", "A='x' y\n", 1],
    ["a value on the line after its key", "A=\n'b'\n", 1],
    ["an = on the line after its key", "A\n=b\n", 1],
    ["a key given twice (dotenv keeps the last)", "A=1\nB=2\nA=3\n", 3],
  ])("%s", (_what, text, line) => {
    const e = refusal(text);
    expect(e.line).toBe(line);
    expect(e.message).toContain(`app.env:${line}`);
  });

  it("never shows a value in a refusal", () => {
    const e = refusal("A='s3cr3t' trailing-s3cr3t\n");
    expect(`${e.message} ${e.fix}`).not.toContain("s3cr3t");
  });
});

describe("references", () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: references are the subject
  const text = "USER=app\nURL=postgres://${USER}@db/${MISSING:-main}\nPRICE='5$'\nPASS=pa$word\nESC=\\$HOME\n";

  it("are kept as written and reported without their text", () => {
    const { entries, warnings } = readDotenv(text, "app.env");
    expect(Object.fromEntries(entries.map((e) => [e.key, e.value]))).toEqual(dotenv.parse(text));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^app\.env:2: URL holds a \$VAR or \$\{VAR\} reference.*--expand/);
    expect(warnings[1]).toMatch(/^app\.env:4: PASS/);
    for (const w of warnings) expect(w).not.toMatch(/postgres|word|MISSING/);
  });

  it("--expand gives what dotenv-expand gives, against the file alone", () => {
    const { entries, warnings } = readDotenv(text, "app.env", { expand: true });
    const expected = expand({ parsed: dotenv.parse(text), processEnv: {} }).parsed;
    expect(Object.fromEntries(entries.map((e) => [e.key, e.value]))).toEqual(expected);
    expect(expected?.URL).toBe("postgres://app@db/main");
    // PASS refers to $word, which the file does not set; URL's MISSING too.
    expect(warnings.map((w) => w.split(":")[1])).toEqual(["2", "4"]);
    expect(warnings.join("\n")).toContain("not set above it");
  });

  it("never reads lockstep's own environment", () => {
    process.env.LOCKSTEP_TEST_REFERENCE = "leaked";
    try {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a dotenv reference, not a template
      const { entries } = readDotenv("A=${LOCKSTEP_TEST_REFERENCE}\n", "app.env", { expand: true });
      expect(entries[0]?.value).toBe("");
    } finally {
      delete process.env.LOCKSTEP_TEST_REFERENCE;
    }
  });
});
