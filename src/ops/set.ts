/**
 * `set`: a new secret, or a new version of one, encrypted to its readers.
 */
import { isWellFormedText, textBytes } from "../core/bytes.js";
import { checkedExportName, exportName } from "../core/env-names.js";
import { parseGenerator } from "../core/generators.js";
import { idCollisions } from "../core/ids.js";
import { assertRecordedId } from "../core/manifest-integrity.js";
import type { SecretManifest, SecretType } from "../core/model.js";
import { initialStages, type StagePolicy, stagesForNewVersion } from "../core/stages.js";
import { LockstepError } from "../errors.js";
import { addManifestVersion, createManifest, readManifest } from "../storage/manifests.js";
import { commitIfAsked, ensureCanCommit } from "./commit.js";
import type { Session } from "./session.js";
import { validateValue } from "./values.js";
import { assertNamesFree, assertVariableAllowed } from "./variables.js";
import { encryptVersion, recipientsOf } from "./versions.js";

/** Options of a write ({@link setSecret}, and `rotate`'s and `import`'s writes). */
export interface SetOptions {
  /** `string` (default for a new secret) or `json` (must parse). */
  type?: SecretType;
  description?: string;
  /** A value schema: `schemas/<name>.schema.json` in the repository. */
  schema?: string;
  /** Variable name on export. */
  envName?: string;
  /** Where the new version goes (default: the first stage). */
  stages?: StagePolicy;
  /** Kept as the secret's `rotation.generate` (if it has none) when the value was generated. */
  generator?: string;
  /** Store an empty value (refused otherwise: an empty input is most often a mistake). */
  allowEmpty?: boolean;
  /**
   * Write only if the newest version is still this one (`edit`: the value
   * was changed from it); else `CONFLICT` and nothing is written.
   */
  ifLatest?: number;
  /** `set` only: commit the manifest with a message saying what was written. */
  commit?: boolean;
}

/** What a write did. */
export interface SetResult {
  id: string;
  version: number;
  created: boolean;
  /** The stages now pointing at the new version. */
  stages: string[];
  /** With `commit`: the commit that recorded it. */
  commit?: string;
}

/**
 * A value: bytes, stored exactly, or text, stored as its UTF-8 bytes; or a
 * generator spec (`password:32`) to make one with, kept as the secret's own.
 */
export type NewValue = Uint8Array | string | { generate: string };

/** The bytes of a new value (a generated one made now), or the error for text UTF-8 cannot hold. */
function valueBytes(id: string, given: NewValue): Uint8Array {
  if (given instanceof Uint8Array) return given;
  const text = typeof given === "string" ? given : parseGenerator(given.generate).generate();
  if (!isWellFormedText(text)) {
    throw new LockstepError("INVALID_VALUE", `${id}: the value holds a lone surrogate, which UTF-8 cannot store`, {
      fix: "pass the value as bytes (a Uint8Array), or as well-formed text",
    });
  }
  return textBytes(text);
}

/**
 * Refuses a new id whose manifest, or a folder on the way to it, differs
 * only by case from an existing one: on macOS and Windows checkouts they
 * are one file.
 * @throws LockstepError `INVALID_ID`.
 */
export async function assertNoCaseAlias(session: Session, id: string, env: string): Promise<void> {
  const existing = await session.files.listSecretIds(env);
  const clash = idCollisions([...existing.filter((e) => e !== id), id]).find((c) => c.id === id || c.other === id);
  if (!clash) return;
  const other = clash.id === id ? clash.other : clash.id;
  throw new LockstepError("INVALID_ID", `"${id}" differs from the existing secret ${other} only by case`, {
    file: session.files.manifestFile(other),
    fix: `ids that differ only by case are one file on macOS and Windows checkouts: use ${other}, or another name`,
  });
}

/** Internal options of {@link setSecret}, for bulk writers that checked the whole batch first. */
export interface SetInternals {
  /** The batch's ids were checked against case aliases, and its names against the environment's, already (import). */
  aliasesChecked?: boolean;
}

/**
 * Creates a secret, or adds a version to it. A new secret points every
 * stage at version 1; a new version goes where `options.stages` says.
 * With `commit`, the manifest is committed (`lockstep set: ID version N`).
 * @throws LockstepError `INVALID_ID` (also for a case alias of an existing id), `NO_READERS`,
 *   `INVALID_VALUE` (an empty value without `allowEmpty`, a value its type or schema refuses),
 *   `INVALID_NAME` (the variable name it would export as is not a valid one: pass `envName`; or a
 *   variable that steers execution), `LOCKED`...; IntegrityError for a manifest moved by hand;
 *   `NOT_COMMITTED` with `commit` (before anything is written when git cannot commit or the
 *   manifest has uncommitted changes).
 */
export async function setSecret(
  session: Session,
  options: SetOptions & { id: string; value: NewValue },
  internals: SetInternals = {},
): Promise<SetResult> {
  if (options.commit) await ensureCanCommit(session, [session.files.manifestFile(session.secretId(options.id).id)]);
  const result = await writeSecret(session, options, internals);
  return commitIfAsked(
    session,
    options.commit,
    result,
    [session.files.manifestFile(result.id)],
    writeMessage("set", result),
  );
}

/**
 * A commit message for a write: `lockstep set: production/db/password
 * version 2 (stages: canary)`, a new secret `created, version 1`.
 */
export function writeMessage(command: string, r: SetResult): string {
  const what = r.created ? `created, version ${r.version}` : `version ${r.version}`;
  const stages = r.stages.length > 0 ? ` (stages: ${r.stages.join(", ")})` : " (no stage yet)";
  return `lockstep ${command}: ${r.id} ${what}${stages}\n`;
}

async function writeSecret(
  session: Session,
  options: SetOptions & { id: string; value: NewValue },
  internals: SetInternals,
): Promise<SetResult> {
  const sid = session.secretId(options.id);
  const given = options.value;
  const generated = typeof given === "object" && !(given instanceof Uint8Array) ? given.generate : undefined;
  const value = valueBytes(sid.id, given);
  if (value.length === 0 && !options.allowEmpty) {
    throw new LockstepError("INVALID_VALUE", `${sid.id}: the value is empty; nothing written`, {
      fix: "pass --allow-empty to store an empty value; to change only a secret's metadata, use --keep-value",
    });
  }
  const recipients = recipientsOf(session, sid.id);
  const generator = options.generator ?? generated;
  const file = session.files.manifestFile(sid.id);
  return session.files.withLock(file, async () => {
    const existing = await readManifest(session.files, sid.id);
    const name = checkedExportName(sid.id, options.envName ?? existing?.data.env, file);
    if (existing) assertRecordedId(sid.id, existing.data, existing.file);
    else if (!internals.aliasesChecked) await assertNoCaseAlias(session, sid.id, sid.env);
    assertVariableAllowed(session, sid.id, name);
    if (!internals.aliasesChecked && (!existing || name !== exportName(sid.id, existing.data.env))) {
      const consumers = existing?.data.consumers;
      await assertNamesFree(session, sid.env, [{ id: sid.id, name, ...(consumers && { consumers }) }]);
    }
    const type = options.type ?? existing?.data.type ?? "string";
    await validateValue(session.files, sid.id, value, type, options.schema ?? existing?.data.schema);
    const latest = existing ? Math.max(...existing.data.versions.map((v) => v.version)) : 0;
    if (options.ifLatest !== undefined && latest !== options.ifLatest) {
      throw new LockstepError(
        "CONFLICT",
        `${sid.id} changed while you edited it: its newest version is now ${latest}, not ${options.ifLatest}; nothing was written`,
        { file, fix: `run \`lockstep edit ${sid.id}\` again, on version ${latest}` },
      );
    }
    const version = latest + 1;
    const entry = await encryptVersion(session, sid.id, version, value, recipients);
    if (!existing) {
      const manifest: SecretManifest = {
        ...(options.description !== undefined && { description: options.description }),
        type,
        ...(options.schema !== undefined && { schema: options.schema }),
        ...(options.envName !== undefined && { env: options.envName }),
        ...(generator !== undefined && { rotation: { generate: generator } }),
        stages: initialStages(sid.environment),
        versions: [entry],
      };
      await createManifest(session.files, sid.id, manifest);
      return { id: sid.id, version, created: true, stages: Object.keys(manifest.stages) };
    }
    const moved = stagesForNewVersion(sid.environment, version, options.stages ?? "first");
    await addManifestVersion(session.files, existing, {
      version: entry,
      stages: moved,
      metadata: {
        ...(options.type !== undefined && { type: options.type }),
        ...(options.description !== undefined && { description: options.description }),
        ...(options.schema !== undefined && { schema: options.schema }),
        ...(options.envName !== undefined && { env: options.envName }),
      },
      ...(generator !== undefined && existing.data.rotation?.generate === undefined && { generator }),
    });
    return { id: sid.id, version, created: false, stages: Object.keys(moved) };
  });
}
