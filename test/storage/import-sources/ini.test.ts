/**
 * INI as go-ini (gopkg.in/ini.v1, parser.go) reads it with sops' options.
 * The expected values follow go-ini's documented reading: inline comments
 * start at any `#` or `;` of an unquoted value, `"""` and backticks quote
 * over lines, surrounding `"` or `'` are taken off, `\` continues a line.
 */
import { expect, test } from "vitest";
import type { LockstepError } from "../../../src/errors.js";
import { readIniSections } from "../../../src/storage/import-sources/ini.js";

const read = (text: string) => readIniSections(text, "f.ini").map((s) => [s.name, s.keys.map((k) => [k.key, k.value])]);

test("keys before any header are DEFAULT's; sections in order; = and : both end a key", () => {
  expect(read("top = 1\n[db]\nuser = admin\nport: 5432\n\n[cache]\nurl=redis://h\n")).toEqual([
    ["DEFAULT", [["top", "1"]]],
    [
      "db",
      [
        ["user", "admin"],
        ["port", "5432"],
      ],
    ],
    ["cache", [["url", "redis://h"]]],
  ]);
  expect(read("[only]\na = b\n")[0]).toEqual(["DEFAULT", []]);
});

test("values: comments, quotes, multi-line quotes and continuations as go-ini reads them", () => {
  const text = [
    "; a comment",
    "# another",
    "a = x ; trailing comment",
    "b = x#y",
    'c = " padded "',
    "d = 'single'",
    'e = "inner"quote"',
    "f = `a;b#c`",
    'g = """line1',
    'line2"""',
    "h = one \\",
    "    two",
    "i =",
    "  j   =   spaced   ",
    "k = `multi",
    "line`",
    "",
  ].join("\n");
  expect(read(text)[0]?.[1]).toEqual([
    ["a", "x"],
    ["b", "x"],
    ["c", " padded "],
    ["d", "single"],
    ["e", '"inner"quote"'],
    ["f", "a;b#c"],
    ["g", "line1\nline2"],
    ["h", "one two"],
    ["i", ""],
    ["j", "spaced"],
    ["k", "multi\nline"],
  ]);
});

test("a key given twice keeps its first place and its last value; quoted keys", () => {
  expect(read('[s]\na = 1\nb = 2\na = 3\n`x=y` = 4\n"q" = 5\n')[1]).toEqual([
    "s",
    [
      ["a", "3"],
      ["b", "2"],
      ["x=y", "4"],
      ["q", "5"],
    ],
  ]);
});

test("what go-ini refuses is INVALID_VALUE with the line", () => {
  for (const [text, line] of [
    ["a = 1\nno delimiter\n", 2],
    ["[unclosed\n", 1],
    ["[]\n", 1],
    ["= value\n", 1],
    ['a = """never closed\nmore\n', 1],
  ] as const) {
    let err: LockstepError | undefined;
    try {
      readIniSections(text, "f.ini");
    } catch (e) {
      err = e as LockstepError;
    }
    expect(err?.code, text).toBe("INVALID_VALUE");
    expect(err?.line, text).toBe(line);
  }
});
