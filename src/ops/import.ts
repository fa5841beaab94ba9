/**
 * `import`: many secrets at once from a file, plain (.env, JSON, YAML) or
 * encrypted by sops or dotenvx (see ops/import-sources/). The input is read,
 * decrypted and verified, every secret is planned (core/import-plan.ts) and
 * its readers checked, all before the first is written, so a bad entry
 * anywhere leaves nothing half-imported.
 */
import { bytesEqual, textBytes } from "../core/bytes.js";
import { idCollisions } from "../core/ids.js";
import { type PlannedSecret, planImport } from "../core/import-plan.js";
import type { SkippedKey } from "../core/import-tree.js";
import { pickVersion } from "../core/manifest-integrity.js";
import type { SecretVersion } from "../core/model.js";
import { withCryptoWorkers } from "../crypto/index.js";
import { LockstepError } from "../errors.js";
import { readManifest } from "../storage/manifests.js";
import { commitIfAsked, ensureCanCommit } from "./commit.js";
import type { ImportFrom, ImportInputFormat } from "./import-sources/read-source.js";
import { BULK_CONCURRENCY, mapLimit } from "./pool.js";
import type { Session } from "./session.js";
import { assertNoCaseAlias, type SetResult, setSecret, writeMessage } from "./set.js";
import { validateValue } from "./values.js";
import { assertNamesFree, assertVariableAllowed } from "./variables.js";
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
  /** A plain .env: expand `$VAR` and `${VAR}` references as dotenv-expand does (default: keep them as written, and warn). */
  expand?: boolean;
  /** Receives notices that do not stop the import (references kept as written); never a value. */
  onWarning?: (message: string) => void;
  /** Commit the manifests written, with a message listing them. */
  commit?: boolean;
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
  /** With `commit`: the commit that recorded it (none when nothing was written). */
  readonly commit?: string;
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
  if (options.commit) await ensureCanCommit(session);
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
    ...(options.expand !== undefined && { expand: options.expand }),
    ...(options.onWarning !== undefined && { onWarning: options.onWarning }),
  });
  const plan = planImport(input.tree, {
    env,
    source: options.source,
    variables: input.variables,
    ...(options.prefix !== undefined && { prefix: options.prefix }),
    ...(options.keepObjects !== undefined && { keepObjects: options.keepObjects }),
  });
  // Every secret needs readers, and a name that steers nothing: fail before writing any.
  for (const s of plan.secrets) {
    assertVariableAllowed(session, s.id, s.envName);
    recipientsOf(session, s.id);
  }
  await assertNoCaseAliases(session, env, plan.secrets);
  await assertNamesFree(
    session,
    env,
    plan.secrets.map((s) => ({ id: s.id, name: s.envName })),
  );
  // The manifests it may write must have no changes of their own, or the commit would carry them.
  if (options.commit)
    await ensureCanCommit(
      session,
      plan.secrets.map((s) => session.files.manifestFile(s.id)),
    );
  const { secrets, unchanged, unread } = await session.files.withBulkLock(async () => {
    const checked = await checkAgainstExisting(session, plan.secrets);
    const written = await withCryptoWorkers(() =>
      mapLimit(checked.write, BULK_CONCURRENCY, async ({ planned: s, existing }) => ({
        ...(await setSecret(
          session,
          {
            id: s.id,
            value: s.value,
            // An existing secret keeps its declared type (a json secret stays json).
            ...(!existing && { type: s.type }),
            ...(s.recordEnvName !== undefined && { envName: s.recordEnvName }),
            // A null in the file is the empty value (see core/import-tree.ts): import keeps it.
            allowEmpty: true,
          },
          { aliasesChecked: true },
        )),
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
  const result = { secrets, unchanged, skipped: [...input.skipped, ...plan.skipped], notes };
  const n = secrets.length;
  const message = `lockstep import: ${n} secret${n === 1 ? "" : "s"} into ${env} from ${options.source}\n\n${secrets.map((s) => writeMessage("import", s).replace(/^lockstep import: /, "")).join("")}`;
  return commitIfAsked(
    session,
    options.commit,
    result,
    secrets.map((s) => session.files.manifestFile(s.id)),
    message,
  );
}

/**
 * Refuses a batch with an id that differs only by case from another, of the
 * batch or of the repository (one file on macOS and Windows checkouts),
 * before anything is written.
 * @throws LockstepError `INVALID_ID`.
 */
async function assertNoCaseAliases(session: Session, env: string, planned: readonly PlannedSecret[]): Promise<void> {
  const existing = new Set(await session.files.listSecretIds(env));
  const added = planned.map((s) => s.id).filter((id) => !existing.has(id));
  const clash = idCollisions([...existing, ...added]).find((c) => !existing.has(c.id) || !existing.has(c.other));
  if (clash) await assertNoCaseAlias(session, existing.has(clash.id) ? clash.other : clash.id, env);
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
    // A moved manifest or an unsound version list is refused here, before the first write (exit 4).
    const newest = pickVersion(s.id, m, existing.file);
    const current = identities && newest ? await readableValue(session, s.id, newest, existing.file) : undefined;
    if (current === undefined) unread++;
    if (current !== undefined && bytesEqual(current, textBytes(s.value))) unchanged.push(s);
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
): Promise<Uint8Array | undefined> {
  try {
    return await decryptVersion(session, id, v, file);
  } catch (e) {
    if (e instanceof LockstepError && e.code === "NO_IDENTITY") return undefined;
    throw e;
  }
}
