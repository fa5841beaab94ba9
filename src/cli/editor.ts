/**
 * The person's editor for `edit`: `$VISUAL`, else `$EDITOR`, else `vi`, run
 * as git runs it (`sh -c '$EDITOR "$@"'`), so that a command with arguments
 * (`code --wait`, `emacsclient -t`) or quotes works; and the question asked
 * when an edited value does not fit.
 */
import { spawn } from "node:child_process";
import { readSync } from "node:fs";
import { UsageError } from "../errors.js";

/** The editor command: `$VISUAL`, `$EDITOR`, or `vi`. */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): string {
  for (const v of [env.VISUAL, env.EDITOR]) if (v !== undefined && v.trim() !== "") return v;
  return "vi";
}

/**
 * Runs the editor on `file` with the terminal, and resolves when it ends.
 * @throws UsageError when it cannot start or ends with an error (nothing is written then).
 */
export function runEditor(file: string, command = editorCommand()): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", `${command} "$@"`, command, file], { stdio: "inherit" });
    child.on("error", (e) =>
      reject(new UsageError(`could not run the editor (${command}): ${e.message}`, { cause: e })),
    );
    child.on("close", (code, signal) => {
      if (code === 0) return resolve();
      reject(
        new UsageError(
          `the editor (${command}) ${signal !== null ? `was ended by ${signal}` : `exited with code ${code}`}; nothing was written`,
          { fix: "set VISUAL or EDITOR to an editor that waits until the file is closed (`code --wait`, not `code`)" },
        ),
      );
    });
  });
}

/**
 * Asks a yes/no question on stderr and reads one line of stdin (a terminal
 * or a pipe), byte by byte so that nothing after the line is taken from
 * the next reader. An empty answer is `yes`; the end of input is `no`.
 */
export function askYesNo(question: string): boolean {
  process.stderr.write(question);
  const byte = Buffer.alloc(1);
  let line = "";
  for (;;) {
    let n: number;
    try {
      n = readSync(0, byte, 0, 1, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      return false;
    }
    if (n === 0) {
      if (line === "") return false;
      break;
    }
    const c = byte.toString("latin1");
    if (c === "\n") break;
    line += c;
  }
  const answer = line.trim().toLowerCase();
  return answer === "" || answer === "y" || answer === "yes";
}
