/**
 * `exec`'s child environment: the values of an environment's stage, added to
 * a base environment from which every source of an identity is removed.
 */
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
 * @throws what `export` throws.
 */
export async function execEnvironment(session: Session, options: ExecEnvironmentOptions): Promise<NodeJS.ProcessEnv> {
  const { base = process.env, ...selector } = options;
  const { values } = await exportValues(session, selector);
  return childEnvironment(values, base);
}

/** `base` without the identity variables, then `values`. */
export function childEnvironment(values: Record<string, string>, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const child: NodeJS.ProcessEnv = { ...base };
  for (const name of IDENTITY_ENV_VARS) delete child[name];
  return { ...child, ...values };
}
