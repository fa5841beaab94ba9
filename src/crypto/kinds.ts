/**
 * The table of key kinds: for each kind of recipient and identity lockstep
 * accepts, how its strings are recognized and parsed, and whether it has a
 * fast path. Everything else in src/crypto dispatches through this table, so
 * adding a kind is one entry here (and the pattern in schemas/).
 *
 * A kind's fast path is Node's synchronous crypto on stanzas of age's X25519
 * shape (see native-age.ts): whole files in one pass, worker threads, and
 * one stanza tried per identity. Kinds without one go through age-encryption.
 */
import { bech32 } from "@scure/base";
import type { Identity, Recipient, Stanza } from "age-encryption";
import { checkX25519Shape, NativeX25519Identity, NativeX25519Recipient } from "./x25519.js";

/** The kinds of key lockstep supports. */
export type KeyKind = "x25519" | "pq";

/** A recipient that wraps a file key synchronously into stanzas of age's X25519 shape. */
export interface FastRecipient {
  wrapFileKey(fileKey: Uint8Array): Stanza[];
}

/** An identity that tries one stanza synchronously, and can be handed to a worker thread. */
export interface FastIdentity {
  /** The file key, `null` if the stanza is not this identity's. @throws Error if it is, and is malformed. */
  unwrapStanza(stanza: Stanza): Uint8Array | null;
  /** The identity string, which this kind's identity parser reads back (in a worker thread). */
  encode(): string;
}

/** A parsed recipient, before it becomes an `AgeRecipient`. */
export interface RecipientParts {
  /** The recipient as manifests record it (for SSH keys, without the comment). */
  text: string;
  /** What age-encryption's Encrypter takes: an object, or a recipient string it parses itself. */
  target: Recipient | string;
  fast?: FastRecipient;
}

/** A parsed identity, before it becomes an `AgeIdentity`. */
export interface IdentityParts {
  /** The matching recipient string, for the one-stanza hint; `undefined` if it cannot be known. */
  recipient: string | undefined;
  /** What age-encryption's Decrypter takes. */
  unwrapper: Identity;
  fast?: FastIdentity;
}

/** One row of the table. */
export interface KindEntry {
  kind: KeyKind;
  recipient: {
    /** Whether a recipient string is of this kind: cheap, by its prefix. */
    matches(text: string): boolean;
    /** @throws Error if the string is of this kind but invalid. */
    parse(text: string): RecipientParts;
  };
  identity: {
    /** Whether one line of an identity file is of this kind. */
    matches(line: string): boolean;
    /** @throws Error if the line is of this kind but invalid. */
    parse(line: string): Promise<IdentityParts>;
  };
  /**
   * Checks a stanza's shape, whoever's it is: what a full scan with this
   * kind's identity would refuse, the one-stanza hint refuses too.
   * @throws Error for a malformed stanza of this kind.
   */
  checkStanza?(stanza: Stanza): void;
  /** How to get a key of this kind, for error messages. */
  help: string;
}

const x25519: KindEntry = {
  kind: "x25519",
  recipient: {
    // Bech32's data characters exclude "1": any further "1" marks another kind's prefix (age1pq1...).
    matches: (text) => text.startsWith("age1") && text.indexOf("1", 4) === -1,
    parse(text) {
      const native = new NativeX25519Recipient(text);
      return { text, target: native, fast: native };
    },
  },
  identity: {
    matches: (line) => line.startsWith("AGE-SECRET-KEY-1"),
    async parse(line) {
      const native = new NativeX25519Identity(line);
      return { recipient: native.recipient, unwrapper: native, fast: native };
    },
  },
  checkStanza: checkX25519Shape,
  help: "`lockstep keygen` or `age-keygen` (age1...)",
};

const pq: KindEntry = {
  kind: "pq",
  recipient: {
    matches: (text) => text.toLowerCase().startsWith("age1pq1"),
    parse(text) {
      // As age-encryption's HybridRecipient checks it, without loading it: a 1216-byte key.
      const { prefix, words } = bech32.decode(text as `${string}1${string}`, false);
      if (prefix.toLowerCase() !== "age1pq" || bech32.fromWords(words).length !== 1216) throw new Error("bad key");
      return { text, target: text };
    },
  },
  identity: {
    matches: (line) => line.startsWith("AGE-SECRET-KEY-PQ-1"),
    async parse(line) {
      // age-encryption does not export its hybrid identity class; its Decrypter holds one and unwraps with it.
      const { Decrypter, identityToRecipient } = await import("age-encryption");
      const d = new Decrypter();
      d.addIdentity(line);
      const recipient = await identityToRecipient(line);
      const unwrapper: Identity = {
        unwrapFileKey: (stanzas) =>
          (d as unknown as { unwrapFileKey: Identity["unwrapFileKey"] }).unwrapFileKey(stanzas),
      };
      return { recipient, unwrapper };
    },
  },
  help: "`lockstep keygen --pq` or `age-keygen -pq` (age1pq1...)",
};

/** Every kind, in the order strings are matched against them (the more specific prefixes first). */
export const KEY_KINDS: readonly KindEntry[] = [pq, x25519];

/** The entry whose recipient strings look like `text`, if any. */
export function recipientKindOf(text: string): KindEntry | undefined {
  return KEY_KINDS.find((k) => k.recipient.matches(text));
}

/** The entry whose identity lines look like `line`, if any. */
export function identityKindOf(line: string): KindEntry | undefined {
  return KEY_KINDS.find((k) => k.identity.matches(line));
}
