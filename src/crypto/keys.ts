/**
 * age key strings parsed into objects that cannot be invalid: recipients
 * (`age1...`, `age1pq1...`) and identities (`AGE-SECRET-KEY-1...`,
 * `AGE-SECRET-KEY-PQ-1...`), and identity files in age-keygen's format.
 */
import { bech32 } from "@scure/base";
import type { Identity } from "age-encryption";
import { LockstepError } from "../errors.js";
import { generateNativeX25519Identity, NativeX25519Identity, NativeX25519Recipient } from "./x25519.js";

/** The two kinds of age key lockstep supports. */
export type KeyKind = "x25519" | "pq";

const parsedRecipients = new Map<string, AgeRecipient>();

/** A validated age recipient. */
export class AgeRecipient {
  /** The recipient string, as written in access.yaml and manifests. */
  readonly text: string;
  /** X25519 or hybrid post-quantum. */
  readonly kind: KeyKind;
  /** The object age-encryption encrypts to (native for X25519). */
  readonly target: NativeX25519Recipient | string;

  private constructor(text: string, kind: KeyKind, target: NativeX25519Recipient | string) {
    this.text = text;
    this.kind = kind;
    this.target = target;
  }

  /**
   * Parses a recipient string.
   * @throws LockstepError `INVALID_KEY` if it is not a valid age recipient.
   */
  static parse(text: string): AgeRecipient {
    // Manifests repeat the same few recipients thousands of times: parse each once.
    const cached = parsedRecipients.get(text);
    if (cached) return cached;
    const r = AgeRecipient.parseUncached(text);
    parsedRecipients.set(text, r);
    return r;
  }

  private static parseUncached(text: string): AgeRecipient {
    try {
      if (text.startsWith("age1pq1")) {
        // As age-encryption's HybridRecipient checks it, without loading it: a 1216-byte key.
        const { prefix, words } = bech32.decode(text as `${string}1${string}`, false);
        if (prefix.toLowerCase() !== "age1pq" || bech32.fromWords(words).length !== 1216) throw new Error("bad key");
        return new AgeRecipient(text, "pq", text);
      }
      return new AgeRecipient(text, "x25519", new NativeX25519Recipient(text));
    } catch (e) {
      throw new LockstepError("INVALID_KEY", `"${abbreviate(text)}" is not a valid age recipient`, {
        fix: "use the public key printed by `lockstep keygen` or `age-keygen` (age1...)",
        cause: e,
      });
    }
  }

  /** Whether `text` parses as a recipient. */
  static isValid(text: string): boolean {
    try {
      AgeRecipient.parse(text);
      return true;
    } catch {
      return false;
    }
  }
}

/** A validated age identity (private key). */
export class AgeIdentity {
  /** X25519 or hybrid post-quantum. */
  readonly kind: KeyKind;
  /** The matching recipient string. */
  readonly recipient: string;
  /** Where it came from, for messages: a file path or the variable's name. */
  readonly source: string;
  /** The age-encryption identity that unwraps this key's stanzas. */
  readonly unwrapper: Identity;
  /** The native identity, for X25519 keys: it can try a single stanza. */
  readonly native: NativeX25519Identity | undefined;

  private constructor(kind: KeyKind, recipient: string, source: string, unwrapper: Identity) {
    this.kind = kind;
    this.recipient = recipient;
    this.source = source;
    this.unwrapper = unwrapper;
    this.native = unwrapper instanceof NativeX25519Identity ? unwrapper : undefined;
  }

  /**
   * Parses one identity string.
   * @throws LockstepError `INVALID_KEY` if it is not a valid age identity.
   */
  static async parse(text: string, source: string): Promise<AgeIdentity> {
    try {
      if (text.startsWith("AGE-SECRET-KEY-PQ-1")) {
        // age-encryption does not export its hybrid identity class; its
        // Decrypter holds one and unwraps with it.
        const { Decrypter, identityToRecipient } = await import("age-encryption");
        const d = new Decrypter();
        d.addIdentity(text);
        const recipient = await identityToRecipient(text);
        const unwrapper: Identity = {
          unwrapFileKey: (stanzas) =>
            (d as unknown as { unwrapFileKey: Identity["unwrapFileKey"] }).unwrapFileKey(stanzas),
        };
        return new AgeIdentity("pq", recipient, source, unwrapper);
      }
      const native = new NativeX25519Identity(text);
      return new AgeIdentity("x25519", native.recipient, source, native);
    } catch (e) {
      throw new LockstepError("INVALID_KEY", `${source} holds a key that is not a valid age identity`, {
        file: source,
        fix: "an identity line starts with AGE-SECRET-KEY-1 or AGE-SECRET-KEY-PQ-1 (see `lockstep keygen`)",
        cause: e,
      });
    }
  }
}

/**
 * Parses an identity file in age-keygen's format: one key per line, `#`
 * comments and blank lines ignored.
 * @throws LockstepError `INVALID_KEY` naming the file and line of a bad line.
 */
export async function parseIdentityFile(text: string, source: string): Promise<AgeIdentity[]> {
  const identities: AgeIdentity[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (!line.startsWith("AGE-SECRET-KEY-")) {
      throw new LockstepError("INVALID_KEY", `${source}:${i + 1}: not an age identity line`, {
        file: source,
        line: i + 1,
        fix: line.startsWith("AGE-PLUGIN-")
          ? "age plugin identities are not supported; use an X25519 or post-quantum key"
          : "an identity file holds AGE-SECRET-KEY-... lines, as written by `lockstep keygen`",
      });
    }
    try {
      identities.push(await AgeIdentity.parse(line, source));
    } catch (e) {
      throw new LockstepError("INVALID_KEY", `${source}:${i + 1}: not a valid age identity`, {
        file: source,
        line: i + 1,
        fix: "the key is damaged; take it again from where it was generated",
        cause: e,
      });
    }
  }
  if (identities.length === 0) {
    throw new LockstepError("INVALID_KEY", `${source} holds no age identity`, {
      file: source,
      fix: "make one with `lockstep keygen -o FILE`",
    });
  }
  return identities;
}

/** A new identity, in age-keygen's file format, and its recipient. */
export interface GeneratedKey {
  /** The file text: created and public-key comments, then the key. */
  fileText: string;
  /** The recipient string to share. */
  recipient: string;
}

/** Generates an X25519 identity, or a hybrid post-quantum one with `pq`. */
export async function generateKey(pq: boolean, now: Date = new Date()): Promise<GeneratedKey> {
  const identity = pq
    ? await (await import("age-encryption")).generateHybridIdentity()
    : generateNativeX25519Identity();
  const recipient = pq
    ? await (await import("age-encryption")).identityToRecipient(identity)
    : new NativeX25519Identity(identity).recipient;
  const created = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    fileText: `# created: ${created}\n# public key: ${recipient}\n${identity}\n`,
    recipient,
  };
}

function abbreviate(s: string): string {
  return s.length > 24 ? `${s.slice(0, 20)}...` : s;
}
