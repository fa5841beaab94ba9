/**
 * One run of an age plugin program: the plugin protocol's messages (age
 * stanzas, https://c2sp.org/age-plugin) out on its stdin and in from its
 * stdout, and the answers to the requests a plugin may make of the client
 * (a message, a confirmation, a PIN) through the key prompts.
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { createRequire } from "node:module";
import { base64nopad } from "@scure/base";
import { LockstepError } from "../errors.js";
import type { KeyPrompts } from "./prompt.js";

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

/** Node's child_process and readline, loaded when a plugin runs: the CLI's start-up never pays for them. */
const builtin = createRequire(import.meta.url) as <T>(id: string) => T;

/** A stanza of the protocol: a command and its arguments, and a body. */
export interface Message {
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
export class Session {
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
export async function answerCommon(session: Session, m: Message, prompts: KeyPrompts): Promise<boolean> {
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
