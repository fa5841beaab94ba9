/**
 * What a key may need from the person running lockstep: a passphrase for an
 * encrypted key file, a PIN, a message or a confirmation for a hardware key
 * behind an age plugin. {@link terminalPrompts} asks on the controlling
 * terminal, as age and ssh do (never on stdin or stdout, which may carry
 * data), and only when lockstep runs in one.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { createRequire } from "node:module";

/** Node's tty module, loaded when a question is asked. */
const builtin = createRequire(import.meta.url) as <T>(id: string) => T;

/** How keys reach the person at the keyboard. Every method answers `undefined` when nobody can be asked. */
export interface KeyPrompts {
  /** Asks for a secret (passphrase, PIN), not echoed. */
  secret(prompt: string): Promise<string | undefined>;
  /** Asks for a public answer, echoed. */
  ask(prompt: string): Promise<string | undefined>;
  /** Shows a message (for example: touch your key). `false` if it cannot. */
  message(text: string): Promise<boolean>;
  /** Asks yes or no: `true` for `yes`, `false` for `no`. */
  confirm(prompt: string, yes: string, no?: string): Promise<boolean | undefined>;
}

/** Prompts for a process with no terminal: every answer is "nobody to ask". */
export const NO_PROMPTS: KeyPrompts = {
  secret: async () => undefined,
  ask: async () => undefined,
  message: async () => false,
  confirm: async () => undefined,
};

/**
 * The terminal, when lockstep has one: its standard input or error is a
 * terminal, and the controlling terminal opens. A command whose streams are
 * all pipes (CI, a script) is never asked, and gets a coded error instead.
 */
function openTerminal(): { fd: number; close(): void } | undefined {
  if (!process.stdin.isTTY && !process.stderr.isTTY) return undefined;
  if (process.platform === "win32") return undefined; // no /dev/tty; see terminalPrompts
  try {
    const fd = openSync("/dev/tty", "r+");
    return { fd, close: () => closeSync(fd) };
  } catch {
    return undefined; // no controlling terminal (a daemon, setsid)
  }
}

/**
 * Reads one line from the terminal, echoing it or not. Ctrl-D on an empty
 * line: `undefined`. Ctrl-C (which raw mode hands over as a character)
 * interrupts the process as it would at any other moment: SIGINT.
 */
function readLine(fd: number, prompt: string, echo: boolean): Promise<string | undefined> {
  const { ReadStream } = builtin<typeof import("node:tty")>("node:tty");
  const input = new ReadStream(fd);
  // The terminal stops echoing before the prompt shows: an answer typed as soon as the prompt appears
  // (a password manager, a fast typist) is never echoed by the terminal itself.
  input.setRawMode(true);
  writeSync(fd, prompt);
  return new Promise((resolve) => {
    let line = "";
    const finish = (answer: string | undefined) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.destroy(); // its handle, not the descriptor, which the caller closes
      writeSync(fd, "\n");
      resolve(answer);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return finish(line);
        if (ch === "\u0003") {
          // No answer: the process ends as Ctrl-C ends it (the CLI's handler releases what it holds).
          input.off("data", onData);
          input.setRawMode(false);
          input.destroy();
          writeSync(fd, "\n");
          process.kill(process.pid, "SIGINT");
          // The signal is handled on a later turn of the event loop: keep the loop alive until then.
          setTimeout(() => {}, 2000);
          return;
        }
        if (ch === "\u0004" && line === "") return finish(undefined);
        if (ch === "\u007f" || ch === "\b") {
          if (line.length > 0) {
            line = [...line].slice(0, -1).join("");
            if (echo) writeSync(fd, "\b \b");
          }
          continue;
        }
        if (ch < " ") continue;
        line += ch;
        if (echo) writeSync(fd, ch);
      }
    };
    input.on("data", onData);
  });
}

/** One question at a time: two keys asking at once would interleave on one terminal. */
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(f: () => Promise<T>): Promise<T> {
  const next = queue.then(f, f);
  queue = next.catch(() => undefined);
  return next;
}

function withTerminal<T>(f: (fd: number) => Promise<T>, none: T): Promise<T> {
  return serial(async () => {
    const tty = openTerminal();
    if (!tty) return none;
    try {
      return await f(tty.fd);
    } finally {
      tty.close();
    }
  });
}

/** Prompts on the controlling terminal (`/dev/tty`), or nobody to ask when there is none. */
export const terminalPrompts: KeyPrompts = {
  secret: (prompt) => withTerminal((fd) => readLine(fd, `${prompt} `, false), undefined),
  ask: (prompt) => withTerminal((fd) => readLine(fd, `${prompt} `, true), undefined),
  message: (text) =>
    withTerminal(async (fd) => {
      writeSync(fd, `${text}\n`);
      return true;
    }, false),
  confirm: (prompt, yes, no) =>
    withTerminal(async (fd) => {
      for (;;) {
        const answer = await readLine(fd, `${prompt} [${yes}${no === undefined ? "" : `/${no}`}] `, true);
        if (answer === undefined) return undefined;
        if (answer === yes) return true;
        if (no !== undefined && answer === no) return false;
      }
    }, undefined),
};
