/**
 * The age project's interop vectors (C2SP CCTV, npm `cctv-age`), run every
 * way lockstep can consume them: through the native X25519 identity alone,
 * through `decryptArmored` (armored vectors as they are, binary ones wrapped in
 * armor), and the hybrid post-quantum ones through `AgeIdentity.parse`.
 */
import { createHash } from "node:crypto";
import { inflateSync } from "node:zlib";
import { armor, Decrypter } from "age-encryption";
import * as cctv from "cctv-age";
import { describe, expect, it } from "vitest";
import { decryptArmored } from "../../src/crypto/age.js";
import { AgeIdentity } from "../../src/crypto/keys.js";
import { NativeX25519Identity } from "../../src/crypto/x25519.js";
import { IntegrityError, NoIdentityError } from "../../src/errors.js";

type Expect = "success" | "no match" | "HMAC failure" | "header failure" | "payload failure" | "armor failure";

interface Vector {
  name: string;
  expect: Expect;
  payload: string | undefined;
  identities: string[];
  passphrases: string[];
  armored: boolean;
  /** The age file: armored text (as bytes) when `armored`, else binary. */
  file: Uint8Array;
}

const EXPECTS = new Set<string>([
  "success",
  "no match",
  "HMAC failure",
  "header failure",
  "payload failure",
  "armor failure",
]);

function parseVector(name: string, data: Uint8Array): Vector {
  let split = -1;
  for (let i = 0; i + 1 < data.length; i++) {
    if (data[i] === 0x0a && data[i + 1] === 0x0a) {
      split = i;
      break;
    }
  }
  if (split < 0) throw new Error(`${name}: no blank line after the vector header`);
  const v: Vector = {
    name,
    expect: "success",
    payload: undefined,
    identities: [],
    passphrases: [],
    armored: false,
    file: data,
  };
  let compressed = false;
  let sawExpect = false;
  for (const line of new TextDecoder().decode(data.subarray(0, split)).split("\n")) {
    const at = line.indexOf(": ");
    if (at < 0) throw new Error(`${name}: bad header line ${JSON.stringify(line)}`);
    const key = line.slice(0, at);
    const value = line.slice(at + 2);
    switch (key) {
      case "expect":
        if (!EXPECTS.has(value)) throw new Error(`${name}: unknown expect ${value}`);
        v.expect = value as Expect;
        sawExpect = true;
        break;
      case "payload":
        v.payload = value;
        break;
      case "identity":
        v.identities.push(value);
        break;
      case "passphrase":
        v.passphrases.push(value);
        break;
      case "armored":
        v.armored = value === "yes";
        break;
      case "compressed":
        if (value !== "zlib") throw new Error(`${name}: unknown compression ${value}`);
        compressed = true;
        break;
      default:
        break; // "file key", "comment", and keys from future versions
    }
  }
  if (!sawExpect) throw new Error(`${name}: no expect key`);
  const body = data.subarray(split + 2);
  v.file = compressed ? new Uint8Array(inflateSync(body)) : body;
  return v;
}

const vectors = Object.entries(cctv as unknown as Record<string, Uint8Array>)
  .filter(([, data]) => data instanceof Uint8Array)
  .map(([name, data]) => parseVector(name, data))
  .sort((a, b) => a.name.localeCompare(b.name));

const isX25519 = (s: string) => s.startsWith("AGE-SECRET-KEY-1");
const isHybrid = (s: string) => s.startsWith("AGE-SECRET-KEY-PQ-1");

// Vectors whose identities are all X25519 (two header-failure vectors carry
// none at all; they must fail before any identity is consulted) and that need
// no passphrase.
const x25519Vectors = vectors.filter((v) => v.passphrases.length === 0 && v.identities.every(isX25519));
const hybridVectors = vectors.filter(
  (v) =>
    v.passphrases.length === 0 && v.identities.some(isHybrid) && v.identities.every((s) => isHybrid(s) || isX25519(s)),
);

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function binaryOf(v: Vector): Uint8Array {
  return v.armored ? armor.decode(new TextDecoder().decode(v.file)) : v.file;
}

function nativeDecrypter(v: Vector): Decrypter {
  const d = new Decrypter();
  for (const s of v.identities) d.addIdentity(new NativeX25519Identity(s));
  return d;
}

describe("cctv-age vectors: selection", () => {
  // Guards against a filter bug silently selecting nothing: cctv-age 0.2.0 has
  // 96 X25519 vectors (+2 with no identity at all) and 19 hybrid ones.
  it("finds vectors of every kind the native identity must handle", () => {
    expect(x25519Vectors.length).toBeGreaterThanOrEqual(95);
    expect(hybridVectors.length).toBeGreaterThanOrEqual(15);
    const kinds = new Set(x25519Vectors.map((v) => v.expect));
    expect([...kinds].sort()).toEqual([...EXPECTS].sort());
    expect(x25519Vectors.some((v) => v.armored)).toBe(true);
    expect(x25519Vectors.filter((v) => v.identities.length > 0).length).toBeGreaterThanOrEqual(90);
  });
});

// On payload failures the vectors' hash covers whatever plaintext an API
// released before the error. lockstep only uses the all-or-nothing
// `Decrypter.decrypt(Uint8Array)` form, which releases nothing on failure, so
// asserting the rejection is the whole check. (age-encryption's streaming form
// releases less than the hash covers on 8 of these vectors: it drops queued
// chunks when the stream errors. Safe, so not asserted here.)
describe("cctv-age vectors: age-encryption Decrypter with only NativeX25519Identity", () => {
  it.each(x25519Vectors.map((v) => [v.name, v] as const))("%s", async (_name, v) => {
    const attempt = async () => nativeDecrypter(v).decrypt(binaryOf(v));
    if (v.expect === "success") {
      const plaintext = await attempt();
      expect(sha256(plaintext)).toBe(v.payload);
    } else if (v.expect === "no match") {
      await expect(attempt()).rejects.toThrow(/^no identity matched/);
    } else {
      await expect(attempt()).rejects.toThrow();
      // A failure must not be mistaken for "not for me": that would hide a
      // malformed or tampered file behind a "no identity" message.
      await expect(attempt()).rejects.not.toThrow(/^no identity matched/);
    }
  });
});

describe("cctv-age vectors: decryptArmored (binary vectors wrapped in armor)", () => {
  const place = { file: "secrets/test/vector.yaml", what: "test/vector version 1" };

  it.each(x25519Vectors.map((v) => [v.name, v] as const))("%s", async (_name, v) => {
    const text = v.armored ? new TextDecoder().decode(v.file) : armor.encode(v.file);
    const identities = await Promise.all(v.identities.map((s, i) => AgeIdentity.parse(s, `identity ${i}`)));
    // Once with no hint (full scan), once claiming every stanza is ours (the
    // hinted path tries each stanza directly, then falls back).
    const orders = [[], identities.flatMap((id) => [id.recipient, id.recipient, id.recipient])];
    for (const order of orders) {
      const attempt = decryptArmored(text, identities, order, place);
      if (v.expect === "success") {
        expect(sha256(await attempt)).toBe(v.payload);
      } else if (v.expect === "no match" && order.length === 0) {
        await expect(attempt).rejects.toBeInstanceOf(NoIdentityError);
        await expect(attempt).rejects.toMatchObject({ code: "NO_IDENTITY", file: place.file });
      } else {
        // With the order claiming a stanza is ours, a stanza that does not open is a
        // mismatched ciphertext (exit 4), not "not a recipient" (exit 3).
        await expect(attempt).rejects.toBeInstanceOf(IntegrityError);
        await expect(attempt).rejects.toMatchObject({ code: "INTEGRITY", file: place.file });
      }
    }
  });
});

describe("cctv-age vectors: hybrid post-quantum through AgeIdentity.parse", () => {
  const place = { file: "secrets/test/vector.yaml", what: "test/vector version 1" };

  it.each(hybridVectors.map((v) => [v.name, v] as const))("%s", async (_name, v) => {
    const identities = await Promise.all(v.identities.map((s, i) => AgeIdentity.parse(s, `identity ${i}`)));
    expect(identities.some((id) => id.kind === "pq")).toBe(true);

    const d = new Decrypter();
    for (const id of identities) d.addIdentity(id.unwrapper);
    const direct = async () => d.decrypt(binaryOf(v));

    const text = v.armored ? new TextDecoder().decode(v.file) : armor.encode(v.file);
    const viaLockstep = async () => decryptArmored(text, identities, [], place);

    if (v.expect === "success") {
      expect(sha256(await direct())).toBe(v.payload);
      expect(sha256(await viaLockstep())).toBe(v.payload);
    } else if (v.expect === "no match") {
      await expect(direct()).rejects.toThrow(/^no identity matched/);
      await expect(viaLockstep()).rejects.toMatchObject({ code: "NO_IDENTITY" });
    } else {
      await expect(direct()).rejects.not.toThrow(/^no identity matched/);
      await expect(viaLockstep()).rejects.toMatchObject({ code: "INTEGRITY" });
    }
  });
});
