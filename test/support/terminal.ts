/**
 * Runs a program in a pseudo-terminal (util-linux `script`), answering its
 * prompts as a person would: each answer is typed once its prompt has
 * appeared. For passphrases that lockstep and age ask on the terminal.
 */
import { execFileSync, spawn } from "node:child_process";

/** Whether `script` (util-linux) is there to make a terminal. */
export function haveScript(): boolean {
  try {
    execFileSync("script", ["-qec", "true", "/dev/null"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** What the terminal showed, and the program's exit code. */
export interface TerminalRun {
  code: number;
  /** Everything the terminal showed: the program's output and its prompts, mixed as on a screen. */
  screen: string;
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Runs `file args` in a terminal; for each `[prompt, answer]` in turn, waits
 * for `prompt` on the screen, then types `answer` and Enter.
 */
export function runInTerminal(
  file: string,
  args: readonly string[],
  answers: readonly [RegExp, string][],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<TerminalRun> {
  return new Promise((resolve, reject) => {
    const command = [file, ...args].map(quote).join(" ");
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd: options.cwd,
      env: options.env ?? process.env,
    });
    let screen = "";
    let seen = 0;
    let next = 0;
    const timer = setTimeout(() => child.kill(), 120_000);
    child.stdout.on("data", (b: Buffer) => {
      screen += b.toString("utf8");
      const pending = answers[next];
      if (!pending) return;
      const m = pending[0].exec(screen.slice(seen));
      if (!m) return;
      seen += (m.index ?? 0) + m[0].length;
      next++;
      child.stdin.write(`${pending[1]}\r`);
    });
    child.stderr.on("data", (b: Buffer) => {
      screen += b.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, screen });
    });
  });
}
