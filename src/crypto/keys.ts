/**
 * Key strings parsed into objects that cannot be invalid: recipients and
 * identities of every kind in the table of key kinds (kinds.ts), and
 * identity files in age-keygen's format.
 */
import type { Identity, Recipient, Stanza } from "age-encryption";
import { LockstepError, NoIdentityError } from "../errors.js";
import {
  type FastIdentity,
  type FastRecipient,
  type IdentityContext,
  type IdentityParts,
  identityFileKindOf,
  identityKindOf,
  KEY_KINDS,
  type KeyKind,
  type KindEntry,
  type RecipientParts,
  recipientKindOf,
} from "./kinds.js";
import { type KeyPrompts, terminalPrompts } from "./prompt.js";
import { decryptWithPassphrase, isAgeFile } from "./scrypt.js";
import { passphraseRequired, peekSshPrivateKey } from "./ssh-private.js";
import { generateNativeX25519Identity, NativeX25519Identity } from "./x25519.js";

export type { KeyKind } from "./kinds.js";

const parsedRecipients = new Map<string, AgeRecipient>();

/**
 * The recipient string a version records for a key as access.yaml gives it:
 * the same string, but for an SSH key line's comment, which is dropped. A
 * string of no kind comes back as it is (`check` reports it).
 */
export function recipientText(key: string): string {
  if (key.indexOf(" ") === -1 && key.indexOf("\t") === -1) return key; // the age1... kinds: no parse needed
  try {
    return AgeRecipient.parse(key).text;
  } catch {
    return key;
  }
}

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

/** Options for reading identities. */
export interface IdentityOptions {
  /** Who to ask for a passphrase or a PIN (default: the terminal, when there is one). */
  prompts?: KeyPrompts;
}

/** A validated age identity (private key), of any kind in the table (see kinds.ts). */
export class AgeIdentity {
  /** Its kind. */
  readonly kind: KeyKind;
  /**
   * The matching recipient string, derived from the key: a manifest that
   * lists it points this identity at its stanza, and a stanza there that does
   * not open is tampering. `undefined` when the key does not tell (a plugin's).
   */
  readonly recipient: string | undefined;
  /** The recipient to try first: {@link recipient}, else one the identity file names beside the key. */
  readonly recipientHint: string | undefined;
  /** Where it came from, for messages: a file path or the variable's name. */
  readonly source: string;
  /** The age-encryption identity that unwraps this key's stanzas. */
  readonly unwrapper: Identity;
  /** The fast path's identity, for kinds that have one (X25519): it tries one stanza, and goes to worker threads. */
  readonly fast: FastIdentity | undefined;
  /** Its kind's stanza check (see `KindEntry.checkStanza`), if the kind has one. */
  readonly checkStanza: ((stanza: Stanza) => void) | undefined;
  private readonly why: (() => LockstepError | undefined) | undefined;

  private constructor(entry: KindEntry, source: string, parts: IdentityParts) {
    this.kind = entry.kind;
    this.recipient = parts.recipient;
    this.recipientHint = parts.recipient ?? parts.recipientHint;
    this.source = source;
    this.unwrapper = parts.unwrapper;
    this.fast = parts.fast;
    this.checkStanza = entry.checkStanza;
    this.why = parts.failure;
  }

  /** Why this identity could not be tried (its plugin is not installed), if so. */
  failure(): LockstepError | undefined {
    return this.why?.();
  }

  /**
   * Parses one identity string (a line of an identity file).
   * @throws LockstepError `INVALID_KEY` if it is not a valid identity of a known kind.
   */
  static async parse(text: string, source: string, options: IdentityOptions = {}): Promise<AgeIdentity> {
    return AgeIdentity.ofEntry(identityKindOf(text), text, {
      source,
      prompts: options.prompts ?? terminalPrompts,
    });
  }

  /** The identities of an identity file: see {@link parseIdentityFile}. */
  static async parseFile(
    input: string | Uint8Array,
    source: string,
    options: IdentityOptions = {},
  ): Promise<AgeIdentity[]> {
    const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
    if (isAgeFile(bytes))
      return AgeIdentity.parseFile(await openWithPassphrase(bytes, source, options), source, options);
    const text = typeof input === "string" ? input : Buffer.from(bytes).toString("utf8");
    const prompts = options.prompts ?? terminalPrompts;
    // A whole file one kind reads (an SSH private key), else lines of age-keygen's format.
    const wholeFile = identityFileKindOf(text);
    if (wholeFile) return [await AgeIdentity.ofEntry(wholeFile, text, { source, prompts })];
    if (text.trimStart().startsWith("-----BEGIN")) {
      const peek = peekSshPrivateKey(text);
      throw new LockstepError(
        "INVALID_KEY",
        `${source} is ${peek ? `an SSH key of type ${peek.name}` : "a PEM key"}, which age does not decrypt with`,
        {
          file: source,
          fix: "age uses ssh-ed25519 and ssh-rsa keys (`ssh-keygen -t ed25519`), and age identities (`lockstep keygen`)",
        },
      );
    }
    const identities: AgeIdentity[] = [];
    const lines = text.split(/\r?\n/);
    let hint: string | undefined;
    for (const [i, raw] of lines.entries()) {
      const line = raw.trim();
      const named = RECIPIENT_COMMENT.exec(line)?.[1];
      if (named !== undefined) hint = named;
      if (line === "") hint = undefined;
      if (line === "" || line.startsWith("#")) continue;
      const entry = identityKindOf(line);
      if (!entry && recipientKindOf(line)) {
        // A public key (`id_ed25519.pub`, a `.keys` line, an age1... recipient) given where the private key goes.
        throw new LockstepError(
          "INVALID_KEY",
          `${source}:${i + 1}: this is a public key (a recipient), not an identity`,
          {
            file: source,
            line: i + 1,
            fix: source.endsWith(".pub")
              ? `give the private key beside it: --identity ${source.slice(0, -".pub".length)}`
              : "give the private key that goes with it (AGE-SECRET-KEY-... from `lockstep keygen`, or an SSH private key); public keys go in access.yaml",
          },
        );
      }
      if (!entry) {
        throw new LockstepError("INVALID_KEY", `${source}:${i + 1}: not an age identity line`, {
          file: source,
          line: i + 1,
          fix: "an identity file holds AGE-SECRET-KEY-... (or AGE-PLUGIN-...) lines, as written by `lockstep keygen`, or is an SSH private key",
        });
      }
      const context = { source, prompts, ...(hint !== undefined && { recipientHint: hint }) };
      hint = undefined;
      try {
        identities.push(await AgeIdentity.ofEntry(entry, line, context));
      } catch (e) {
        if (e instanceof LockstepError && e.code !== "INVALID_KEY") throw e;
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

  private static async ofEntry(
    entry: KindEntry | undefined,
    text: string,
    context: IdentityContext,
  ): Promise<AgeIdentity> {
    try {
      if (!entry?.identity) throw new Error("no key kind has this form");
      return new AgeIdentity(entry, context.source, await entry.identity.parse(text, context));
    } catch (e) {
      if (e instanceof LockstepError) throw e; // a passphrase that is missing or wrong says so itself
      throw new LockstepError("INVALID_KEY", `${context.source} holds a key that is not a valid age identity`, {
        file: context.source,
        fix: `use an identity of a kind lockstep knows: ${KEY_KINDS.map((k) => k.help).join("; ")}`,
        cause: e,
      });
    }
  }
}

/** A comment naming the recipient of the identity below it: `# public key: age1...` (age-keygen), `#    Recipient: age1...` (plugins). */
const RECIPIENT_COMMENT = /^#\s*(?:public key|recipient)\s*:\s*(\S+)\s*$/i;

/**
 * Parses an identity file: age-keygen's format (one key per line, `#`
 * comments and blank lines ignored; `AGE-SECRET-KEY-1...`,
 * `AGE-SECRET-KEY-PQ-1...`, `AGE-PLUGIN-...`), an SSH private key, or
 * either of those encrypted with a passphrase (`age -p`), which is asked for.
 * @throws LockstepError `INVALID_KEY` naming the file and line of a bad line;
 *   `PASSPHRASE_REQUIRED` for an encrypted file with nobody to ask; `NO_IDENTITY` for a wrong passphrase.
 */
export function parseIdentityFile(
  input: string | Uint8Array,
  source: string,
  options: IdentityOptions = {},
): Promise<AgeIdentity[]> {
  return AgeIdentity.parseFile(input, source, options);
}

/** The plaintext of a passphrase-encrypted identity file, asking for the passphrase (three tries). */
async function openWithPassphrase(file: Uint8Array, source: string, options: IdentityOptions): Promise<Uint8Array> {
  const prompts = options.prompts ?? terminalPrompts;
  for (let attempt = 1; ; attempt++) {
    const passphrase = await prompts.secret(`Enter passphrase for identity file "${source}":`);
    if (passphrase === undefined) throw passphraseRequired(source, attempt > 1);
    let plaintext: Uint8Array | null;
    try {
      plaintext = await decryptWithPassphrase(file, passphrase);
    } catch (e) {
      throw new LockstepError(
        "INVALID_KEY",
        `${source} is an age file, but not an identity file encrypted with a passphrase`,
        {
          file: source,
          fix: "encrypt an identity file with `age -p -o FILE KEYFILE`, or give the key file itself",
          cause: e,
        },
      );
    }
    if (plaintext && isAgeFile(plaintext)) {
      throw new LockstepError("INVALID_KEY", `${source} holds another encrypted file, not identities`, {
        file: source,
      });
    }
    if (plaintext) return plaintext;
    if (attempt >= 3) {
      throw new NoIdentityError(`the passphrase does not open ${source}`, {
        file: source,
        fix: "try again with the passphrase the file was encrypted with (`age -d FILE` checks it)",
      });
    }
  }
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
