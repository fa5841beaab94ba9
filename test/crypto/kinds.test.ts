/**
 * The table of key kinds: each key string belongs to exactly one kind, the
 * kind decides the fast path, and a string of no kind is refused with every
 * kind's source named.
 */
import { describe, expect, it } from "vitest";
import { AgeIdentity, AgeRecipient, generateKey, parseIdentityFile } from "../../src/crypto/index.js";
import { KEY_KINDS } from "../../src/crypto/kinds.js";
import { LockstepError } from "../../src/errors.js";

describe("key kinds", () => {
  it("matches each recipient and identity to exactly one kind", async () => {
    const x = await generateKey(false);
    const pq = await generateKey(true);
    const cases = [
      { kind: "x25519", recipient: x.recipient, identity: x.fileText.trim().split("\n").at(-1) ?? "" },
      { kind: "pq", recipient: pq.recipient, identity: pq.fileText.trim().split("\n").at(-1) ?? "" },
    ];
    for (const c of cases) {
      expect(KEY_KINDS.filter((k) => k.recipient.matches(c.recipient)).map((k) => k.kind)).toEqual([c.kind]);
      expect(KEY_KINDS.filter((k) => k.identity.matches(c.identity)).map((k) => k.kind)).toEqual([c.kind]);
      expect(AgeRecipient.parse(c.recipient).kind).toBe(c.kind);
      expect((await AgeIdentity.parse(c.identity, "test")).kind).toBe(c.kind);
    }
  });

  it("gives X25519 keys the fast path, and post-quantum ones none", async () => {
    const x = await generateKey(false);
    const pq = await generateKey(true);
    expect(AgeRecipient.parse(x.recipient).fast).toBeDefined();
    expect(AgeRecipient.parse(pq.recipient).fast).toBeUndefined();
    const [xi] = await parseIdentityFile(x.fileText, "x.key");
    const [pqi] = await parseIdentityFile(pq.fileText, "pq.key");
    expect(xi?.fast).toBeDefined();
    expect(xi?.recipient).toBe(x.recipient);
    expect(pqi?.fast).toBeUndefined();
    expect(pqi?.recipient).toBe(pq.recipient);
    // A fast identity's string reads back as the same identity (what a worker thread gets).
    const encoded = xi?.fast?.encode() ?? "";
    expect((await AgeIdentity.parse(encoded, "worker")).recipient).toBe(x.recipient);
  });

  it("refuses a string of no kind, naming where every kind's keys come from", () => {
    let error: unknown;
    try {
      AgeRecipient.parse("not-a-key");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LockstepError);
    expect((error as LockstepError).code).toBe("INVALID_KEY");
    for (const k of KEY_KINDS) expect((error as LockstepError).fix).toContain(k.help);
    // A string of a known kind, but damaged: that kind's source alone.
    try {
      AgeRecipient.parse("age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq");
    } catch (e) {
      error = e;
    }
    expect((error as LockstepError).fix).toBe(
      `use the public key printed by ${KEY_KINDS.find((k) => k.kind === "x25519")?.help}`,
    );
  });
});
