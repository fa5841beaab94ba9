/**
 * The fast armor decoder takes exactly the canonical armor (64 columns,
 * padded base64, zero bits past the end): it must agree with the plain
 * definition, decode then re-encode to the same text, on any armor and on
 * any damage to one.
 */
import { armor } from "age-encryption";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { armorDecodeCanonical, armorEncode } from "../../src/crypto/native-age.js";

const BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const END = "-----END AGE ENCRYPTED FILE-----";

/** The definition: 64-column lines of base64 that encodes back to the same text. */
function reference(text: string): Uint8Array | undefined {
  const lines = text.trim().replaceAll("\r\n", "\n").split("\n");
  if (lines.length < 3 || lines[0] !== BEGIN || lines[lines.length - 1] !== END) return undefined;
  const body = lines.slice(1, -1);
  for (const [i, l] of body.entries()) {
    const last = i === body.length - 1;
    if (last ? l.length === 0 || l.length > 64 || l.length % 4 !== 0 : l.length !== 64) return undefined;
  }
  const b64 = body.join("");
  const bytes = Buffer.from(b64, "base64");
  return bytes.toString("base64") === b64 ? new Uint8Array(bytes) : undefined;
}

const same = (text: string) => {
  const got = armorDecodeCanonical(text);
  const want = reference(text);
  expect(got && Buffer.from(got).toString("hex")).toEqual(want && Buffer.from(want).toString("hex"));
};

/** One small change to an armored text. */
const damage = fc.oneof(
  fc.record({ kind: fc.constant("replace"), at: fc.nat(), char: fc.constantFrom("A", "/", "=", "\n", " ", "-", "\r") }),
  fc.record({ kind: fc.constant("insert"), at: fc.nat(), char: fc.constantFrom("A", "=", "\n", "\r\n", " ", "==") }),
  fc.record({ kind: fc.constant("delete"), at: fc.nat(), char: fc.constant("") }),
);

function apply(text: string, d: { kind: string; at: number; char: string }): string {
  const at = d.at % (text.length + 1);
  if (d.kind === "insert") return text.slice(0, at) + d.char + text.slice(at);
  return text.slice(0, at) + d.char + text.slice(at + 1);
}

describe("armorDecodeCanonical", () => {
  it("decodes what armorEncode and age-encryption write, to the same bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), (bytes) => {
        const armored = armorEncode(bytes);
        expect(armored).toBe(armor.encode(bytes));
        expect(armorDecodeCanonical(armored)).toEqual(bytes);
        expect(armorDecodeCanonical(armored.replaceAll("\n", "\r\n"))).toEqual(bytes);
      }),
    );
  });

  it("agrees with the definition on damaged armor", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.array(damage, { minLength: 1, maxLength: 3 }),
        (bytes, ds) => {
          same(ds.reduce(apply, armorEncode(bytes)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("refuses non-zero bits past the last byte, and padding or breaks out of place", () => {
    const armored = armorEncode(Uint8Array.of(0xff)); // "/w==": "w" leaves four bits unused
    expect(armorDecodeCanonical(armored)).toEqual(Uint8Array.of(0xff));
    for (const bad of [
      armored.replace("/w==", "/x=="),
      armorEncode(Uint8Array.of(1, 2)).replace("AQI=", "AQJ="),
      armored.replace("/w==", "/w=\n="),
      armorEncode(new Uint8Array(60)).replace("AAAA\n", "AAAA\n\n"),
    ]) {
      expect(armorDecodeCanonical(bad)).toBeUndefined();
      same(bad);
    }
  });
});
