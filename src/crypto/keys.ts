/**
 * Key strings parsed into objects that cannot be invalid: recipients and
 * identities of every kind in the table of key kinds (kinds.ts), and
 * identity files in age-keygen's format.
 */
import type { Identity, Recipient, Stanza } from "age-encryption";
import { LockstepError } from "../errors.js";
import {
  type FastIdentity,
  type FastRecipient,
  type IdentityParts,
  identityKindOf,
  KEY_KINDS,
  type KeyKind,
  type KindEntry,
  type RecipientParts,
  recipientKindOf,
} from "./kinds.js";
import { generateNativeX25519Identity, NativeX25519Identity } from "./x25519.js";

export type { KeyKind } from "./kinds.js";

const parsedRecipients = new Map<string, AgeRecipient>();

/** A validated age recipient, of any kind in the table (see kinds.ts). */
export class AgeRecipient {
  /** The recipient string, as manifests record it. */
  readonly text: string;
  /** Its kind. */
  readonly kind: KeyKind;
  /** The object (or string) age-encryption's Encrypter encrypts to. */
  readonly target: Recipient | string;
  /** The fast path's recipient, for kinds that have one (X25519). */
  readonly fast: FastRecipient | undefined;

  private constructor(kind: KeyKind, parts: RecipientParts) {
    this.text = parts.text;
    this.kind = kind;
    this.target = parts.target;
    this.fast = parts.fast;
  }

  /**
   * Parses a recipient string.
   * @throws LockstepError `INVALID_KEY` if it is not a valid recipient of a known kind.
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
    const entry = recipientKindOf(text);
    try {
      if (!entry) throw new Error("no key kind has this form");
      return new AgeRecipient(entry.kind, entry.recipient.parse(text));
    } catch (e) {
      throw new LockstepError("INVALID_KEY", `"${abbreviate(text)}" is not a valid age recipient`, {
        fix: entry
          ? `use the public key printed by ${entry.help}`
          : `use a public key of a kind lockstep knows: ${KEY_KINDS.map((k) => k.help).join("; ")}`,
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

/** A validated age identity (private key), of any kind in the table (see kinds.ts). */
export class AgeIdentity {
  /** Its kind. */
  readonly kind: KeyKind;
  /**
   * The matching recipient string: an identity whose recipient a manifest
   * lists tries only that stanza. `undefined` when it cannot be known.
   */
  readonly recipient: string | undefined;
  /** Where it came from, for messages: a file path or the variable's name. */
  readonly source: string;
  /** The age-encryption identity that unwraps this key's stanzas. */
  readonly unwrapper: Identity;
  /** The fast path's identity, for kinds that have one (X25519): it tries one stanza, and goes to worker threads. */
  readonly fast: FastIdentity | undefined;
  /** Its kind's stanza check (see `KindEntry.checkStanza`), if the kind has one. */
  readonly checkStanza: ((stanza: Stanza) => void) | undefined;

  private constructor(entry: KindEntry, source: string, parts: IdentityParts) {
    this.kind = entry.kind;
    this.recipient = parts.recipient;
    this.source = source;
    this.unwrapper = parts.unwrapper;
    this.fast = parts.fast;
    this.checkStanza = entry.checkStanza;
  }

  /**
   * Parses one identity string.
   * @throws LockstepError `INVALID_KEY` if it is not a valid identity of a known kind.
   */
  static async parse(text: string, source: string): Promise<AgeIdentity> {
    const entry = identityKindOf(text);
    try {
      if (!entry) throw new Error("no key kind has this form");
      return new AgeIdentity(entry, source, await entry.identity.parse(text));
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
    if (!identityKindOf(line)) {
      throw new LockstepError("INVALID_KEY", `${source}:${i + 1}: not an age identity line`, {
        file: source,
        line: i + 1,
        fix: "an identity file holds AGE-SECRET-KEY-... lines, as written by `lockstep keygen`",
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
