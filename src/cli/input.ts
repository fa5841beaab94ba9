/**
 * Reading a secret value from the user: a file, a pipe, or a hidden prompt.
 * A value is bytes: nothing here decodes or re-encodes it.
 */
import { readFile } from "node:fs/promises";
import { LockstepError, UsageError } from "../errors.js";
import { EMPTY_INPUT, feedHidden, HIDDEN_PROMPT, type HiddenInput } from "./hidden-input.js";

/** Reads all of stdin, as bytes. */
export async function readStdinBytes(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads a file's exact bytes; `-` is stdin. */
export async function readInputBytes(path: string): Promise<Buffer> {
  if (path === "-") return readStdinBytes();
  try {
    return await readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, {
      file: path,
      cause: e,
    });
  }
}

/**
 * Reads a text input (a .env or JSON file to import; stdin without `path`)
 * as UTF-8, exactly.
 * @throws LockstepError `INVALID_VALUE` when it is not UTF-8 text.
 */
export async function readInputText(path: string | undefined): Promise<string> {
  const bytes = path === undefined ? await readStdinBytes() : await readInputBytes(path);
  let text: string;
  try {
    // Exact: no U+FFFD for a bad byte, and a leading byte order mark kept for the reader to judge.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const source = path ?? "stdin";
    throw new LockstepError("INVALID_VALUE", `${source} is not UTF-8 text`, {
      file: source,
      fix: "save the file as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8), or set values that are bytes one by one with lockstep set --file",
    });
  }
  return text;
}

/**
 * Asks for a value on the terminal without echoing it, reading to end of
 * input (Ctrl-D), so that a pasted multi-line value is kept whole (see
 * hidden-input.ts).
 */
async function promptHidden(): Promise<string> {
  const stdin = process.stdin;
  // Raw before the prompt shows: a key pressed at once must not reach the terminal's line editing.
  stdin.setRawMode(true);
  process.stderr.write(HIDDEN_PROMPT);
  stdin.resume();
  let input: HiddenInput = EMPTY_INPUT;
  try {
    await new Promise<void>((resolve) => {
      const onData = (buf: Buffer) => {
        input = feedHidden(input, buf.toString("utf8"));
        if (input.state === "reading") return;
        stdin.off("data", onData);
        resolve();
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write("\n");
  }
  if (input.state === "cancelled") throw new UsageError("cancelled; nothing written");
  return input.text;
}

/**
 * The value for `set`, as bytes: from `--file` exactly as the file holds
 * it; from a pipe without its one final line break (what `echo` adds); from
 * a hidden prompt on a terminal, to Ctrl-D.
 */
export async function readValue(file: string | undefined): Promise<Uint8Array> {
  if (file !== undefined) return readInputBytes(file);
  if (process.stdin.isTTY) return Buffer.from(await promptHidden(), "utf8");
  const bytes = await readStdinBytes();
  const end = bytes.at(-1) === 0x0a ? (bytes.at(-2) === 0x0d ? 2 : 1) : 0;
  return bytes.subarray(0, bytes.length - end);
}
