/**
 * `set`: a new secret, or a new version of one, encrypted to its readers.
 */
import { parseGenerator } from "../core/generators.js";
import type { SecretManifest, SecretType } from "../core/model.js";
import { initialStages, type StagePolicy, stagesForNewVersion } from "../core/stages.js";
import { LockstepError } from "../errors.js";
import { addManifestVersion, createManifest, readManifest } from "../storage/manifests.js";
import type { Session } from "./session.js";
import { validateValue } from "./values.js";
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
  /**
   * Write only if the newest version is still this one (`edit`: the value
   * was changed from it); else `CONFLICT` and nothing is written.
   */
  ifLatest?: number;
}

/** What a write did. */
export interface SetResult {
  id: string;
  version: number;
  created: boolean;
  /** The stages now pointing at the new version. */
  stages: string[];
}

/** A value, or a generator spec (`password:32`) to make one with; a generator is kept as the secret's own. */
export type NewValue = string | { generate: string };

/**
 * Creates a secret, or adds a version to it. A new secret points every
 * stage at version 1; a new version goes where `options.stages` says.
 * @throws LockstepError `INVALID_ID`, `NO_READERS`, `INVALID_VALUE`, `LOCKED`...
 */
export async function setSecret(
  session: Session,
  options: SetOptions & { id: string; value: NewValue },
): Promise<SetResult> {
  const sid = session.secretId(options.id);
  const given = options.value;
  const generated = typeof given === "string" ? undefined : given.generate;
  const value = typeof given === "string" ? given : parseGenerator(given.generate).generate();
  const recipients = recipientsOf(session, sid.id);
  const generator = options.generator ?? generated;
  const file = session.files.manifestFile(sid.id);
  return session.files.withLock(file, async () => {
    const existing = await readManifest(session.files, sid.id);
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
