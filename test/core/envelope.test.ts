/**
 * The envelope binds a value to the secret id and version it stands at: a
 * ciphertext copied elsewhere is refused, and the refusal never shows the value.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { openEnvelope, sealEnvelope } from "../../src/core/envelope.js";
import { decryptArmored, encryptArmored } from "../../src/crypto/age.js";
import { type AgeIdentity, AgeRecipient, generateKey, parseIdentityFile } from "../../src/crypto/keys.js";
import { IntegrityError, type LockstepError } from "../../src/errors.js";

const FILE = "secrets/production/db/password.yaml";
const VALUE = "s3cr3t-Pa55w0rd-do-not-print";

function refusal(f: () => unknown): LockstepError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(IntegrityError);
    return e as LockstepError;
  }
  throw new Error("expected an IntegrityError, got none");
}

describe("sealEnvelope / openEnvelope", () => {
  it("round-trips a value at its own id and version", () => {
    const sealed = sealEnvelope({ id: "production/db/password", version: 1, value: VALUE });
    expect(openEnvelope(sealed, { id: "production/db/password", version: 1 }, FILE)).toBe(VALUE);
  });

  it("round-trips any id, version and value, byte for byte", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z]+\/[A-Za-z0-9._/-]{1,40}$/),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.string({ unit: "binary", maxLength: 200 }),
        (id, version, value) => {
          expect(openEnvelope(sealEnvelope({ id, version, value }), { id, version }, FILE)).toBe(value);
        },
      ),
    );
  });

  it("keeps multi-line, unicode and JSON-looking values intact", () => {
    for (const value of [
      "",
      "line1\nline2\r\n",
      "päss 🔑 \u0000",
      '{"id":"x"}',
      '","id":"production/other","version":9',
    ]) {
      const sealed = sealEnvelope({ id: "staging/a", version: 3, value });
      expect(openEnvelope(sealed, { id: "staging/a", version: 3 }, FILE)).toBe(value);
    }
  });

  it("a value cannot forge the id or version it is bound to", () => {
    const value = '","id":"production/other","version":9,"value":"x';
    const sealed = sealEnvelope({ id: "staging/a", version: 1, value });
    refusal(() => openEnvelope(sealed, { id: "production/other", version: 9 }, FILE));
  });

  it("refuses another id or version, naming both places but not the value", () => {
    const sealed = sealEnvelope({ id: "production/db/password", version: 1, value: VALUE });
    for (const expected of [
      { id: "production/db/other", version: 1 },
      { id: "production/db/password", version: 2 },
      { id: "staging/db/password", version: 1 },
    ]) {
      const e = refusal(() => openEnvelope(sealed, expected, FILE));
      expect(e.code).toBe("INTEGRITY");
      expect(e.file).toBe(FILE);
      expect(e.message).toContain(expected.id);
      expect(e.message).toContain("production/db/password version 1");
      expect(`${e.message} ${e.fix ?? ""}`).not.toContain(VALUE);
    }
  });

  it("refuses bytes that are not a lockstep envelope, without echoing them", () => {
    const expected = { id: "production/db/password", version: 1 };
    const enc = new TextEncoder();
    for (const bytes of [
      enc.encode(VALUE),
      enc.encode(JSON.stringify({ id: expected.id, version: 1, value: VALUE })),
      enc.encode(JSON.stringify({ lockstep: 2, id: expected.id, version: 1, value: VALUE })),
      enc.encode(JSON.stringify({ lockstep: 1, id: expected.id, version: "1", value: VALUE })),
      enc.encode(JSON.stringify({ lockstep: 1, id: expected.id, version: 1, value: 42 })),
      enc.encode("null"),
      enc.encode(`[${JSON.stringify(VALUE)}]`),
      Uint8Array.of(0xff, 0xfe, ...enc.encode(VALUE)),
    ]) {
      const e = refusal(() => openEnvelope(bytes, expected, FILE));
      expect(e.code).toBe("INTEGRITY");
      expect(`${e.message} ${e.fix ?? ""}`).not.toContain(VALUE);
    }
  });
});

describe("envelopes through encryption", () => {
  let identity: AgeIdentity;
  let recipient: AgeRecipient;

  beforeAll(async () => {
    const key = await generateKey(false);
    [identity] = (await parseIdentityFile(key.fileText, "test.key")) as [AgeIdentity];
    recipient = AgeRecipient.parse(key.recipient);
  });

  async function decryptAt(armored: string, id: string, version: number): Promise<string> {
    const bytes = await decryptArmored(armored, [identity], [recipient.text], {
      file: FILE,
      what: `${id} v${version}`,
    });
    return openEnvelope(bytes, { id, version }, FILE);
  }

  it("a ciphertext opens at the id and version it was sealed for", async () => {
    const armored = await encryptArmored(sealEnvelope({ id: "production/a", version: 1, value: VALUE }), [recipient]);
    expect(await decryptAt(armored, "production/a", 1)).toBe(VALUE);
  });

  it("a ciphertext for id A version 1, copied to id B or version 2, is refused without its value", async () => {
    const armored = await encryptArmored(sealEnvelope({ id: "production/a", version: 1, value: VALUE }), [recipient]);
    for (const [id, version] of [
      ["production/b", 1],
      ["production/a", 2],
    ] as const) {
      const attempt = decryptAt(armored, id, version);
      await expect(attempt).rejects.toBeInstanceOf(IntegrityError);
      await expect(attempt).rejects.toMatchObject({ code: "INTEGRITY" });
      const e = (await attempt.catch((x: unknown) => x)) as LockstepError;
      expect(`${e.message} ${e.fix ?? ""}`).not.toContain(VALUE);
    }
  });
});
