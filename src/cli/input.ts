/**
 * Reading a secret value from the user: a file, a pipe, or a hidden prompt.
 */
import { readFile } from "node:fs/promises";
import { UsageError } from "../errors.js";

/** Reads all of stdin as UTF-8. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads a file as UTF-8, exactly; `-` is stdin. */
export async function readInputFile(path: string): Promise<string> {
  if (path === "-") return readStdin();
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, {
      file: path,
      cause: e,
    });
  }
}

/** Asks for a value on the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  let value = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (buf: Buffer) => {
        for (const ch of buf.toString("utf8")) {
          if (ch === "\r" || ch === "\n" || ch === "\u0004") {
            stdin.off("data", onData);
            resolve();
            return;
          }
          if (ch === "\u0003") {
            stdin.off("data", onData);
            reject(new UsageError("cancelled"));
            return;
          }
          if (ch === "\u007f") value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write("\n");
  }
  return value;
}

/**
 * The value for `set`: from `--file` exactly as the file holds it; from a
 * pipe without its one final newline (what `echo` adds); from a hidden
 * prompt on a terminal.
 */
export async function readValue(file: string | undefined): Promise<string> {
  if (file !== undefined) return readInputFile(file);
  if (process.stdin.isTTY) {
    const v = await promptHidden("Value (hidden; Enter to finish): ");
    if (v === "") throw new UsageError("empty value; nothing written");
    return v;
  }
  return (await readStdin()).replace(/\r?\n$/, "");
}
