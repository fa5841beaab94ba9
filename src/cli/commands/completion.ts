/** `lockstep completion SHELL` and the hidden `lockstep __complete WORDS...` that its scripts run. */
import type { Command } from "commander";
import { completionWords } from "../../ops/completion-words.js";
import { complete, completionScript, formatCompletion, type Shell } from "../completion.js";

/** Options of `completion`. */
export interface CompletionOptions {
  shell: Shell;
}

/** Prints the completion script for a shell. */
export async function completion(o: CompletionOptions): Promise<void> {
  process.stdout.write(completionScript(o.shell));
}

/**
 * Prints the candidates for the last of `words` (the words after
 * `lockstep`), then the directive line. A `-C DIR` among the words says
 * which repository to list from.
 */
export async function completeWords(program: Command, words: readonly string[]): Promise<void> {
  const c = words.indexOf("-C");
  const dir = c >= 0 && c < words.length - 2 ? (words[c + 1] as string) : process.cwd();
  const result = await complete(program, words, (kind) => completionWords(kind, dir));
  process.stdout.write(formatCompletion(result));
}
