/**
 * `set ID --keep-value`: a secret's metadata (description, value schema,
 * variable name) changed without a new version, since the value did not
 * change. `consumers:` and `rotation:` are edited in the manifest itself,
 * and `lockstep check` validates the result.
 */
import { checkedExportName } from "../core/env-names.js";
import { LockstepError, UsageError } from "../errors.js";
import { readManifest, setManifestMetadata } from "../storage/manifests.js";
import type { Session } from "./session.js";

/** What to change; an absent field stays as it is. */
export interface MetadataChange {
  description?: string;
  /** A value schema: `schemas/<name>.schema.json` (existing values are checked by `check --decrypt`). */
  schema?: string;
  /** Variable name on export. */
  envName?: string;
}

/** What a metadata change did. */
export interface MetadataResult {
  id: string;
  /** The fields whose value changed. */
  changed: (keyof MetadataChange)[];
  /** The newest version, unchanged. */
  version: number;
}

/**
 * Changes a secret's metadata and adds no version.
 * @throws UsageError when nothing is to change; LockstepError `UNKNOWN_SECRET`,
 *   `INVALID_NAME` (the variable name would not be valid), `INVALID_VALUE`
 *   (no such value schema), `LOCKED`.
 */
export async function setSecretMetadata(
  session: Session,
  options: MetadataChange & { id: string },
): Promise<MetadataResult> {
  const sid = session.secretId(options.id);
  const { description, schema, envName } = options;
  if (description === undefined && schema === undefined && envName === undefined) {
    throw new UsageError("--keep-value changes metadata: give --description, --schema or --env", {
      fix: "to add a version, leave out --keep-value and pass the value",
    });
  }
  if (schema !== undefined) await session.files.readValueSchema(schema);
  const file = session.files.manifestFile(sid.id);
  return session.files.withLock(file, async () => {
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
      ] as const
    )
      .filter(([, now, before]) => now !== undefined && now !== before)
      .map(([k]) => k);
    if (changed.length > 0) {
      await setManifestMetadata(session.files, existing, {
        ...(description !== undefined && { description }),
        ...(schema !== undefined && { schema }),
        ...(envName !== undefined && { env: envName }),
      });
    }
    return { id: sid.id, changed, version: Math.max(...d.versions.map((v) => v.version)) };
  });
}
