/**
 * age files encrypted with a passphrase (`age -p`): here, identity files
 * kept that way. The stanza is age's `scrypt` recipient type,
 *
 *   -> scrypt base64(salt) logN
 *   ChaCha20-Poly1305(scrypt(passphrase, "age-encryption.org/v1/scrypt" || salt, N = 2^logN, r = 8, p = 1), fileKey)
 *
 * unwrapped with Node's native scrypt (age-encryption's pure-JS one takes
 * seconds at age's default work factor, and refuses factors over 20); the
 * payload is age-encryption's to decrypt.
 */
import { createDecipheriv, scryptSync } from "node:crypto";
import { base64nopad } from "@scure/base";
import type { Identity, Stanza } from "age-encryption";

const LABEL = "age-encryption.org/v1/scrypt";
/** The highest work factor accepted, as the age CLI's (2^22: 4 GiB and seconds of work). */
const MAX_LOG_N = 22;

/** Whether `bytes` are an age file, binary or armored. */
export function isAgeFile(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 64)).toString("latin1").trimStart();
  return head.startsWith("age-encryption.org/v1\n") || head.startsWith("-----BEGIN AGE ENCRYPTED FILE-----");
}

/** An identity for a passphrase-encrypted file: the file key, `null` for a wrong passphrase. */
class PassphraseIdentity implements Identity {
  constructor(private readonly passphrase: string) {}

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== "scrypt") continue;
      if (stanzas.length !== 1) throw new Error("a scrypt stanza is not the header's only one");
      const salt = s.args.length === 3 ? base64nopad.decode(s.args[1] ?? "") : undefined;
      if (salt?.length !== 16 || !/^[1-9][0-9]*$/.test(s.args[2] ?? "") || s.body.length !== 32) {
        throw new Error("invalid scrypt stanza");
      }
      const logN = Number(s.args[2]);
      if (logN > MAX_LOG_N) throw new Error(`scrypt work factor ${logN} is over ${MAX_LOG_N}`);
      const N = 2 ** logN;
      const key = scryptSync(this.passphrase, Buffer.concat([Buffer.from(LABEL), salt]), 32, {
        N,
        r: 8,
        p: 1,
        maxmem: 128 * 8 * N + 1024 * 1024,
      });
      const d = createDecipheriv("chacha20-poly1305", key, new Uint8Array(12), { authTagLength: 16 });
      d.setAuthTag(s.body.subarray(16));
      try {
        return new Uint8Array(Buffer.concat([d.update(s.body.subarray(0, 16)), d.final()]));
      } catch {
        return null; // the passphrase is not this file's
      }
    }
    return null;
  }
}

/**
 * Decrypts a passphrase-encrypted age file.
 * @returns the plaintext, or `null` if the passphrase does not open it.
 * @throws Error if the file is not a passphrase-encrypted age file, or is damaged.
 */
export async function decryptWithPassphrase(file: Uint8Array, passphrase: string): Promise<Uint8Array | null> {
  const { armor, Decrypter } = await import("age-encryption");
  const text = Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString("latin1");
  const bytes = text.trimStart().startsWith("-----BEGIN") ? armor.decode(text) : file;
  const d = new Decrypter();
  d.addIdentity(new PassphraseIdentity(passphrase));
  try {
    return await d.decrypt(bytes);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("no identity matched")) {
      // Either the passphrase is wrong, or the file has no scrypt stanza at all.
      const hasScrypt = /\n-> scrypt /.test(Buffer.from(bytes).toString("latin1", 0, 4096));
      if (hasScrypt) return null;
      throw new Error("not encrypted with a passphrase (age -p)", { cause: e });
    }
    throw e;
  }
}
