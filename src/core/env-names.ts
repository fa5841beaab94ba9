/**
 * The variable name a secret exports as. Every export format and `exec`
 * put it in an environment, so it must be a name a shell accepts: `sh`
 * aborts `. out.sh` at `export 2FA_SEED=...`, and nothing after it is set.
 */
import { LockstepError } from "../errors.js";
import { defaultEnvName } from "./ids.js";

/**
 * A name in the sense of POSIX.1-2017, XBD 3.235: letters, digits and `_`,
 * not starting with a digit (ASCII only). The secret manifest's schema
 * holds an explicit `env:` to the same pattern.
 */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `name` is a valid variable name (POSIX XBD 3.235). */
export function isVariableName(name: string): boolean {
  return NAME.test(name);
}

/** Why `name` is not a valid variable name, or `undefined` when it is. Never quotes a value. */
export function variableNameProblem(name: string): string | undefined {
  if (NAME.test(name)) return undefined;
  if (name === "") return "it is empty";
  if (/^[0-9]/.test(name)) return "it starts with a digit";
  return "it holds characters other than letters, digits and _";
}

/** A valid name close to `name`: other characters as `_`, and `_` before a leading digit. */
export function suggestVariableName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, "_");
  return cleaned === "" || /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/**
 * The name secret `id` (`<env>/<path>`) exports as: its manifest's `env:`,
 * else the default (the path upper-cased, other characters as `_`).
 */
export function exportName(id: string, explicit?: string): string {
  return explicit ?? defaultEnvName(id.slice(id.indexOf("/") + 1));
}

/**
 * Checks the name secret `id` exports as, for `set`, `import` and `export`.
 * @param explicit the manifest's (or the command's) `env:` name, if any.
 * @returns the name.
 * @throws LockstepError `INVALID_NAME`, with the fix (`--env NAME`, or `env:` in the manifest).
 */
export function checkedExportName(id: string, explicit?: string, file?: string): string {
  const name = exportName(id, explicit);
  const problem = variableNameProblem(name);
  if (problem === undefined) return name;
  const which = explicit === undefined ? `exports as ${name} by default` : `exports as ${name}`;
  throw new LockstepError(
    "INVALID_NAME",
    `${id} ${which}, which is not a valid variable name (${problem}): a shell stops at it, and import refuses it`,
    {
      ...(file !== undefined && { file }),
      fix: `give it a name of letters, digits and _ that does not start with a digit: \`lockstep set ${id} --env ${suggestVariableName(name)}\`, or "env: ${suggestVariableName(name)}" in its manifest`,
    },
  );
}

/** Whether two secrets can be published together: a secret without `consumers` serves every consumer. */
export function shareConsumers(a?: readonly string[], b?: readonly string[]): boolean {
  return a === undefined || b === undefined || a.some((c) => b.includes(c));
}

/**
 * Secrets of one environment that export under one variable name and serve
 * a common consumer (a secret without `consumers` serves them all):
 * `export` and `exec` for that consumer refuse them, so its deploys fail.
 * Secrets with one name and disjoint consumers are per-consumer values, and
 * no clash. Each clash lists its ids in id order.
 * @param secrets each secret's id, the name it exports as ({@link exportName}) and its `consumers`.
 */
export function exportNameClashes(
  secrets: readonly { id: string; name: string; consumers?: readonly string[] }[],
): { name: string; ids: string[] }[] {
  const byName = new Map<string, (typeof secrets)[number][]>();
  for (const s of secrets) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const clashes: { name: string; ids: string[] }[] = [];
  for (const [name, group] of byName) {
    const ids = group
      .filter((a) => group.some((b) => b !== a && shareConsumers(a.consumers, b.consumers)))
      .map((a) => a.id)
      .sort();
    if (ids.length > 1) clashes.push({ name, ids });
  }
  return clashes.sort((a, b) => (a.ids[0] as string).localeCompare(b.ids[0] as string));
}
