/**
 * The variable names secrets export as, judged against lockstep.yaml: a
 * name that steers execution is refused unless allowed by name (see
 * core/steering.ts). Checked by `set` and `import` before anything is
 * written, and by `export` and `exec` before anything is published.
 */
import { exportName, shareConsumers } from "../core/env-names.js";
import { steeringFix, variableAllowed } from "../core/steering.js";
import { LockstepError } from "../errors.js";
import { CONFIG_FILE } from "../storage/layout.js";
import { readManifest } from "../storage/manifests.js";
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

/**
 * Refuses new names that another secret of the environment exports as
 * already, for a common consumer (a secret without `consumers` serves all):
 * `export` and `exec` would refuse both, and those deploys would fail. Compared with the default names of the
 * environment's other secrets (read from their ids, then confirmed in the
 * one manifest whose default matches); a clash with another secret's
 * explicit `env:` name is left to `check` (`duplicate-variable-name`),
 * which reads every manifest.
 * @param secrets the secrets being written (not yet, or newly, named) and the names they would export as.
 * @throws LockstepError `INVALID_NAME`, naming both secrets and the fix.
 */
export async function assertNamesFree(
  session: Session,
  env: string,
  secrets: readonly { id: string; name: string; consumers?: readonly string[] }[],
): Promise<void> {
  const writing = new Set(secrets.map((s) => s.id));
  const byDefault = new Map<string, string[]>();
  for (const id of await session.files.listSecretIds(env)) {
    if (writing.has(id)) continue;
    const name = exportName(id);
    byDefault.set(name, [...(byDefault.get(name) ?? []), id]);
  }
  for (const s of secrets) {
    for (const other of byDefault.get(s.name) ?? []) {
      const m = await readManifest(session.files, other);
      if (m && (exportName(other, m.data.env) !== s.name || !shareConsumers(s.consumers, m.data.consumers))) continue;
      throw clash(s, other, env, session.files.manifestFile(other));
    }
  }
}

function clash(s: { id: string; name: string }, other: string, env: string, file: string): LockstepError {
  return new LockstepError(
    "INVALID_NAME",
    `${s.id} would export as ${s.name}, as ${other} does: export and exec of ${env} would refuse both; nothing written`,
    {
      file,
      fix: `give ${s.id} another variable name (\`--env NAME\`), or use ${other}; secrets with one name must serve distinct consumers (\`set ID --keep-value --consumers NAME\`)`,
    },
  );
}
