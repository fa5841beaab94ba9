/**
 * What every command gets from the global options: where the repository is
 * and which identities to use. The library is loaded here, on first use, so
 * that `--help` and `keygen` never load it.
 */
import type { OpenOptions, Repository } from "../index.js";
import { note, paint } from "./output.js";
import type { OptionsOf, program } from "./program.js";

/** The global options: `-C DIR`, `--identity FILE` (repeatable). */
export type GlobalOptions = OptionsOf<typeof program>;

/** Prints a warning for a person. */
export function warn(message: string): void {
  note(`${paint(process.stderr, "33", "warning:")} ${message}`);
}

/**
 * Opens the repository the global options point at. `strict: false` opens
 * one whose lockstep.yaml or access.yaml is broken (check, diff, audit, exposure).
 */
export async function openRepo(g: GlobalOptions, options: Pick<OpenOptions, "strict"> = {}): Promise<Repository> {
  const { openRepository } = await import("../index.js");
  return openRepository({
    ...(g.C !== undefined && { dir: g.C }),
    ...(g.identity !== undefined && { files: g.identity }),
    onWarning: warn,
    ...options,
  });
}
