/**
 * Ids typed as paths. A shell completes file names, and a sops user names
 * files: `secrets/production/db/password.yaml` is what a person often types
 * where lockstep expects the id `production/db/password`. Since no id ends
 * in `.yaml` (core/ids.ts refuses it), an argument that does is a manifest's
 * path, never an id, and names exactly one secret.
 */
import { existsSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { SECRETS_DIR } from "./layout.js";

const MANIFEST = /\.yaml$/i;

/**
 * The secret id whose manifest `arg` is a path of, or `undefined` when `arg`
 * does not end in `.yaml` or points outside `secrets/`. A relative path is
 * tried from `cwd` (what a shell completes), from the repository's root
 * (`secrets/production/db/password.yaml`) and from `secrets/`
 * (`production/db/password.yaml`): the first that names an existing
 * manifest wins, else the first that lies under `secrets/` (a secret `set`
 * is about to create).
 */
export function idOfManifestPath(root: string, cwd: string, arg: string): string | undefined {
  if (!MANIFEST.test(arg)) return undefined;
  const secrets = resolve(root, SECRETS_DIR);
  const tries = isAbsolute(arg) ? [arg] : [resolve(cwd, arg), resolve(root, arg), resolve(secrets, arg)];
  const inside = tries.filter((abs) => {
    const rel = relative(secrets, abs);
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  });
  const abs = inside.find((p) => existsSync(p)) ?? inside[0];
  if (abs === undefined) return undefined;
  return relative(secrets, abs).split(sep).join("/").replace(MANIFEST, "");
}

/**
 * For an argument that mixes an id and a path (`secrets/production/db/password`,
 * no `.yaml`): the id it meant, when taking off `secrets/` leaves one whose
 * environment exists.
 */
export function idWithoutSecretsDir(arg: string, environments: readonly string[]): string | undefined {
  const prefix = `${SECRETS_DIR}/`;
  if (!arg.startsWith(prefix)) return undefined;
  const rest = arg.slice(prefix.length);
  return environments.includes(rest.split("/")[0] ?? "") ? rest : undefined;
}
