/**
 * age plugins: recipients `age1NAME1...` and identities
 * `AGE-PLUGIN-NAME-1...`, handled by the program `age-plugin-NAME` found on
 * PATH, as the age CLI runs it, through the plugin protocol
 * (https://c2sp.org/age-plugin): the `recipient-v1` state machine wraps file
 * keys, `identity-v1` unwraps them. Hardware keys (YubiKey, Secure Enclave,
 * TPM) work this way.
 *
 * Each plugin start can mean a PIN or a touch, so requests are batched: while
 * one session of a plugin runs, the files that arrive wait for the next
 * one, which takes them all (the protocol carries many files a session).
 * Encryption runs one session per recipient, so that every recipient gets
 * exactly one stanza a file, in the order manifests record.
 */
import { bech32 } from "@scure/base";
import type { Identity, Recipient, Stanza } from "age-encryption";
import { LockstepError, NoIdentityError } from "../errors.js";
import { answerCommon, Session } from "./plugin-session.js";
import type { KeyPrompts } from "./prompt.js";

/** A plugin's name: what follows `age-plugin-` in its program's name. Letters, digits and `.`, `_`, `+`, `-`. */
const NAME = /^[a-z0-9][a-z0-9._+-]*$/;

/**
 * The plugin name of an `age1NAME1...` recipient.
 * @throws Error if it is not valid Bech32 with such a prefix.
 */
export function pluginOfRecipient(text: string): string {
  const { prefix } = bech32.decode(text as `${string}1${string}`, false);
  const name = prefix.toLowerCase().startsWith("age1") ? prefix.slice(4).toLowerCase() : "";
  if (!NAME.test(name) || text !== text.toLowerCase()) throw new Error("not an age plugin recipient");
  return name;
}

/**
 * The plugin name of an `AGE-PLUGIN-NAME-1...` identity.
 * @throws Error if it is not valid Bech32 with such a prefix.
 */
export function pluginOfIdentity(text: string): string {
  const { prefix } = bech32.decode(text as `${string}1${string}`, false);
  const p = prefix.toUpperCase();
  const name = p.startsWith("AGE-PLUGIN-") && p.endsWith("-") ? p.slice(11, -1).toLowerCase() : "";
  if (!NAME.test(name) || text !== text.toUpperCase()) throw new Error("not an age plugin identity");
  return name;
}

/**
 * Wraps each file key to one recipient through its plugin: one stanza per file key.
 * @throws LockstepError `PLUGIN_MISSING` when the plugin is not on PATH, `INVALID_KEY` when it refuses the recipient.
 */
async function wrapBatch(plugin: string, recipient: string, fileKeys: readonly Uint8Array[], prompts: KeyPrompts) {
  const session = new Session(plugin, "recipient-v1");
  try {
    session.send(["add-recipient", recipient]);
    for (const key of fileKeys) session.send(["wrap-file-key"], key);
    session.send(["done"]);
    const stanzas: Stanza[][] = fileKeys.map(() => []);
    const errors: string[] = [];
    for (;;) {
      const m = await session.receive();
      const [command, ...args] = m.args;
      if (command === "done") break;
      if (command === "recipient-stanza") {
        const file = stanzas[Number(args[0])];
        if (file === undefined || args.length < 2) throw new Error(`a recipient-stanza for no file: ${args[0]}`);
        file.push({ args: args.slice(1), body: m.body });
        session.send(["ok"]);
      } else if (command === "error") {
        errors.push(new TextDecoder().decode(m.body));
        session.send(["ok"]);
      } else if (!(await answerCommon(session, m, prompts))) {
        session.send(["unsupported"]);
      }
    }
    if (errors.length > 0) {
      throw new LockstepError(
        "INVALID_KEY",
        `age-plugin-${plugin} cannot encrypt to ${abbreviate(recipient)}: ${errors.join("; ")}`,
        {
          fix: `check the recipient with the plugin's own tools (age-plugin-${plugin} --help)`,
        },
      );
    }
    for (const s of stanzas) {
      if (s.length !== 1) {
        throw new LockstepError("IO", `age-plugin-${plugin} returned ${s.length} stanzas for one recipient`, {
          fix: `update age-plugin-${plugin}, or report it to its authors`,
        });
      }
    }
    return stanzas.map((s) => s[0] as Stanza);
  } finally {
    await session.close();
  }
}

/** What a session of `identity-v1` found for each file: its file key, a malformed stanza, or nothing. */
type Unwrapped = { fileKey: Uint8Array } | { malformed: string } | undefined;

/**
 * Tries one identity's plugin on each file's stanzas.
 * @throws LockstepError `PLUGIN_MISSING` when the plugin is not on PATH; `NO_IDENTITY` when it cannot use the identity.
 */
async function unwrapBatch(
  plugin: string,
  identity: string,
  source: string,
  files: readonly Stanza[][],
  prompts: KeyPrompts,
): Promise<Unwrapped[]> {
  const session = new Session(plugin, "identity-v1");
  try {
    session.send(["add-identity", identity]);
    for (const [i, stanzas] of files.entries())
      for (const s of stanzas) session.send(["recipient-stanza", String(i), ...s.args], s.body);
    session.send(["done"]);
    const out: Unwrapped[] = files.map(() => undefined);
    const failures: string[] = [];
    for (;;) {
      const m = await session.receive();
      const [command, ...args] = m.args;
      if (command === "done") break;
      if (command === "file-key") {
        const i = Number(args[0]);
        if (!(i in out) || m.body.length !== 16) throw new Error("a file key out of protocol");
        if (out[i] === undefined) out[i] = { fileKey: m.body };
        session.send(["ok"]);
      } else if (command === "error") {
        const message = new TextDecoder().decode(m.body);
        if (args[0] === "stanza" && Number(args[1]) in out) out[Number(args[1])] = { malformed: message };
        else failures.push(message);
        session.send(["ok"]);
      } else if (!(await answerCommon(session, m, prompts))) {
        session.send(["unsupported"]);
      }
    }
    if (failures.length > 0) {
      throw new NoIdentityError(`age-plugin-${plugin} cannot use the identity in ${source}: ${failures.join("; ")}`, {
        file: source,
        fix: `check the key with the plugin's own tools (age-plugin-${plugin} --help)${session.stderrText()}`,
      });
    }
    return out;
  } finally {
    await session.close();
  }
}

/** Runs jobs in batches: the jobs that arrive while a batch runs make the next batch. */
class Batcher<In, Out> {
  private pending: { input: In; resolve(o: Out): void; reject(e: unknown): void }[] = [];
  private running = false;

  constructor(private readonly run: (inputs: In[]) => Promise<Out[]>) {}

  add(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.running || this.pending.length === 0) return;
    this.running = true;
    // The jobs that the current event-loop turn adds join this batch.
    setImmediate(async () => {
      const batch = this.pending.splice(0);
      try {
        const out = await this.run(batch.map((b) => b.input));
        for (const [i, b] of batch.entries()) b.resolve(out[i] as Out);
      } catch (e) {
        for (const b of batch) b.reject(e);
      } finally {
        this.running = false;
        this.kick();
      }
    });
  }
}

/** An `age1NAME1...` recipient, wrapped by its plugin. */
export class PluginRecipient implements Recipient {
  /** The plugin's name. */
  readonly plugin: string;
  private readonly batcher: Batcher<Uint8Array, Stanza>;

  /** @throws Error if `text` is not an age plugin recipient. */
  constructor(
    readonly text: string,
    prompts: KeyPrompts,
  ) {
    this.plugin = pluginOfRecipient(text);
    this.batcher = new Batcher((keys) => wrapBatch(this.plugin, text, keys, prompts));
  }

  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    return [await this.batcher.add(fileKey)];
  }
}

/** An `AGE-PLUGIN-NAME-1...` identity, unwrapped by its plugin. */
export class PluginIdentity implements Identity {
  /** The plugin's name. */
  readonly plugin: string;
  /** Set when the plugin is not installed: this identity then opens nothing, and a decryption that finds no other reports it. */
  missing: LockstepError | undefined;
  private readonly batcher: Batcher<Stanza[], Unwrapped>;
  /**
   * Secrets (a PIN) the person gave in a session that then opened a file,
   * by prompt: later sessions of this command answer them again rather
   * than ask once per batch. A session that fails forgets what it used,
   * so a wrong PIN is never sent twice (hardware keys lock after a few).
   */
  private readonly remembered = new Map<string, string>();

  /** @throws Error if `text` is not an age plugin identity. */
  constructor(text: string, source: string, prompts: KeyPrompts) {
    this.plugin = pluginOfIdentity(text);
    this.batcher = new Batcher((files) => this.session(text, source, files, prompts));
  }

  private async session(text: string, source: string, files: Stanza[][], prompts: KeyPrompts): Promise<Unwrapped[]> {
    const given = new Map<string, string>();
    const reused = new Set<string>();
    const remembering: KeyPrompts = {
      ...prompts,
      secret: async (prompt) => {
        const known = this.remembered.get(prompt);
        if (known !== undefined) {
          reused.add(prompt);
          return known;
        }
        const answer = await prompts.secret(prompt);
        if (answer !== undefined) given.set(prompt, answer);
        return answer;
      },
    };
    let out: Unwrapped[];
    try {
      out = await unwrapBatch(this.plugin, text, source, files, remembering);
    } catch (e) {
      for (const prompt of reused) this.remembered.delete(prompt);
      throw e;
    }
    if (out.some((u) => u !== undefined && "fileKey" in u))
      for (const [prompt, answer] of given) this.remembered.set(prompt, answer);
    return out;
  }

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    if (this.missing) return null;
    let found: Unwrapped;
    try {
      found = await this.batcher.add(stanzas);
    } catch (e) {
      // As the age CLI may: an identity whose plugin is missing is skipped, for another identity to open the file.
      if (e instanceof LockstepError && e.code === "PLUGIN_MISSING") {
        this.missing = e;
        return null;
      }
      throw e;
    }
    if (found === undefined) return null;
    if ("malformed" in found) throw new Error(`age-plugin-${this.plugin}: ${found.malformed}`);
    return found.fileKey;
  }
}

function abbreviate(s: string): string {
  return s.length > 24 ? `${s.slice(0, 20)}...` : s;
}
