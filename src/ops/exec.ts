/**
 * `exec`'s child environment: the values of an environment's stage, added to
 * a base environment from which every source of an identity is removed.
 */
import { type ExportEntry, entryText } from "../core/export-entry.js";
import { IDENTITY_ENV_VARS } from "../storage/identities.js";
import { type ExportSelector, exportValues } from "./export.js";
import type { Session } from "./session.js";

/** Options of {@link execEnvironment}. */
export interface ExecEnvironmentOptions extends ExportSelector {
  env: string;
  /** The environment to start from (default: this process's). */
  base?: NodeJS.ProcessEnv;
}

/**
 * The environment for a child process: `base` without any variable lockstep
 * reads an identity from (the child must not open versions of other
 * stages), then the values, by variable name.
 * @throws LockstepError `UNREPRESENTABLE_VALUE` for a value no environment
 *   variable carries exactly (not UTF-8 text, or holding NUL); what `export` throws.
 */
export async function execEnvironment(session: Session, options: ExecEnvironmentOptions): Promise<NodeJS.ProcessEnv> {
  const { base = process.env, ...selector } = options;
  const { entries } = await exportValues(session, selector);
  return childEnvironment(environmentValues(entries), base);
}

/**
 * The values as an environment holds them: text without NUL, by variable name.
 * @throws LockstepError `UNREPRESENTABLE_VALUE` naming the first secret that is not, and the formats that carry it.
 */
export function environmentValues(entries: readonly ExportEntry[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.name, entryText(e, "environment")]));
}

/** `base` without the identity variables, then `values`. */
export function childEnvironment(values: Record<string, string>, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const child: NodeJS.ProcessEnv = { ...base };
  for (const name of IDENTITY_ENV_VARS) delete child[name];
  return { ...child, ...values };
}
