/**
 * What every command gets from the global options: where the repository is
 * and which identities to use.
 */
import type { Repository } from "../repository.js";
import { note, paint } from "./output.js";

/** The global options: `-C DIR`, `--identity FILE` (repeatable). */
export interface GlobalOptions {
  C?: string;
  identity?: string[];
}

/** Prints a warning for a person. */
export function warn(message: string): void {
  note(`${paint(process.stderr, "33", "warning:")} ${message}`);
}

/** Opens the repository the global options point at. */
export async function openRepo(g: GlobalOptions): Promise<Repository> {
  const { openRepository } = await import("../repository.js");
  return openRepository({
    ...(g.C !== undefined && { dir: g.C }),
    ...(g.identity !== undefined && { files: g.identity }),
    onWarning: warn,
  });
}
