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
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { createRequire } from "node:module";
import { base64nopad, bech32 } from "@scure/base";
import type { Identity, Recipient, Stanza } from "age-encryption";
import { LockstepError, NoIdentityError } from "../errors.js";
import type { KeyPrompts } from "./prompt.js";

/** Node's child_process and readline, loaded when a plugin runs: the CLI's start-up never pays for them. */
const builtin = createRequire(import.meta.url) as <T>(id: string) => T;

/** A plugin's name: what follows `age-plugin-` in its program's name. Letters, digits and `.`, `_`, `+`, `-`. */
const NAME = /^[a-z0-9][a-z0-9._+-]*$/;

/** How to install the plugins people ask about most; others get the general pointer. */
const INSTALL: Record<string, string> = {
  yubikey:
    "`brew install age-plugin-yubikey`, `cargo install age-plugin-yubikey`, or a release from https://github.com/str4d/age-plugin-yubikey",
  se: "`brew install age-plugin-se`, or a release from https://github.com/remko/age-plugin-se",
  tpm: "`go install github.com/foxboron/age-plugin-tpm/cmd/age-plugin-tpm@latest`",
  "fido2-hmac": "a release from https://github.com/olastor/age-plugin-fido2-hmac",
};

/** How to install `age-plugin-NAME`, for messages. */
export function installHint(name: string): string {
  const known = INSTALL[name];
  return `install age-plugin-${name} and put it on PATH${known ? `: ${known}` : " (plugins are listed at https://github.com/FiloSottile/awesome-age#plugins)"}`;
}

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

/** A stanza of the protocol: a command and its arguments, and a body. */
interface Message {
  args: string[];
  body: Uint8Array;
}

/** A stanza in age's header encoding: the arguments line, then the body in base64 lines of 64 columns, the last one shorter. */
function encode(args: readonly string[], body: Uint8Array = new Uint8Array(0)): string {
  const b64 = base64nopad.encode(body);
  let text = `-> ${args.join(" ")}\n`;
  for (let i = 0; i + 64 <= b64.length; i += 64) text += `${b64.slice(i, i + 64)}\n`;
  return `${text}${b64.slice(b64.length - (b64.length % 64))}\n`;
}

/** One running plugin: messages out on its stdin, in from its stdout. */
class Session {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = "";
  private spawnError: NodeJS.ErrnoException | undefined;
  private exited: Promise<number | null>;

  constructor(
    readonly plugin: string,
    machine: "recipient-v1" | "identity-v1",
  ) {
    const { spawn } = builtin<typeof import("node:child_process")>("node:child_process");
    const { createInterface } = builtin<typeof import("node:readline")>("node:readline");
    this.child = spawn(`age-plugin-${plugin}`, [`--age-plugin=${machine}`], { stdio: ["pipe", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => {
      this.child.on("error", (e) => {
        this.spawnError = e;
        resolve(null);
      });
      this.child.on("close", (code) => resolve(code));
    });
    this.child.stdin.on("error", () => {}); // a plugin that ended early: reported when its answer is missing
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (d: string) => {
      this.stderr = (this.stderr + d).slice(-2000);
    });
    this.lines = createInterface({ input: this.child.stdout, crlfDelay: Number.POSITIVE_INFINITY })[
      Symbol.asyncIterator
    ]();
  }

  send(args: readonly string[], body?: Uint8Array): void {
    this.child.stdin.write(encode(args, body));
  }

  /** The plugin's next message; throws if it ended or spoke out of protocol. */
  async receive(): Promise<Message> {
    const first = await this.lines.next();
    if (first.done) throw await this.ended();
    if (!first.value.startsWith("-> ")) throw this.protocolError(`a line that is not a stanza`);
    const args = first.value.slice(3).split(" ");
    let b64 = "";
    for (;;) {
      const line = await this.lines.next();
      if (line.done) throw await this.ended();
      if (line.value.length > 64) throw this.protocolError("a body line longer than 64 columns");
      b64 += line.value;
      if (line.value.length < 64) break;
    }
    try {
      return { args, body: base64nopad.decode(b64) };
    } catch {
      throw this.protocolError("a body that is not canonical base64");
    }
  }

  /** Ends the session: stdin closed, the process awaited. */
  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }

  /** Why the plugin's output ended: it is not installed, or it failed. */
  private async ended(): Promise<LockstepError> {
    const code = await this.exited;
    if (this.spawnError?.code === "ENOENT") {
      return new LockstepError(
        "PLUGIN_MISSING",
        `age plugin "${this.plugin}" is not installed: no age-plugin-${this.plugin} on PATH`,
        {
          fix: installHint(this.plugin),
          cause: this.spawnError,
        },
      );
    }
    const why = this.spawnError
      ? this.spawnError.message
      : `it exited with ${code === null ? "a signal" : `code ${code}`}`;
    return new LockstepError("IO", `age-plugin-${this.plugin} failed: ${why}${this.stderrText()}`, {
      fix: `check that age-plugin-${this.plugin} works with the age CLI`,
    });
  }

  private protocolError(what: string): LockstepError {
    this.child.kill();
    return new LockstepError("IO", `age-plugin-${this.plugin} sent ${what}, out of the age plugin protocol`, {
      fix: `update age-plugin-${this.plugin}, or report it to its authors`,
    });
  }

  stderrText(): string {
    const text = this.stderr.trim();
    return text === "" ? "" : `; it said: ${text.slice(-500)}`;
  }
}

/** Answers the requests any phase-2 controller may make of the client; `false` for a command it does not know. */
async function answerCommon(session: Session, m: Message, prompts: KeyPrompts): Promise<boolean> {
  const text = new TextDecoder().decode(m.body);
  const who = `age-plugin-${session.plugin}`;
  switch (m.args[0]) {
    case "msg":
      if (await prompts.message(`${who}: ${text}`)) session.send(["ok"]);
      else session.send(["fail"]);
      return true;
    case "confirm": {
      const decode = (s: string | undefined) =>
        s === undefined ? undefined : new TextDecoder().decode(base64nopad.decode(s));
      const yes = decode(m.args[1]) ?? "yes";
      const answer = await prompts.confirm(`${who}: ${text}`, yes, decode(m.args[2]));
      session.send(answer === undefined ? ["fail"] : ["ok", answer ? "yes" : "no"]);
      return true;
    }
    case "request-public":
    case "request-secret": {
      const answer =
        m.args[0] === "request-secret" ? await prompts.secret(`${who}: ${text}`) : await prompts.ask(`${who}: ${text}`);
      if (answer === undefined) session.send(["fail"]);
      else session.send(["ok"], new TextEncoder().encode(answer));
      return true;
    }
    default:
      return false;
  }
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

  /** @throws Error if `text` is not an age plugin identity. */
  constructor(text: string, source: string, prompts: KeyPrompts) {
    this.plugin = pluginOfIdentity(text);
    this.batcher = new Batcher((files) => unwrapBatch(this.plugin, text, source, files, prompts));
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
