/**
 * Helpers of the key tests: whether a tool is installed, answering
 * passphrase questions, and catching a coded error.
 */
import { execFileSync } from "node:child_process";
import { type KeyPrompts, NO_PROMPTS } from "../../src/crypto/index.js";
import { LockstepError } from "../../src/errors.js";

/** Whether `cmd` runs at all (any exit code: some tools have no harmless flag that exits 0). */
export function have(cmd: string, args: readonly string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

/** Prompts that answer every secret question with `answer`, and remember the questions. */
export function answering(answer: string | undefined): KeyPrompts & { asked: string[] } {
  const p = {
    ...NO_PROMPTS,
    asked: [] as string[],
    secret: async (prompt: string) => {
      p.asked.push(prompt);
      return answer;
    },
  };
  return p;
}

/** The LockstepError that `p` rejects with; fails the test if it resolves or throws anything else. */
export async function rejection(p: Promise<unknown>): Promise<LockstepError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LockstepError) return e;
    throw e;
  }
  throw new Error("expected a LockstepError");
}
