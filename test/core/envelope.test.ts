/**
 * The envelope binds a value to the secret id and version it stands at: a
 * ciphertext copied elsewhere is refused, and the refusal never shows the value.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { openEnvelope, openEnvelopeBytes, sealEnvelope } from "../../src/core/envelope.js";
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
      enc.encode(JSON.stringify({ lockstep: 2, id: expected.id, version: 1, encoding: "hex", value: "00" })),
      enc.encode(JSON.stringify({ lockstep: 2, id: expected.id, version: 1, encoding: "base64", value: "A=A=" })),
      enc.encode(JSON.stringify({ lockstep: 3, id: expected.id, version: 1, encoding: "base64", value: "AAAA" })),
      enc.encode(JSON.stringify({ lockstep: 1, id: expected.id, version: "1", value: VALUE })),
      enc.encode(JSON.stringify({ lockstep: 1, id: expected.id, version: 1, value: 42 })),
      enc.encode("null"),
      enc.encode(`[${JSON.stringify(VALUE)}]`),
      Uint8Array.of(0xff, 0xfe, ...enc.encode(VALUE)),
    ]) {
      const e = refusal(() => openEnvelope(bytes, expected, FILE));
      expect(e.code).toBe("INTEGRITY");
      expect(`${e.message} ${e.fix ?? ""}`).not.toContain(VALUE);
      expect(refusal(() => openEnvelopeBytes(bytes, expected, FILE)).code).toBe("INTEGRITY");
    }
  });
});

/** The key store: NUL, 0x01, bytes that are no UTF-8, then text. */
const KEYSTORE = Uint8Array.of(0x00, 0x01, 0xff, 0xfe, 0x80, 0x61, 0x62, 0x63);
const AT = { id: "production/tls/keystore", version: 1 };

describe("values as bytes", () => {
  it("round-trips any bytes exactly (a 64-byte random file stays 64 bytes)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (value) => {
        expect(openEnvelopeBytes(sealEnvelope({ ...AT, value }), AT, FILE)).toEqual(value);
      }),
    );
    const random = Uint8Array.from({ length: 64 }, (_, i) => (i * 167 + 13) % 256);
    expect(openEnvelopeBytes(sealEnvelope({ ...AT, value: random }), AT, FILE)).toEqual(random);
  });

  it("writes UTF-8 bytes as form 1, which every lockstep version reads, and anything else as form 2", () => {
    const text = new TextEncoder().encode("päss 🔑\r\n");
    expect(JSON.parse(new TextDecoder().decode(sealEnvelope({ ...AT, value: text })))).toEqual({
      lockstep: 1,
      ...AT,
      value: "päss 🔑\r\n",
    });
    expect(JSON.parse(new TextDecoder().decode(sealEnvelope({ ...AT, value: KEYSTORE })))).toEqual({
      lockstep: 2,
      ...AT,
      encoding: "base64",
      value: Buffer.from(KEYSTORE).toString("base64"),
    });
  });

  it("keeps a leading byte order mark (a decoder's default would drop it)", () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf, 0x78);
    const sealed = sealEnvelope({ ...AT, value: bom });
    expect(JSON.parse(new TextDecoder().decode(sealed)).lockstep).toBe(1);
    expect(openEnvelopeBytes(sealed, AT, FILE)).toEqual(bom);
    expect(openEnvelope(sealed, AT, FILE)).toBe("\ufeffx");
  });

  it("opens first-milestone envelopes (form 1 written by JSON.stringify of a string) as their UTF-8 bytes", () => {
    const old = new TextEncoder().encode(JSON.stringify({ lockstep: 1, ...AT, value: "v1 \u0000 ü" }));
    expect(new TextDecoder().decode(openEnvelopeBytes(old, AT, FILE))).toBe("v1 \u0000 ü");
  });

  it("the text API refuses a value that is not UTF-8, with a code and without the value", () => {
    try {
      openEnvelope(sealEnvelope({ ...AT, value: KEYSTORE }), AT, FILE);
      expect.unreachable();
    } catch (e) {
      expect((e as LockstepError).code).toBe("UNREPRESENTABLE_VALUE");
      expect((e as LockstepError).message).toContain(AT.id);
    }
  });

  it("a binary value is still bound to its id and version", () => {
    const e = refusal(() => openEnvelopeBytes(sealEnvelope({ ...AT, value: KEYSTORE }), { ...AT, version: 2 }, FILE));
    expect(e.code).toBe("INTEGRITY");
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

  it("`age -d` opens a form-2 envelope; its base64 value decodes to the exact bytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-envelope-"));
    const keyFile = join(dir, "TEST-ONLY-key.txt");
    const key = await generateKey(false);
    writeFileSync(keyFile, key.fileText, { mode: 0o600 });
    const armored = await encryptArmored(sealEnvelope({ ...AT, value: KEYSTORE }), [AgeRecipient.parse(key.recipient)]);
    writeFileSync(join(dir, "v1.age"), armored);
    const plain = execFileSync("age", ["-d", "-i", keyFile, join(dir, "v1.age")], { encoding: "utf8" });
    const envelope = JSON.parse(plain) as { lockstep: number; encoding: string; value: string };
    expect(envelope).toMatchObject({ lockstep: 2, ...AT, encoding: "base64" });
    expect(new Uint8Array(Buffer.from(envelope.value, "base64"))).toEqual(KEYSTORE);
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
