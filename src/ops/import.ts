/**
 * `import`: many secrets at once from a .env or JSON file. Every entry is
 * checked before the first is written, so a bad line leaves nothing half-imported.
 */
import { readDotenv } from "../core/dotenv.js";
import { isVariableName } from "../core/env-names.js";
import { defaultEnvName, parseSecretId } from "../core/ids.js";
import { parseJsonImport } from "../core/json-import.js";
import type { SecretType } from "../core/model.js";
import { withCryptoWorkers } from "../crypto/workers.js";
import { LockstepError } from "../errors.js";
import { BULK_CONCURRENCY, mapLimit } from "./pool.js";
import type { Session } from "./session.js";
import { type SetResult, setSecret } from "./set.js";
import { recipientsOf } from "./versions.js";

/** Input formats of `import`. */
export type ImportFormat = "dotenv" | "json";

/** Options of {@link importSecrets}. */
export interface ImportOptions {
  format: ImportFormat;
  /** Path prefix under the environment: `--prefix api` makes `ENV/api/<key>`. */
  prefix?: string;
  /** Name of the input, for messages. */
  source: string;
  /** dotenv: expand `$VAR` and `${VAR}` references as dotenv-expand does (default: keep them as written, and warn). */
  expand?: boolean;
  /** Import empty values too (refused otherwise, naming the line). */
  allowEmpty?: boolean;
  /** Receives notices that do not stop the import (references kept as written...); never a value. */
  onWarning?: (message: string) => void;
}

/** One secret to write. */
interface Entry {
  id: string;
  value: string;
  type: SecretType;
  envName: string;
  /** Recipient stanzas to write. */
  stanzas: number;
}

/** One variable of the input, with its line if the format has lines. */
interface Variable {
  key: string;
  value: string;
  type: SecretType;
  line?: number;
}

function readInput(text: string, options: ImportOptions): Variable[] {
  if (options.format === "json") {
    // A byte order mark is no JSON, but editors write one.
    return parseJsonImport(text.replace(/^\ufeff/, ""), options.source);
  }
  const { entries, warnings } = readDotenv(text, options.source, { expand: options.expand === true });
  for (const w of warnings) options.onWarning?.(w);
  return entries.map((e) => ({ key: e.key, value: e.value, type: "string", line: e.line }));
}

/**
 * Creates (or adds a version to) one secret per variable: `KEY` becomes
 * `ENV/[prefix/]key` (lower-cased), exporting as `KEY` again. Holds the
 * repository's bulk lock meanwhile.
 */
export async function importSecrets(
  session: Session,
  options: ImportOptions & { env: string; text: string },
): Promise<SetResult[]> {
  const { env, text } = options;
  session.environment(env);
  const raw = readInput(text, options);
  if (raw.length === 0) {
    throw new LockstepError("INVALID_VALUE", `${options.source} holds no variables to import`, {
      file: options.source,
    });
  }
  const seen = new Map<string, string>();
  const entries: Entry[] = raw.map(({ key, value, type, line }) => {
    const where = { file: options.source, ...(line !== undefined && { line }) };
    const at = line !== undefined ? `${options.source}:${line}` : options.source;
    if (!isVariableName(key)) {
      throw new LockstepError("INVALID_NAME", `${at}: "${key}" is not a valid variable name`, {
        ...where,
        fix: "variable names are letters, digits and _, not starting with a digit; rename it in the file",
      });
    }
    if (value === "" && !options.allowEmpty) {
      throw new LockstepError("INVALID_VALUE", `${at}: ${key} is empty; nothing imported`, {
        ...where,
        fix: "give it a value, leave the line out, or pass --allow-empty to import empty values",
      });
    }
    const path = `${options.prefix ? `${options.prefix}/` : ""}${key.toLowerCase()}`;
    const id = parseSecretId(`${env}/${path}`).id;
    const previous = seen.get(id);
    if (previous !== undefined) {
      throw new LockstepError("INVALID_VALUE", `${options.source}: ${previous} and ${key} both map to ${id}`, {
        file: options.source,
      });
    }
    seen.set(id, key);
    // Every secret needs readers: fail before writing any.
    const stanzas = recipientsOf(session, id).keys.length;
    return { id, value, type, envName: key, stanzas };
  });
  const stanzas = entries.reduce((n, e) => n + e.stanzas, 0);
  return session.files.withBulkLock(() =>
    withCryptoWorkers(stanzas, [], () =>
      mapLimit(entries, BULK_CONCURRENCY, (e) => {
        const derived = defaultEnvName(e.id.slice(env.length + 1));
        return setSecret(session, {
          id: e.id,
          value: e.value,
          type: e.type,
          allowEmpty: true,
          ...(derived !== e.envName && { envName: e.envName }),
        });
      }),
    ),
  );
}
