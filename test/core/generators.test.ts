import { describe, expect, it } from "vitest";
import { parseGenerator } from "../../src/core/generators.js";
import { AgeIdentity } from "../../src/crypto/keys.js";
import type { LockstepError } from "../../src/errors.js";

describe("generators", () => {
  it("password:LEN has that length from the password alphabet, and differs each time", () => {
    const g = parseGenerator("password:40");
    const a = g.generate();
    expect(a).toHaveLength(40);
    expect(a).toMatch(/^[A-Za-z0-9\-_.~!#%+=@^]+$/);
    expect(g.generate()).not.toBe(a);
  });

  it("hex, base64, uuid", () => {
    expect(parseGenerator("hex:16").generate()).toMatch(/^[0-9a-f]{32}$/);
    expect(Buffer.from(parseGenerator("base64:24").generate(), "base64")).toHaveLength(24);
    expect(parseGenerator("uuid").generate()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("age-identity makes a usable X25519 identity", async () => {
    const key = parseGenerator("age-identity").generate();
    const id = await AgeIdentity.parse(key, "generated");
    expect(id.recipient).toMatch(/^age1[0-9a-z]{58}$/);
  });

  it.each(["password", "password:0", "password:x", "hex:-1", "uuid:4", "magic:3", "hex:99999"])(
    "refuses %s as a usage error",
    (spec) => {
      try {
        parseGenerator(spec);
        expect.unreachable();
      } catch (e) {
        expect((e as LockstepError).code).toBe("USAGE");
      }
    },
  );
});
