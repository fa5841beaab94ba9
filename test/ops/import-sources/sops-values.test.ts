/**
 * The Go spellings sops' MAC hashes. Expected strings are what Go's strconv
 * and go-yaml v3 produce (documented behaviour: `FormatFloat(f, 'f', -1, 64)`
 * prints the shortest round-trip digits without an exponent; `ParseInt`
 * with base 0 reads `0x`, `0o`, `0b` and a leading `0` as octal).
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  goFormatFloat,
  goJsonNumberBytes,
  goParseBool,
  goParseInt,
  goYamlPlainBytes,
  openEncValue,
  parseEncValue,
  typePlaintext,
} from "../../../src/ops/import-sources/sops-values.js";
import { sopsEncryptText } from "../../support/sops-writer.js";

describe("goFormatFloat", () => {
  test.each([
    [3.14, "3.14"],
    [7, "7"],
    [1e21, "1000000000000000000000"],
    [1e-7, "0.0000001"],
    [0.1 + 0.2, "0.30000000000000004"],
    [-0, "-0"],
    [-2.5e-3, "-0.0025"],
    [123456789012345680000, "123456789012345680000"],
    [Number.POSITIVE_INFINITY, "+Inf"],
    [Number.NEGATIVE_INFINITY, "-Inf"],
    [Number.NaN, "NaN"],
  ])("%s -> %s", (f, s) => {
    expect(goFormatFloat(f)).toBe(s);
  });

  test("reads back as the same number, and never has an exponent", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (f) => {
        const s = goFormatFloat(f);
        expect(s).not.toMatch(/e/i);
        expect(Object.is(Number(s), f) || (f === 0 && Number(s) === 0)).toBe(true);
      }),
    );
  });
});

test("goParseInt and goParseBool accept what Go accepts", () => {
  expect(goParseInt("+5", 10)).toBe(5n);
  expect(goParseInt("007", 10)).toBe(7n);
  expect(goParseInt("0x1F", 0)).toBe(31n);
  expect(goParseInt("0777", 0)).toBe(511n);
  expect(goParseInt("0b101", 0)).toBe(5n);
  expect(goParseInt("-9223372036854775808", 10)).toBe(-(2n ** 63n));
  expect(goParseInt("9223372036854775808", 10)).toBeUndefined();
  expect(goParseInt("1.5", 10)).toBeUndefined();
  expect(goParseInt("0x1F", 10)).toBeUndefined();
  expect(["1", "t", "T", "TRUE", "true", "True"].map(goParseBool)).toEqual(Array(6).fill(true));
  expect(["0", "f", "F", "FALSE", "false", "False"].map(goParseBool)).toEqual(Array(6).fill(false));
  expect(goParseBool("yes")).toBeUndefined();
});

test.each([
  ["5432", "5432"],
  ["5_432", "5432"],
  ["0x1F", "31"],
  ["0o17", "15"],
  ["0777", "511"],
  ["-0b101", "-5"],
  ["1.50", "1.5"],
  ["1e3", "1000"],
  [".5", "0.5"],
  ["+12", "12"],
  ["true", "True"],
  ["FALSE", "False"],
  [".inf", "+Inf"],
  ["-.Inf", "-Inf"],
  [".NaN", "NaN"],
  ["2024-01-02", "2024-01-02T00:00:00Z"],
  ["2024-1-2t3:04:05.120+00:00", "2024-01-02T03:04:05.12Z"],
  ["2024-01-02 10:11:12", "2024-01-02T10:11:12Z"],
  ["2024-01-02T10:11:12+02:00", "2024-01-02T10:11:12+02:00"],
  ["yes", "yes"],
  ["on", "on"],
  ["1.2.3", "1.2.3"],
  ["12abc", "12abc"],
  ["hello", "hello"],
])("go-yaml v3 types the plain scalar %s as %s for the MAC", (text, bytes) => {
  expect(goYamlPlainBytes(text)).toBe(bytes);
});

test("go-yaml nulls are not hashed; an integer past int64 cannot be in a sops file", () => {
  for (const n of ["", "~", "null", "Null", "NULL"]) expect(goYamlPlainBytes(n)).toBeUndefined();
  expect(goYamlPlainBytes("18446744073709551615")).toBe(false);
});

test("JSON numbers hash as sops' JSON store reads them: int64 as int, others as float64", () => {
  expect(goJsonNumberBytes("7")).toBe("7");
  expect(goJsonNumberBytes("-0")).toBe("0");
  expect(goJsonNumberBytes("1.0")).toBe("1");
  expect(goJsonNumberBytes("1e2")).toBe("100");
  expect(goJsonNumberBytes("12345678901234567890")).toBe("12345678901234567000");
});

describe("encrypted values", () => {
  const key = Buffer.alloc(32, 7);

  test("each type opens to its text, and hashes as sops' ToBytes", () => {
    const cases: [string, string, string, string, string][] = [
      ["hello", "str", "string", "hello", "hello"],
      ["7", "int", "number", "7", "7"],
      ["3.14", "float", "number", "3.14", "3.14"],
      ["True", "bool", "boolean", "true", "True"],
      ["False", "bool", "boolean", "false", "False"],
      ["2024-01-02T03:04:05Z", "time", "string", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"],
    ];
    for (const [plain, type, kind, text, mac] of cases) {
      const enc = parseEncValue(sopsEncryptText(plain, type, key, "a:b:"));
      expect(enc).toBeDefined();
      const opened = openEncValue(enc!, key, "a:b:");
      expect(opened?.toString()).toBe(plain);
      const typed = typePlaintext(opened!, type);
      expect(typed).toEqual({ kind, text, macBytes: Buffer.from(mac) });
    }
  });

  test("the wrong path, key or tag does not open; broken forms do not parse", () => {
    const value = sopsEncryptText("hello", "str", key, "a:b:");
    const enc = parseEncValue(value)!;
    expect(openEncValue(enc, key, "a:c:")).toBeUndefined();
    expect(openEncValue(enc, Buffer.alloc(32, 8), "a:b:")).toBeUndefined();
    expect(openEncValue({ ...enc, tag: Buffer.alloc(16) }, key, "a:b:")).toBeUndefined();
    expect(parseEncValue("ENC[AES256_GCM,data:!!,iv:AA==,tag:AA==,type:str]")).toBeUndefined();
    expect(parseEncValue("ENC[AES256_GCM,data:QQ=,iv:AA==,tag:AA==,type:str]")).toBeUndefined();
    expect(parseEncValue("hello")).toBeUndefined();
    expect(typePlaintext(Buffer.from("x"), "int")).toBeUndefined();
    expect(typePlaintext(Buffer.from("yes"), "bool")).toBeUndefined();
    expect(typePlaintext(Buffer.from("x"), "unknown")).toBeUndefined();
    expect(typePlaintext(Buffer.from([0xff]), "str")).toBeUndefined();
  });
});
