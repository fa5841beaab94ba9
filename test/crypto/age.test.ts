/**
 * encryptArmored / decryptArmored / countStanzas: the one module that touches
 * age. Every way a ciphertext can be unusable must surface as the right typed
 * error, and the recipient-order hint must never change the outcome.
 */
import { armor, Decrypter } from "age-encryption";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { addRecipientsArmored, countStanzas, decryptArmored, encryptArmored } from "../../src/crypto/age.js";
import { AgeIdentity, AgeRecipient, generateKey, parseIdentityFile } from "../../src/crypto/keys.js";
import { NativeX25519Identity } from "../../src/crypto/x25519.js";
import { IntegrityError, LockstepError, NoIdentityError } from "../../src/errors.js";

const place = { file: "secrets/production/db/password.yaml", what: "production/db/password version 4" };
const plaintext = new TextEncoder().encode("correct horse battery staple");

interface Key {
  identity: AgeIdentity;
  recipient: AgeRecipient;
}

async function newKey(pq = false): Promise<Key> {
  const { fileText, recipient } = await generateKey(pq);
  const [identity] = await parseIdentityFile(fileText, pq ? "pq.key" : "x25519.key");
  if (identity === undefined) throw new Error("generateKey wrote no identity");
  return { identity, recipient: AgeRecipient.parse(recipient) };
}

let alice: Key;
let bob: Key;
let carol: Key;
let mallory: Key;
let armored: string;
const order = () => [alice, bob, carol].map((k) => k.recipient.text);

beforeAll(async () => {
  [alice, bob, carol, mallory] = await Promise.all([newKey(), newKey(), newKey(), newKey()]);
  armored = await encryptArmored(plaintext, [alice.recipient, bob.recipient, carol.recipient]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Decodes the armor, lets `edit` change the bytes, and re-armors them. */
function tamper(text: string, edit: (bytes: Uint8Array) => void): string {
  const bytes = armor.decode(text);
  edit(bytes);
  return armor.encode(bytes);
}

describe("encryptArmored / decryptArmored", () => {
  it("writes a standard armored age file", () => {
    expect(armored.startsWith("-----BEGIN AGE ENCRYPTED FILE-----\n")).toBe(true);
    expect(armored.endsWith("-----END AGE ENCRYPTED FILE-----\n")).toBe(true);
    expect(new TextDecoder().decode(armor.decode(armored)).startsWith("age-encryption.org/v1\n-> X25519 ")).toBe(true);
  });

  it("every recipient opens it, with or without the order hint", async () => {
    for (const k of [alice, bob, carol]) {
      expect(await decryptArmored(armored, [k.identity], order(), place)).toEqual(plaintext);
      expect(await decryptArmored(armored, [k.identity], [], place)).toEqual(plaintext);
    }
  });

  it("opens with a list of identities of which only one is a recipient", async () => {
    expect(await decryptArmored(armored, [mallory.identity, carol.identity], order(), place)).toEqual(plaintext);
  });

  it("encrypts each time afresh", async () => {
    const again = await encryptArmored(plaintext, [alice.recipient, bob.recipient, carol.recipient]);
    expect(again).not.toBe(armored);
  });

  it("encrypts and decrypts an empty plaintext", async () => {
    const empty = await encryptArmored(new Uint8Array(), [alice.recipient]);
    expect(await decryptArmored(empty, [alice.identity], [alice.recipient.text], place)).toEqual(new Uint8Array());
  });

  it("handles post-quantum and X25519 recipients in one file", async () => {
    const pq = await newKey(true);
    expect(pq.identity.kind).toBe("pq");
    const text = await encryptArmored(plaintext, [alice.recipient, pq.recipient]);
    const o = [alice.recipient.text, pq.recipient.text];
    expect(await decryptArmored(text, [pq.identity], o, place)).toEqual(plaintext);
    expect(await decryptArmored(text, [pq.identity], [], place)).toEqual(plaintext);
    expect(await decryptArmored(text, [pq.identity], [...o].reverse(), place)).toEqual(plaintext);
    expect(await decryptArmored(text, [alice.identity], o, place)).toEqual(plaintext);
    await expect(decryptArmored(text, [bob.identity], o, place)).rejects.toBeInstanceOf(NoIdentityError);
  });
});

describe("the recipient-order hint", () => {
  it("with the right order, an identity tries only its own stanza", async () => {
    const spy = vi.spyOn(NativeX25519Identity.prototype, "unwrapStanza");
    expect(await decryptArmored(armored, [carol.identity], order(), place)).toEqual(plaintext);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("without an order, the identity scans every stanza before its own", async () => {
    const spy = vi.spyOn(NativeX25519Identity.prototype, "unwrapStanza");
    expect(await decryptArmored(armored, [carol.identity], [], place)).toEqual(plaintext);
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it.each([
    ["shuffled", (o: string[]) => [o[2], o[0], o[1]] as string[]],
    ["reversed", (o: string[]) => [...o].reverse()],
    ["only other recipients", (o: string[]) => [o[0], o[1], o[0]] as string[]],
    ["unknown recipients", (_o: string[]) => [mallory.recipient.text, mallory.recipient.text]],
    ["longer than the stanzas", (o: string[]) => [...o, ...o]],
    ["shorter than the stanzas", (o: string[]) => o.slice(0, 1)],
  ])("a wrong order (%s) still decrypts, by falling back to a full scan", async (_what, wrong) => {
    for (const k of [alice, bob, carol]) {
      expect(await decryptArmored(armored, [k.identity], wrong(order()), place)).toEqual(plaintext);
    }
  });

  it("a recipients list that names a key the ciphertext is not encrypted to is a mismatch, never a decryption", async () => {
    const lying = [mallory.recipient.text, mallory.recipient.text, mallory.recipient.text];
    const attempt = decryptArmored(armored, [mallory.identity], lying, place);
    await expect(attempt).rejects.toBeInstanceOf(IntegrityError);
    await expect(attempt).rejects.toThrow("does not open");
    await expect(decryptArmored(armored, [mallory.identity], [], place)).rejects.toBeInstanceOf(NoIdentityError);
  });
});

describe("decryptArmored errors", () => {
  async function expectIntegrity(text: string) {
    const attempt = decryptArmored(text, [alice.identity], order(), place);
    await expect(attempt).rejects.toBeInstanceOf(IntegrityError);
    await expect(attempt).rejects.toMatchObject({ code: "INTEGRITY", file: place.file });
    await expect(attempt).rejects.toThrow(place.what);
  }

  it("truncated armor (no END line) is an integrity failure", async () => {
    const lines = armored.trimEnd().split("\n");
    await expectIntegrity(lines.slice(0, -1).join("\n"));
  });

  it("armor cut off mid-line is an integrity failure", async () => {
    await expectIntegrity(armored.slice(0, Math.floor(armored.length / 2)));
  });

  it("a ciphertext truncated by whole armor lines is an integrity failure", async () => {
    const long = await encryptArmored(new Uint8Array(200).fill(65), [alice.recipient]);
    const lines = long.trimEnd().split("\n");
    // Drop the last base64 line, keep the END line: the armor is well formed, the file is short.
    await expectIntegrity([...lines.slice(0, -2), lines.at(-1)].join("\n"));
  });

  it("a flipped byte in the payload is an integrity failure", async () => {
    await expectIntegrity(
      tamper(armored, (b) => {
        b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 0x01;
      }),
    );
    await expectIntegrity(
      tamper(armored, (b) => {
        b[b.length - 20] = (b[b.length - 20] ?? 0) ^ 0x80;
      }),
    );
  });

  it("a flipped bit in the header MAC is an integrity failure", async () => {
    const bytes = armor.decode(armored);
    const macLine = new TextDecoder().decode(bytes).indexOf("\n--- ") + 5;
    await expectIntegrity(
      tamper(armored, (b) => {
        b[macLine] = b[macLine] === 0x41 ? 0x42 : 0x41;
      }),
    );
  });

  it("extra bytes after the payload are an integrity failure", async () => {
    const bytes = armor.decode(armored);
    await expectIntegrity(armor.encode(Uint8Array.of(...bytes, 0)));
  });

  it("text that is not an age file at all is an integrity failure", async () => {
    await expectIntegrity("");
    await expectIntegrity("hello\n");
    await expectIntegrity(armor.encode(new TextEncoder().encode("age-encryption.org/v2\n")));
  });

  it("a wrong identity is NoIdentityError, naming the place and the identities tried", async () => {
    const attempt = decryptArmored(armored, [mallory.identity], order(), place);
    await expect(attempt).rejects.toBeInstanceOf(NoIdentityError);
    await expect(attempt).rejects.toMatchObject({ code: "NO_IDENTITY", file: place.file });
    await expect(attempt).rejects.toThrow(place.what);
    const error = (await attempt.catch((e: unknown) => e)) as LockstepError;
    expect(error.fix).toContain(mallory.identity.source);
  });

  it("no identities at all is NoIdentityError", async () => {
    await expect(decryptArmored(armored, [], order(), place)).rejects.toMatchObject({ code: "NO_IDENTITY" });
  });

  it("errors never carry the plaintext", async () => {
    const text = "do-not-leak-this-value";
    const secret = await encryptArmored(new TextEncoder().encode(text), [alice.recipient]);
    for (const attempt of [
      decryptArmored(secret, [mallory.identity], [], place),
      decryptArmored(
        tamper(secret, (b) => {
          b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 1;
        }),
        [alice.identity],
        [],
        place,
      ),
    ]) {
      const e = (await attempt.catch((x: unknown) => x)) as LockstepError;
      expect(e).toBeInstanceOf(LockstepError);
      expect(`${e.message} ${e.fix ?? ""}`).not.toContain(text);
    }
  });
});

describe("decryptArmored output is readable by age-encryption as-is", () => {
  it("encryptArmored output opens with age-encryption's own string identity", async () => {
    const { fileText } = await generateKey(false);
    const line = fileText.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1")) ?? "";
    const identity = await AgeIdentity.parse(line, "test");
    const text = await encryptArmored(plaintext, [AgeRecipient.parse(identity.recipient)]);
    const d = new Decrypter();
    d.addIdentity(line);
    expect(await d.decrypt(armor.decode(text))).toEqual(plaintext);
  });
});

describe("countStanzas", () => {
  it("counts one stanza per recipient", async () => {
    expect(countStanzas(armored, place)).toBe(3);
    expect(countStanzas(await encryptArmored(plaintext, [alice.recipient]), place)).toBe(1);
    const five = [alice, bob, carol, mallory, alice].map((k) => k.recipient);
    expect(countStanzas(await encryptArmored(plaintext, five), place)).toBe(5);
  });

  it("counts a post-quantum recipient as one stanza", async () => {
    const pq = await newKey(true);
    expect(countStanzas(await encryptArmored(plaintext, [pq.recipient, alice.recipient]), place)).toBe(2);
  });

  it("throws IntegrityError for broken armor or a header that is not age v1", () => {
    for (const text of [
      "",
      armored.slice(0, 100),
      armored.replace("AGE ENCRYPTED FILE", "PGP MESSAGE"),
      armor.encode(new TextEncoder().encode("age-encryption.org/v2\n-> X25519 abc\n\n--- abc\n")),
      armor.encode(new TextEncoder().encode("age-encryption.org/v1\n-> X25519 abc\n")),
    ]) {
      expect(() => countStanzas(text, place)).toThrow(IntegrityError);
      try {
        countStanzas(text, place);
      } catch (e) {
        expect(e).toMatchObject({ code: "INTEGRITY", file: place.file });
      }
    }
  });
});

describe("addRecipientsArmored", () => {
  /** The decoded file's stanza lines and everything after the header MAC line. */
  function parts(text: string): { stanzas: string[]; payload: Buffer } {
    const bytes = Buffer.from(armor.decode(text));
    const end = bytes.indexOf("\n--- ");
    const macEnd = bytes.indexOf("\n", end + 1);
    const lines = bytes.subarray(0, end).toString("latin1").split("\n").slice(1);
    const stanzas: string[] = [];
    for (let i = 0; i < lines.length; i += 2) stanzas.push(`${lines[i]}\n${lines[i + 1]}`);
    return { stanzas, payload: bytes.subarray(macEnd + 1) };
  }

  it("adds a reader: old stanzas and payload stay byte for byte, and everyone opens the result", async () => {
    const two = await encryptArmored(plaintext, [alice.recipient, bob.recipient]);
    const next = [alice.recipient, carol.recipient, bob.recipient];
    const added = await addRecipientsArmored(
      two,
      [alice.identity],
      [alice, bob].map((k) => k.recipient.text),
      next,
    );
    if (!added) throw new Error("expected the add-only path");
    expect(added.plaintext).toEqual(plaintext);
    const before = parts(two);
    const after = parts(added.armored);
    expect(after.payload.equals(before.payload)).toBe(true);
    expect(after.stanzas).toHaveLength(3);
    expect(after.stanzas[0]).toBe(before.stanzas[0]);
    expect(after.stanzas[2]).toBe(before.stanzas[1]);
    expect(before.stanzas).not.toContain(after.stanzas[1]);
    const newOrder = next.map((r) => r.text);
    for (const k of [alice, bob, carol]) {
      expect(await decryptArmored(added.armored, [k.identity], newOrder, place)).toEqual(plaintext);
      // age-encryption, with no hint, agrees: the header MAC is valid for the new header.
      const d = new Decrypter();
      d.addIdentity(k.identity.unwrapper);
      expect(await d.decrypt(armor.decode(added.armored))).toEqual(plaintext);
    }
  });

  it("refuses (undefined) when a reader leaves, so that the caller picks a fresh file key", async () => {
    expect(
      await addRecipientsArmored(armored, [alice.identity], order(), [alice.recipient, bob.recipient]),
    ).toBeUndefined();
  });

  it("refuses when none of our identities has a stanza, or the header was tampered with", async () => {
    const next = [alice.recipient, bob.recipient, carol.recipient, mallory.recipient];
    expect(await addRecipientsArmored(armored, [mallory.identity], order(), next)).toBeUndefined();
    const tampered = tamper(armored, (bytes) => {
      const mac = Buffer.from(bytes).indexOf("\n--- ") + 6;
      bytes[mac] = bytes[mac] === 65 ? 66 : 65;
    });
    expect(await addRecipientsArmored(tampered, [alice.identity], order(), next)).toBeUndefined();
  });

  it("refuses when the manifest's list does not match the stanzas, or a new reader is post-quantum", async () => {
    const next = [alice.recipient, bob.recipient, carol.recipient, mallory.recipient];
    expect(await addRecipientsArmored(armored, [alice.identity], order().slice(0, 2), next)).toBeUndefined();
    const pq = await newKey(true);
    expect(await addRecipientsArmored(armored, [alice.identity], order(), [...next, pq.recipient])).toBeUndefined();
  });
});
