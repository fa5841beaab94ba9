/**
 * The one module that encrypts and decrypts age files. Everything else hands
 * it plaintext bytes, recipients and identities.
 */
import type { Identity, Stanza } from "age-encryption";
import { IntegrityError, LockstepError, NoIdentityError } from "../errors.js";
import type { AgeIdentity, AgeRecipient } from "./keys.js";
import {
  addRecipientsNative,
  armorDecodeCanonical,
  armorEncode,
  decryptNative,
  encryptNative,
  type NativeDecryption,
} from "./native-age.js";
import { cryptoWorkers, type JobRequest, weight } from "./workers.js";

/** Encrypts `plaintext` to `recipients`, stanzas in the given order; returns an armored age file. */
export async function encryptArmored(plaintext: Uint8Array, recipients: readonly AgeRecipient[]): Promise<string> {
  if (recipients.every((r) => r.fast)) {
    const job: JobRequest = { op: "encrypt", plaintext, recipients: recipients.map((r) => r.text) };
    const pool = cryptoWorkers(weight(job));
    if (pool && !pool.saturated) {
      const done = await pool.run(job);
      if (done.armored !== undefined) return done.armored;
    }
  }
  const native = encryptNative(plaintext, recipients);
  if (native) return armorEncode(native);
  const { armor, Encrypter } = await import("age-encryption");
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r.target);
  return armor.encode(await e.encrypt(plaintext));
}

/**
 * Adds recipients to an armored file, keeping its file key and payload (see
 * {@link addRecipientsNative}): the plaintext, for the caller to check, and
 * the new armored file; `undefined` when the file must be encrypted anew.
 */
export async function addRecipientsArmored(
  armored: string,
  identities: readonly AgeIdentity[],
  order: readonly string[],
  recipients: readonly AgeRecipient[],
): Promise<{ armored: string; plaintext: Uint8Array } | undefined> {
  const job: JobRequest = { op: "add", armored, order, recipients: recipients.map((r) => r.text) };
  const pool = cryptoWorkers(weight(job), identities);
  if (pool && !pool.saturated) {
    const done = await pool.run(job);
    if (done.armored !== undefined && done.plaintext !== undefined) {
      return { armored: done.armored, plaintext: done.plaintext };
    }
  }
  const bytes = armorDecodeCanonical(armored);
  const added = bytes && addRecipientsNative(bytes, identities, order, recipients);
  return added && { armored: armorEncode(added.file), plaintext: added.plaintext };
}

/** Where a ciphertext is, for messages: file and secret version. */
export interface CiphertextPlace {
  file: string;
  what: string;
}

/**
 * Decrypts an armored age file.
 *
 * `order` is the recipient strings in stanza order, as a manifest records
 * them: an identity whose recipient is listed tries only its own stanza. If
 * that fails (a hand-edited list), every identity tries every stanza.
 *
 * @throws NoIdentityError if no identity opens it; IntegrityError if it is damaged.
 */
export async function decryptArmored(
  armored: string,
  identities: readonly AgeIdentity[],
  order: readonly string[],
  place: CiphertextPlace,
): Promise<Uint8Array> {
  const job: JobRequest = { op: "decrypt", armored, order };
  const pool = cryptoWorkers(weight(job), identities);
  if (pool && !pool.saturated) {
    const done = await pool.run(job);
    if (done.plaintext !== undefined) return done.plaintext;
  }
  let bytes: Uint8Array;
  try {
    bytes = armorDecodeCanonical(armored) ?? (await import("age-encryption")).armor.decode(armored);
  } catch (e) {
    throw new IntegrityError(`${place.what}: the ciphertext's armor is broken`, {
      file: place.file,
      fix: "restore the file from Git history (`git checkout -- FILE`)",
      cause: e,
    });
  }
  let fast: NativeDecryption;
  try {
    fast = decryptNative(bytes, identities, order);
  } catch (e) {
    throw new IntegrityError(`${place.what}: the ciphertext is damaged or was tampered with`, {
      file: place.file,
      fix: "restore the file from Git history (`git checkout -- FILE`)",
      cause: e,
    });
  }
  if (fast.kind === "plaintext") return fast.plaintext;
  if (fast.kind === "tampered") {
    throw new IntegrityError(
      `${place.what}: the ciphertext's ${fast.what} does not verify: it is damaged or was tampered with`,
      {
        file: place.file,
        fix: "restore the file from Git history (`git checkout -- FILE`)",
      },
    );
  }
  const { Decrypter } = await import("age-encryption");
  const d = new Decrypter();
  const hint = hinted(identities, order);
  d.addIdentity(hint);
  for (const id of identities) d.addIdentity(id.unwrapper);
  try {
    return await d.decrypt(bytes);
  } catch (e) {
    // A passphrase nobody could give, a plugin's refusal: they say what happened themselves.
    if (e instanceof LockstepError) throw e;
    const unusable = identities.map((i) => i.failure()).find((f) => f !== undefined);
    if (e instanceof Error && e.message.startsWith("no identity matched") && unusable) throw unusable;
    if (e instanceof Error && e.message.startsWith("no identity matched") && hint.ownStanzaFailed) {
      // The manifest says a stanza is ours, and it does not open under our key.
      throw new IntegrityError(`${place.what}: the recipient stanza for your key does not open: it was tampered with`, {
        file: place.file,
        fix: "restore the file from Git history (`git checkout -- FILE`)",
        cause: e,
      });
    }
    if (e instanceof Error && e.message.startsWith("no identity matched")) {
      throw new NoIdentityError(`${place.what}: none of your identities is a recipient of this version`, {
        file: place.file,
        fix: `ask a reader to add your key (\`lockstep member add\`) and run \`lockstep rekey\`; identities tried: ${describe(identities)}`,
        cause: e,
      });
    }
    throw new IntegrityError(`${place.what}: the ciphertext is damaged or was tampered with`, {
      file: place.file,
      fix: "restore the file from Git history (`git checkout -- FILE`)",
      cause: e,
    });
  }
}

/**
 * An identity that tries only the stanzas that `order` says are ours. The
 * result never depends on the order: every stanza's shape is checked first,
 * for the kinds of the identities given, as their full scan would, and a
 * malformed one refuses the file.
 */
function hinted(identities: readonly AgeIdentity[], order: readonly string[]): Identity & { ownStanzaFailed: boolean } {
  return {
    ownStanzaFailed: false,
    async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
      const checks = [...new Set(identities.flatMap((i) => (i.checkStanza ? [i.checkStanza] : [])))];
      for (const s of stanzas) for (const check of checks) check(s);
      for (const id of identities) {
        if (id.recipientHint === undefined) continue;
        for (const [i, key] of order.entries()) {
          const stanza = stanzas[i];
          if (key !== id.recipientHint || stanza === undefined) continue;
          const fileKey = id.fast ? id.fast.unwrapStanza(stanza) : await id.unwrapper.unwrapFileKey([stanza]);
          if (fileKey !== null) return fileKey;
          // Only a recipient derived from the key makes a stanza that does not open tampering.
          if (id.recipient !== undefined) this.ownStanzaFailed = true;
        }
      }
      return null;
    },
  };
}

function describe(identities: readonly AgeIdentity[]): string {
  const sources = [...new Set(identities.map((i) => i.source))];
  return sources.length === 0 ? "none" : sources.join(", ");
}

/**
 * Counts the recipient stanzas of an armored age file without decrypting it.
 * @throws IntegrityError if the armor or header is broken.
 */
export function countStanzas(armored: string, place: CiphertextPlace): number {
  try {
    const decoded = armorDecodeCanonical(armored);
    if (!decoded) throw new Error("armor is not in age's form");
    const bytes = Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength);
    const end = bytes.indexOf(MAC_LINE);
    if (end === -1) throw new Error("no header end");
    if (!bytes.subarray(0, VERSION_LINE.length).equals(VERSION_LINE)) throw new Error("not an age v1 header");
    let count = 0;
    for (let at = bytes.indexOf(STANZA_LINE); at !== -1 && at < end; at = bytes.indexOf(STANZA_LINE, at + 4)) count++;
    return count;
  } catch (e) {
    throw new IntegrityError(`${place.what}: the ciphertext's armor or header is broken`, {
      file: place.file,
      cause: e,
    });
  }
}

// Byte needles: a string needle is converted to bytes on every search.
const VERSION_LINE = Buffer.from("age-encryption.org/v1\n");
const STANZA_LINE = Buffer.from("\n-> ");
const MAC_LINE = Buffer.from("\n--- ");
