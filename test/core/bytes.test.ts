import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isUtf8, isWellFormedText, textBytes, utf8Text } from "../../src/core/bytes.js";

describe("bytes and text", () => {
  it("decodes UTF-8 exactly and encodes it back byte for byte", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        const bytes = textBytes(s);
        expect(Buffer.from(bytes).equals(Buffer.from(s, "utf8"))).toBe(true);
        expect(utf8Text(bytes)).toBe(s);
      }),
    );
  });

  it("any bytes: either exact text, or undefined (never U+FFFD in place of a byte)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = utf8Text(bytes);
        if (text !== undefined) expect(textBytes(text)).toEqual(bytes);
        expect(isUtf8(bytes)).toBe(Buffer.from(bytes).equals(Buffer.from(Buffer.from(bytes).toString("utf8"), "utf8")));
      }),
    );
    expect(utf8Text(Uint8Array.of(0x61, 0xff))).toBeUndefined();
    expect(utf8Text(Uint8Array.of(0xed, 0xa0, 0x80))).toBeUndefined(); // an encoded surrogate
  });

  it("keeps a leading byte order mark", () => {
    expect(utf8Text(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61))).toBe("\ufeffa");
  });

  it("refuses to encode a lone surrogate rather than write U+FFFD", () => {
    expect(isWellFormedText("a\ud800")).toBe(false);
    expect(isWellFormedText("😀")).toBe(true);
    expect(() => textBytes("\udc00")).toThrow(TypeError);
  });
});
