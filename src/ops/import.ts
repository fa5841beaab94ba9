/**
 * `import`: many secrets at once from a file, plain (.env, JSON, YAML) or
 * encrypted by sops or dotenvx (see ops/import-sources/). The input is read,
 * decrypted and verified, every secret is planned (core/import-plan.ts) and
 * its readers checked, all before the first is written, so a bad entry
 * anywhere leaves nothing half-imported.
 */
import { type PlannedSecret, planImport } from "../core/import-plan.js";
import type { SkippedKey } from "../core/import-tree.js";
import type { SecretManifest, SecretVersion } from "../core/model.js";
import { withCryptoWorkers } from "../crypto/index.js";
import { LockstepError } from "../errors.js";
import { readManifest } from "../storage/manifests.js";
import type { ImportFrom, ImportInputFormat } from "./import-sources/read-source.js";
import { BULK_CONCURRENCY, mapLimit } from "./pool.js";
import type { Session } from "./session.js";
import { type SetResult, setSecret } from "./set.js";
import { validateValue } from "./values.js";
import { decryptVersion, recipientsOf } from "./versions.js";

/** Input formats of `import` (`ini` only with `from: "sops"`). */
export type ImportFormat = ImportInputFormat;

export type { ImportFrom };

/** Options of {@link importSecrets}. */
export interface ImportOptions {
  /** The format; by default from the file name (`.json`, `.yaml`/`.yml`, `.ini`), else dotenv. */
  format?: ImportFormat;
  /** The tool that encrypted the input: it is decrypted, and verified, first. */
  from?: ImportFrom;
  /** Path prefix under the environment: `--prefix api` makes `ENV/api/<key>`. */
  prefix?: string;
  /** Keep each top-level object whole, as one `json` secret, instead of a secret per value. */
  keepObjects?: boolean;
  /** Name of the input, for messages (a file path, or `stdin`). */
  source: string;
  /** The input's path when it is a file: picks the format, and dotenvx's `.env.keys` is looked for beside it. */
  path?: string;
  /** dotenvx's `.env.keys`, when not beside the input. */
  envKeysFile?: string;
  /** Where `SOPS_AGE_KEY*` and `DOTENV_PRIVATE_KEY*` are read from (default `process.env`). */
  keyEnv?: NodeJS.ProcessEnv;
}

/** One secret written, and what it was in the input. */
export interface ImportedSecret extends SetResult {
  /** Its key path in the file, the kind of value it was, its variable name. */
  readonly from: PlannedSecret;
}

/** What an import wrote. */
export interface ImportResult {
  readonly secrets: ImportedSecret[];
  /** Existing secrets whose value was already the file's (read with this process's key): no version added. */
  readonly unchanged: PlannedSecret[];
  /** Keys of the input that became no secret, and why. */
  readonly skipped: SkippedKey[];
  /** How an encrypted input was opened: `sops 3.8.1 file, MAC verified, opened by age1...`. */
  readonly notes: string[];
}

/**
 * Creates (or adds a version to) one secret per value of the input: `KEY`
 * becomes `ENV/[prefix/]key`, nested keys a path. Holds the repository's
 * bulk lock while writing.
 * @throws what reading the input throws (`INVALID_VALUE`, `NO_IDENTITY`,
 *   `INTEGRITY`, `USAGE`), `NO_READERS` for a secret no rule gives readers;
 *   nothing is written then.
 */
export async function importSecrets(
  session: Session,
  options: ImportOptions & { env: string; text: string },
): Promise<ImportResult> {
  const { env, text } = options;
  session.environment(env);
  // The decoders (sops, dotenvx and their libraries) load only when an import runs.
  const { readImportSource } = await import("./import-sources/read-source.js");
  const input = await readImportSource(text, {
    source: options.source,
    identities: () => session.identities(),
    ...(options.from !== undefined && { from: options.from }),
    ...(options.format !== undefined && { format: options.format }),
    ...(options.path !== undefined && { path: options.path }),
    ...(options.keyEnv !== undefined && { env: options.keyEnv }),
    ...(options.envKeysFile !== undefined && { dotenvxKeysFile: options.envKeysFile }),
  });
  const plan = planImport(input.tree, {
    env,
    source: options.source,
    variables: input.variables,
    ...(options.prefix !== undefined && { prefix: options.prefix }),
    ...(options.keepObjects !== undefined && { keepObjects: options.keepObjects }),
  });
  // Every secret needs readers: fail before writing any.
  for (const s of plan.secrets) recipientsOf(session, s.id);
  const { secrets, unchanged, unread } = await session.files.withBulkLock(async () => {
    const checked = await checkAgainstExisting(session, plan.secrets);
    const written = await withCryptoWorkers(() =>
      mapLimit(checked.write, BULK_CONCURRENCY, async ({ planned: s, existing }) => ({
        ...(await setSecret(session, {
          id: s.id,
          value: s.value,
          // An existing secret keeps its declared type (a json secret stays json).
          ...(!existing && { type: s.type }),
          ...(s.recordEnvName !== undefined && { envName: s.recordEnvName }),
        })),
        from: s,
      })),
    );
    return { secrets: written, unchanged: checked.unchanged, unread: checked.unread };
  });
  const notes = [...input.notes];
  if (unread > 0) {
    notes.push(
      `${unread} existing secret${unread === 1 ? "" : "s"} got a new version without comparing values: no identity of yours reads ${unread === 1 ? "it" : "them"}, so an unchanged value could not be told apart`,
    );
  }
  return { secrets, unchanged, skipped: [...input.skipped, ...plan.skipped], notes };
}

/**
 * Checks every planned secret against the one it would add a version to,
 * before anything is written: the value must fit the existing secret's
 * declared type and value schema. A value equal to the existing newest
 * one (when this process has a key that reads it) adds no version.
 * @throws LockstepError `INVALID_VALUE` naming the secret; `INTEGRITY` for a tampered newest version.
 */
async function checkAgainstExisting(
  session: Session,
  planned: readonly PlannedSecret[],
): Promise<{ write: { planned: PlannedSecret; existing: boolean }[]; unchanged: PlannedSecret[]; unread: number }> {
  const write: { planned: PlannedSecret; existing: boolean }[] = [];
  const unchanged: PlannedSecret[] = [];
  let unread = 0;
  let identities: boolean | undefined;
  for (const s of planned) {
    const existing = await readManifest(session.files, s.id);
    if (!existing) {
      await validateValue(session.files, s.id, s.value, s.type);
      write.push({ planned: s, existing: false });
      continue;
    }
    const m = existing.data;
    await validateValue(session.files, s.id, s.value, m.type ?? "string", m.schema);
    identities ??= await session.identities().then(
      () => true,
      () => false,
    );
    const newest = newestVersion(m);
    const current = identities && newest ? await readableValue(session, s.id, newest, existing.file) : undefined;
    if (current === undefined) unread++;
    if (current === s.value) unchanged.push(s);
    else write.push({ planned: s, existing: true });
  }
  return { write, unchanged, unread };
}

/** A version's value, or `undefined` when none of this process's identities reads it. */
async function readableValue(
  session: Session,
  id: string,
  v: SecretVersion,
  file: string,
): Promise<string | undefined> {
  try {
    return await decryptVersion(session, id, v, file);
  } catch (e) {
    if (e instanceof LockstepError && e.code === "NO_IDENTITY") return undefined;
    throw e;
  }
}

function newestVersion(m: SecretManifest): SecretVersion | undefined {
  return m.versions.reduce<SecretVersion | undefined>(
    (a, v) => (a === undefined || v.version > a.version ? v : a),
    undefined,
  );
}
