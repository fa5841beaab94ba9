/**
 * SSH private key files as identities, as `age -i ~/.ssh/id_ed25519` reads
 * them: OpenSSH's format (what ssh-keygen writes), with or without a
 * passphrase, and PEM RSA keys. sshpk decodes them (bcrypt-pbkdf and the
 * ciphers of encrypted keys included); the stanzas are ssh.ts's.
 *
 * An encrypted OpenSSH key shows its public key without the passphrase, so
 * its recipient is known at once (for the one-stanza hint), and the
 * passphrase is asked only when a file has a stanza for this key.
 */
import { createPrivateKey } from "node:crypto";
import type { Identity, Stanza } from "age-encryption";
import { LockstepError, NoIdentityError } from "../errors.js";
import type { KeyPrompts } from "./prompt.js";
import {
  checkSshEd25519Stanza,
  checkSshRsaStanza,
  SshEd25519Identity,
  type SshKeyType,
  SshRsaIdentity,
  tagOf,
  WireReader,
} from "./ssh.js";

/** What a private key file shows before any passphrase. */
export interface SshKeyPeek {
  /** The key's type; `other` for types age does not encrypt to (ECDSA, security keys). */
  type: SshKeyType | "other";
  /** The type as the file names it, for messages. */
  name: string;
  encrypted: boolean;
  /** The public key's wire form, which OpenSSH's format keeps outside the encryption. */
  wire?: Uint8Array;
}

const OPENSSH = "-----BEGIN OPENSSH PRIVATE KEY-----";
const PEM_RSA = "-----BEGIN RSA PRIVATE KEY-----";

/** The type and state of an SSH private key file; `undefined` if `text` is not one. */
export function peekSshPrivateKey(text: string): SshKeyPeek | undefined {
  const t = text.trim();
  if (t.startsWith(PEM_RSA))
    return { type: "ssh-rsa", name: "ssh-rsa", encrypted: /^Proc-Type:\s*4,ENCRYPTED/m.test(t) };
  if (!t.startsWith(OPENSSH)) return undefined;
  try {
    // openssh-key-v1: magic, cipher, kdf, kdf options, key count, then the first public key.
    const buf = Buffer.from(t.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
    const magic = Buffer.from("openssh-key-v1\0");
    if (!buf.subarray(0, magic.length).equals(magic)) throw new Error("not openssh-key-v1");
    const r = new WireReader(buf.subarray(magic.length));
    const cipher = r.string().toString("latin1");
    r.string(); // kdf
    r.string(); // kdf options
    r.uint32(); // number of keys
    const wire = r.string();
    const name = new WireReader(wire).string().toString("latin1");
    const type = name === "ssh-ed25519" || name === "ssh-rsa" ? name : "other";
    return { type, name, encrypted: cipher !== "none", wire: new Uint8Array(wire) };
  } catch {
    return { type: "other", name: "unreadable", encrypted: false };
  }
}

/**
 * An SSH private key file as an identity: its recipient (`TYPE BASE64`) and
 * the identity that unwraps its stanzas.
 * @throws LockstepError `PASSPHRASE_REQUIRED` for an encrypted PEM key without a terminal
 *   (an encrypted OpenSSH key asks only when used); `NO_IDENTITY` for a wrong passphrase; Error for a bad key.
 */
export async function sshIdentity(
  text: string,
  source: string,
  prompts: KeyPrompts,
): Promise<{ recipient: string; unwrapper: Identity }> {
  const peek = peekSshPrivateKey(text);
  if (!peek || peek.type === "other") throw new Error(`an SSH key of type ${peek?.name ?? "unknown"}`);
  if (peek.encrypted && peek.wire) {
    const recipient = `${peek.type} ${Buffer.from(peek.wire).toString("base64")}`;
    const open = async () => {
      const id = await decode(text, source, prompts, true);
      if (id.recipient !== recipient) throw new Error("the private key does not match its public key");
      return id;
    };
    return { recipient, unwrapper: new LockedSshIdentity(peek.type, peek.wire, open) };
  }
  const id = await decode(text, source, prompts, peek.encrypted);
  return { recipient: id.recipient, unwrapper: id };
}

/** Decodes the key, asking for its passphrase (three tries, as ssh gives) when it has one. */
async function decode(
  text: string,
  source: string,
  prompts: KeyPrompts,
  encrypted: boolean,
): Promise<SshEd25519Identity | SshRsaIdentity> {
  const { default: sshpk } = await import("sshpk");
  for (let attempt = 1; ; attempt++) {
    let passphrase: string | undefined;
    if (encrypted) {
      passphrase = await prompts.secret(`Enter passphrase for "${source}":`);
      if (passphrase === undefined) throw passphraseRequired(source, attempt > 1);
    }
    let key: import("sshpk").PrivateKey;
    try {
      key = sshpk.parsePrivateKey(text, "auto", { filename: source, ...(passphrase !== undefined && { passphrase }) });
    } catch (e) {
      if (!encrypted) throw e;
      if (attempt < 3) continue;
      throw new NoIdentityError(`the passphrase does not open ${source}`, {
        file: source,
        fix: "try again with the key's passphrase (`ssh-keygen -y -f FILE` checks it)",
        cause: e,
      });
    }
    const part = (name: string) => key.parts.find((p) => p.name === name)?.data;
    if (key.type === "ed25519") {
      const seed = part("k");
      const pub = part("A");
      if (seed?.length !== 32 || pub?.length !== 32) throw new Error("an Ed25519 key of the wrong size");
      return new SshEd25519Identity(seed, pub);
    }
    if (key.type === "rsa") {
      return new SshRsaIdentity(key.toPublic().toBuffer("rfc4253"), createPrivateKey(key.toString("pkcs8")));
    }
    throw new Error(`an SSH key of type ${key.type}`);
  }
}

/** A coded error: the key needs a passphrase and nobody can be asked (or the person gave none). */
export function passphraseRequired(source: string, cancelled = false): LockstepError {
  return new LockstepError(
    "PASSPHRASE_REQUIRED",
    cancelled
      ? `no passphrase given for ${source}`
      : `${source} is protected by a passphrase, and lockstep runs without a terminal to ask for it`,
    {
      file: source,
      fix: "run the command in a terminal to type the passphrase; for CI, give the job a key of its own without one (`lockstep keygen`, then LOCKSTEP_AGE_KEY)",
    },
  );
}

/** An encrypted SSH key, opened with its passphrase the first time a file has a stanza for it. */
class LockedSshIdentity implements Identity {
  private readonly tag: string;
  private opened: Promise<Identity> | undefined;

  constructor(
    private readonly type: SshKeyType,
    wire: Uint8Array,
    private readonly open: () => Promise<Identity>,
  ) {
    this.tag = tagOf(wire);
  }

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    const check = this.type === "ssh-ed25519" ? checkSshEd25519Stanza : checkSshRsaStanza;
    for (const s of stanzas) check(s);
    if (!stanzas.some((s) => s.args[0] === this.type && s.args[1] === this.tag)) return null;
    // One passphrase prompt, however many files ask at once; a failure stays the answer.
    this.opened ??= this.open();
    return (await this.opened).unwrapFileKey(stanzas);
  }
}
