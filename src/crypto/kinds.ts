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
import { ECDH } from "node:crypto";
import { bech32 } from "@scure/base";
import type { Identity, Recipient, Stanza } from "age-encryption";
import type { LockstepError } from "../errors.js";
import { PluginIdentity, PluginRecipient } from "./plugin.js";
import { type KeyPrompts, terminalPrompts } from "./prompt.js";
import {
  checkSshEd25519Stanza,
  checkSshRsaStanza,
  parseSshPublicKey,
  SshEd25519Recipient,
  SshRsaRecipient,
} from "./ssh.js";
import { peekSshPrivateKey, sshIdentity } from "./ssh-private.js";
import { checkX25519Shape, NativeX25519Identity, NativeX25519Recipient } from "./x25519.js";

/** The kinds of key lockstep supports. */
export type KeyKind = "x25519" | "pq" | "tag" | "ssh-ed25519" | "ssh-rsa" | "plugin";

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
  /** The matching recipient string, derived from the key; `undefined` if the key does not tell. */
  recipient: string | undefined;
  /**
   * A recipient the identity file names beside a key that does not tell its
   * own (a plugin's `# Recipient: age1...` comment): tried first, trusted no further.
   */
  recipientHint?: string;
  /** What age-encryption's Decrypter takes. */
  unwrapper: Identity;
  fast?: FastIdentity;
  /** Why the identity could not be tried (its plugin is missing), for a decryption that found no other. */
  failure?(): LockstepError | undefined;
}

/** What parsing an identity may need besides its text. */
export interface IdentityContext {
  /** Where it comes from, for messages: a file path or a variable's name. */
  source: string;
  /** Who to ask for a passphrase or PIN. */
  prompts: KeyPrompts;
  /** A recipient named in the comment lines just above (see {@link IdentityParts.recipientHint}). */
  recipientHint?: string;
}

/** One row of the table. */
export interface KindEntry {
  kind: KeyKind;
  recipient: {
    /** Whether a recipient string is of this kind: cheap, by its form. */
    matches(text: string): boolean;
    /** @throws Error if the string is of this kind but invalid. */
    parse(text: string): RecipientParts;
  };
  /** How identities of this kind are read; none for kinds only plugins decrypt. */
  identity?: {
    /** Whether one line of an identity file is an identity of this kind. */
    line?(line: string): boolean;
    /** Whether a whole identity file is one identity of this kind (an SSH private key). */
    file?(text: string): boolean;
    /** @throws Error (or a LockstepError with its own code) if the text is of this kind but unusable. */
    parse(text: string, context: IdentityContext): Promise<IdentityParts>;
  };
  /**
   * Checks a stanza's shape, whoever's it is: what a full scan with this
   * kind's identity would refuse, the one-stanza hint refuses too.
   * @throws Error for a malformed stanza of this kind.
   */
  checkStanza?(stanza: Stanza): void;
  /** Where keys of this kind come from, for error messages. */
  help: string;
}

/** The human-readable part of a Bech32 string: everything before its last "1". */
function hrp(text: string): string {
  const at = text.lastIndexOf("1");
  return at === -1 ? "" : text.slice(0, at);
}

/** Prefixes after `age1` that age-encryption encrypts to itself; any other is a plugin's name. */
const NATIVE_AGE1 = new Set(["pq", "tag", "tagpq"]);

const x25519: KindEntry = {
  kind: "x25519",
  recipient: {
    // Bech32's data characters exclude "1": a further "1" marks another kind's prefix (age1pq1...).
    matches: (text) => text.startsWith("age1") && hrp(text) === "age",
    parse(text) {
      const native = new NativeX25519Recipient(text);
      return { text, target: native, fast: native };
    },
  },
  identity: {
    line: (line) => line.startsWith("AGE-SECRET-KEY-1"),
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
    matches: (text) => hrp(text) === "age1pq",
    parse(text) {
      // As age-encryption's HybridRecipient checks it, without loading it: a 1216-byte key.
      const { prefix, words } = bech32.decode(text as `${string}1${string}`, false);
      if (prefix.toLowerCase() !== "age1pq" || bech32.fromWords(words).length !== 1216) throw new Error("bad key");
      return { text, target: text };
    },
  },
  identity: {
    line: (line) => line.startsWith("AGE-SECRET-KEY-PQ-1"),
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

const tag: KindEntry = {
  kind: "tag",
  recipient: {
    matches: (text) => hrp(text) === "age1tag" || hrp(text) === "age1tagpq",
    parse(text) {
      // As age-encryption's TagRecipient and HybridTagRecipient check them, and the P-256 point on its curve.
      const { prefix, words } = bech32.decode(text as `${string}1${string}`, false);
      const bytes = bech32.fromWords(words);
      const p256 =
        prefix === "age1tag" && bytes.length === 33
          ? bytes
          : prefix === "age1tagpq" && bytes.length === 1249
            ? bytes.subarray(1184)
            : undefined;
      if (!p256 || !text.startsWith(prefix)) throw new Error("bad key");
      ECDH.convertKey(p256, "prime256v1"); // throws for a point not on the curve
      return { text, target: text };
    },
  },
  help: "a hardware key's plugin, e.g. age-plugin-yubikey (age1tag1...)",
};

/** An SSH public key line, for the `ssh-ed25519` and `ssh-rsa` entries. */
function sshEntry(kind: "ssh-ed25519" | "ssh-rsa", help: string): KindEntry {
  return {
    kind,
    recipient: {
      matches: (text) => text.startsWith(`${kind} `),
      parse(text) {
        const key = parseSshPublicKey(text);
        return {
          text: key.text,
          target: kind === "ssh-ed25519" ? new SshEd25519Recipient(key) : new SshRsaRecipient(key),
        };
      },
    },
    identity: {
      file: (text) => peekSshPrivateKey(text)?.type === kind,
      parse: async (text, { source, prompts }) => sshIdentity(text, source, prompts),
    },
    checkStanza: kind === "ssh-ed25519" ? checkSshEd25519Stanza : checkSshRsaStanza,
    help,
  };
}

const plugin: KindEntry = {
  kind: "plugin",
  recipient: {
    matches: (text) => text.startsWith("age1") && hrp(text).length > 4 && !NATIVE_AGE1.has(hrp(text).slice(4)),
    parse(text) {
      // Encryption asks on the terminal, if the plugin asks at all: recipients have no other context.
      return { text, target: new PluginRecipient(text, terminalPrompts) };
    },
  },
  identity: {
    line: (line) => line.startsWith("AGE-PLUGIN-"),
    async parse(line, { source, prompts, recipientHint }) {
      const unwrapper = new PluginIdentity(line, source, prompts);
      return {
        recipient: undefined,
        ...(recipientHint !== undefined && { recipientHint }),
        unwrapper,
        failure: () => unwrapper.missing,
      };
    },
  },
  help: "an age plugin, e.g. `age-plugin-yubikey` (age1NAME1...)",
};

/** Every kind, in the order strings are matched against them. */
export const KEY_KINDS: readonly KindEntry[] = [
  x25519,
  pq,
  tag,
  sshEntry(
    "ssh-ed25519",
    "`ssh-keygen -t ed25519` (ssh-ed25519 AAAA..., a line of id_ed25519.pub or github.com/USER.keys)",
  ),
  sshEntry("ssh-rsa", "`ssh-keygen -t rsa -b 4096` (ssh-rsa AAAA..., 2048 bits or more)"),
  plugin,
];

/** The entry whose recipient strings look like `text`, if any. */
export function recipientKindOf(text: string): KindEntry | undefined {
  return KEY_KINDS.find((k) => k.recipient.matches(text));
}

/** The entry whose identity lines look like `line`, if any. */
export function identityKindOf(line: string): KindEntry | undefined {
  return KEY_KINDS.find((k) => k.identity?.line?.(line));
}

/** The entry that reads a whole identity file of this form (an SSH private key), if any. */
export function identityFileKindOf(text: string): KindEntry | undefined {
  return KEY_KINDS.find((k) => k.identity?.file?.(text));
}
