/**
 * What an import will write, decided before anything is written: one
 * secret per flattened value, its id under the environment and prefix, its
 * type and variable name, and where in the file it came from.
 */

import { LockstepError } from "../errors.js";
import { defaultEnvName, parseSecretId } from "./ids.js";
import { describeKeys, type FlatSecret, flattenImportTree, type ImportMap, type SkippedKey } from "./import-tree.js";

/** One secret an import writes. */
export interface PlannedSecret extends FlatSecret {
  /** The secret id: `ENV/[PREFIX/]path`. */
  readonly id: string;
  /** The variable name to record in the manifest: set only where it differs from the id's default. */
  readonly recordEnvName?: string;
}

/** Options of {@link planImport}. */
export interface PlanOptions {
  /** The environment. */
  readonly env: string;
  /** A path prefix under the environment. */
  readonly prefix?: string;
  /** Keep top-level maps whole, as one `json` secret each. */
  readonly keepObjects?: boolean;
  /** The input's name, for messages. */
  readonly source: string;
  /**
   * The input is variables (a dotenv file): every key must be a valid
   * variable name, since it is exported under that name.
   */
  readonly variables?: boolean;
}

/** The result of {@link planImport}. */
export interface ImportPlan {
  readonly secrets: PlannedSecret[];
  readonly skipped: SkippedKey[];
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Plans an import of a tree.
 * @throws LockstepError `INVALID_VALUE` for an empty input, a key that
 *   cannot be an id or variable, or two keys that collide; `INVALID_ID` for
 *   a bad prefix.
 */
export function planImport(tree: ImportMap, options: PlanOptions): ImportPlan {
  if (options.variables) {
    for (const e of tree.entries) {
      if (!VARIABLE.test(e.key)) {
        throw new LockstepError(
          "INVALID_VALUE",
          `${options.source}${e.line !== undefined ? `:${e.line}` : ""}: "${e.key}" is not a valid variable name`,
          {
            file: options.source,
            ...(e.line !== undefined && { line: e.line }),
            fix: "variable names are letters, digits and _, not starting with a digit",
          },
        );
      }
    }
  }
  const flat = flattenImportTree(tree, {
    source: options.source,
    ...(options.keepObjects !== undefined && { keepObjects: options.keepObjects }),
  });
  if (flat.secrets.length === 0) {
    throw new LockstepError("INVALID_VALUE", `${options.source} holds no variables to import`, {
      file: options.source,
      ...(flat.skipped.length > 0 && {
        fix: `only empty objects: ${flat.skipped.map((s) => describeKeys(s.keys)).join(", ")}`,
      }),
    });
  }
  const under = options.prefix ? `${options.env}/${options.prefix}` : options.env;
  const secrets = flat.secrets.map((s): PlannedSecret => {
    const id = parseSecretId(`${under}/${s.path}`).id;
    const derived = defaultEnvName(id.slice(options.env.length + 1));
    return { ...s, id, ...(derived !== s.envName && { recordEnvName: s.envName }) };
  });
  return { secrets, skipped: flat.skipped };
}
