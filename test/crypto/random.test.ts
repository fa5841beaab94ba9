/** Pooled randomness for keys and nonces: fresh bytes each draw, and a key once given never changes. */
import { describe, expect, it } from "vitest";
import { randomKeyBytes } from "../../src/crypto/random.js";

describe("randomKeyBytes", () => {
  it("never hands out the same bytes twice, and a refill of the pool leaves earlier keys as they were", () => {
    const first = randomKeyBytes(32);
    const kept = Buffer.from(first);
    // 3000 draws of 32 bytes: the 32 KiB pool refills twice meanwhile.
    const draws = Array.from({ length: 3000 }, (_, i) => randomKeyBytes(i % 2 === 0 ? 32 : 16));
    expect(first).toEqual(kept);
    expect(new Set(draws.map((d) => d.toString("hex"))).size).toBe(draws.length);
    expect(draws.every((d, i) => d.length === (i % 2 === 0 ? 32 : 16))).toBe(true);
    expect(draws.some((d) => d.every((b) => b === 0))).toBe(false);
  });
});
