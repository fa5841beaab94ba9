/** `lockstep completion SHELL` and the hidden `lockstep __complete WORDS...` that its scripts run. */
import { complete, completionScript, formatCompletion } from "../completion.js";
import type { ArgsOf, commands } from "../program.js";

/** Prints the completion script for a shell. */
export async function completion([shell]: ArgsOf<typeof commands.completion>): Promise<void> {
  process.stdout.write(completionScript(shell));
}

/**
 * Prints the candidates for the last of `words` (the words after
 * `lockstep`), then the directive line. A `-C DIR` among the words says
 * which repository to list from.
 */
export async function completeWords(program: Parameters<typeof complete>[0], words: readonly string[]): Promise<void> {
  const c = words.indexOf("-C");
  const dir = c >= 0 && c < words.length - 2 ? (words[c + 1] as string) : process.cwd();
  const { completionWords } = await import("../../index.js");
  const result = await complete(program, words, (kind) => completionWords(kind, dir));
  process.stdout.write(formatCompletion(result));
}
