/**
 * The variable names secrets export as, judged against lockstep.yaml: a
 * name that steers execution is refused unless allowed by name (see
 * core/steering.ts). Checked by `set` and `import` before anything is
 * written, and by `export` and `exec` before anything is published.
 */
import { steeringFix, variableAllowed } from "../core/steering.js";
import { LockstepError } from "../errors.js";
import { CONFIG_FILE } from "../storage/layout.js";
import type { Session } from "./session.js";

/**
 * Refuses a variable name that steers execution (`PATH`, `LD_PRELOAD`,
 * `NODE_OPTIONS`...: see core/steering.ts) unless lockstep.yaml allows it.
 * @throws LockstepError `INVALID_NAME`.
 */
export function assertVariableAllowed(session: Session, id: string, name: string): void {
  if (variableAllowed(name, session.config.allowVariables)) return;
  throw new LockstepError(
    "INVALID_NAME",
    `${id} exports as ${name}, a variable that steers what a process runs or loads: exec and deploys would run what the secret's author chose`,
    { fix: steeringFix(name, CONFIG_FILE) },
  );
}
