/**
 * `import`: many secrets at once from a .env or JSON file. Every entry is
 * checked before the first is written, so a bad line leaves nothing half-imported.
 */
import { parseDotenv } from "../core/dotenv.js";
import { defaultEnvName, idCollisions, parseSecretId } from "../core/ids.js";
import type { SecretType } from "../core/model.js";
import { withCryptoWorkers } from "../crypto/workers.js";
import { LockstepError } from "../errors.js";
import { BULK_CONCURRENCY, mapLimit } from "./pool.js";
import type { Session } from "./session.js";
import { assertNoCaseAlias, type SetResult, setSecret } from "./set.js";
import { assertVariableAllowed } from "./variables.js";
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

/** `line L, column C` (1-based) of an offset in `text`. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

function entriesFromJson(text: string, source: string): { key: string; value: string; type: SecretType }[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    // The parser's message quotes the text around the fault, values included: say only where it is.
    const at = /at position (\d+)/.exec((e as Error).message)?.[1];
    const where = at === undefined ? "" : ` (${lineAndColumn(text, Number(at))})`;
    throw new LockstepError("INVALID_VALUE", `${source}: not valid JSON${where}`, {
      file: source,
      fix: 'pass a JSON object of variable name to value, e.g. {"DB_PASSWORD": "..."}',
    });
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new LockstepError("INVALID_VALUE", `${source}: expected a JSON object of variable name to value`, {
      file: source,
    });
  }
  return Object.entries(data).map(([key, v]) =>
    typeof v === "string" ? { key, value: v, type: "string" } : { key, value: JSON.stringify(v), type: "json" },
  );
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
  const raw =
    options.format === "json"
      ? entriesFromJson(text, options.source)
      : parseDotenv(text, options.source).map((e) => ({ key: e.key, value: e.value, type: "string" as const }));
  if (raw.length === 0) {
    throw new LockstepError("INVALID_VALUE", `${options.source} holds no variables to import`, {
      file: options.source,
    });
  }
  const seen = new Map<string, string>();
  const entries: Entry[] = raw.map(({ key, value, type }) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new LockstepError("INVALID_VALUE", `${options.source}: "${key}" is not a valid variable name`, {
        file: options.source,
        fix: "variable names are letters, digits and _, not starting with a digit",
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
    // Every secret needs readers, and a name that steers nothing: fail before writing any.
    assertVariableAllowed(session, id, key);
    const stanzas = recipientsOf(session, id).keys.length;
    return { id, value, type, envName: key, stanzas };
  });
  // Ids that differ from others (of the batch or the repository) only by case: fail before writing any.
  const existing = new Set(await session.files.listSecretIds(env));
  const clash = idCollisions([...existing, ...entries.map((e) => e.id).filter((id) => !existing.has(id))]).find(
    (c) => !existing.has(c.id) || !existing.has(c.other),
  );
  if (clash) await assertNoCaseAlias(session, existing.has(clash.id) ? clash.other : clash.id, env);
  const stanzas = entries.reduce((n, e) => n + e.stanzas, 0);
  return session.files.withBulkLock(() =>
    withCryptoWorkers(stanzas, [], () =>
      mapLimit(entries, BULK_CONCURRENCY, (e) => {
        const derived = defaultEnvName(e.id.slice(env.length + 1));
        return setSecret(
          session,
          { id: e.id, value: e.value, type: e.type, ...(derived !== e.envName && { envName: e.envName }) },
          { aliasesChecked: true },
        );
      }),
    ),
  );
}
