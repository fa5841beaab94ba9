/**
 * `set ID --keep-value`: a secret's metadata (description, value schema,
 * variable name, consumers, rotation's maximum age) changed without a new
 * version, since the value did not change. The rest of `rotation:` (its
 * strategy) is edited in the manifest itself, and `lockstep check`
 * validates the result.
 */
import { parseDuration } from "../core/duration.js";
import { checkedExportName } from "../core/env-names.js";
import { stageOfConsumer } from "../core/status.js";
import { LockstepError, UsageError } from "../errors.js";
import { readManifest, setManifestMetadata } from "../storage/manifests.js";
import { commitIfAsked, ensureCanCommit } from "./commit.js";
import type { Session } from "./session.js";

/** What to change; an absent field stays as it is. */
export interface MetadataChange {
  description?: string;
  /** A value schema: `schemas/<name>.schema.json` (existing values are checked by `check --decrypt`). */
  schema?: string;
  /** Variable name on export. */
  envName?: string;
  /** The consumers the secret goes to (`consumers:`); each one a stage of its environment lists. */
  consumers?: string[];
  /** How old its newest version may get (`rotation.maxAge`): a whole number and a unit, s, m, h, d, w or y (`30d`). */
  maxAge?: string;
}

/** {@link MetadataChange}, and whether to commit it. */
export interface MetadataOptions extends MetadataChange {
  /** Commit the manifest (when anything changed) with a message naming the fields. */
  commit?: boolean;
}

/** What a metadata change did. */
export interface MetadataResult {
  id: string;
  /** The fields whose value changed. */
  changed: (keyof MetadataChange)[];
  /** The newest version, unchanged. */
  version: number;
  /** With `commit`: the commit that recorded it. */
  commit?: string;
}

/**
 * Changes a secret's metadata and adds no version.
 * @throws UsageError when nothing is to change; LockstepError `UNKNOWN_SECRET`,
 *   `INVALID_NAME` (the variable name would not be valid), `INVALID_VALUE`
 *   (no such value schema, or `maxAge` not a duration), `UNKNOWN_STAGE` (a
 *   consumer no single stage of the environment lists), `LOCKED`; `NOT_COMMITTED`
 *   with `commit` (before anything is written when git cannot commit or the
 *   manifest has uncommitted changes).
 */
export async function setSecretMetadata(
  session: Session,
  options: MetadataOptions & { id: string },
): Promise<MetadataResult> {
  const sid = session.secretId(options.id);
  const { description, schema, envName, consumers, maxAge } = options;
  if ([description, schema, envName, consumers, maxAge].every((x) => x === undefined)) {
    throw new UsageError(
      "--keep-value changes metadata: give --description, --schema, --env, --consumers or --max-age",
      { fix: "to add a version, leave out --keep-value and pass the value" },
    );
  }
  if (schema !== undefined) await session.files.readValueSchema(schema);
  for (const c of consumers ?? []) stageOfConsumer(sid.env, sid.environment, c);
  if (maxAge !== undefined) parseDuration(maxAge);
  const file = session.files.manifestFile(sid.id);
  if (options.commit) await ensureCanCommit(session, [file]);
  const result = await session.files.withLock(file, async (): Promise<MetadataResult> => {
    const existing = await readManifest(session.files, sid.id);
    if (!existing) {
      throw new LockstepError("UNKNOWN_SECRET", `no secret ${sid.id}`, {
        fix: `create it with a value: lockstep set ${sid.id}`,
      });
    }
    checkedExportName(sid.id, envName ?? existing.data.env, file);
    const d = existing.data;
    const changed = (
      [
        ["description", description, d.description],
        ["schema", schema, d.schema],
        ["envName", envName, d.env],
        ["consumers", consumers?.join(","), d.consumers?.join(",")],
        ["maxAge", maxAge, d.rotation?.maxAge],
      ] as const
    )
      .filter(([, now, before]) => now !== undefined && now !== before)
      .map(([k]) => k);
    if (changed.length > 0) {
      await setManifestMetadata(session.files, existing, {
        ...(description !== undefined && { description }),
        ...(schema !== undefined && { schema }),
        ...(envName !== undefined && { env: envName }),
        ...(consumers !== undefined && { consumers: [...new Set(consumers)] }),
        ...(maxAge !== undefined && { maxAge }),
      });
    }
    return { id: sid.id, changed, version: Math.max(...d.versions.map((v) => v.version)) };
  });
  const message = `lockstep set: ${result.id} metadata (${result.changed.join(", ")}), no new version\n`;
  return commitIfAsked(session, options.commit, result, result.changed.length > 0 ? [file] : [], message);
}
