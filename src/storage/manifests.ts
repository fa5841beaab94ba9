/**
 * Secret manifests (`secrets/<id>.yaml`): the one entry for reading and
 * writing them. Behind it:
 *
 * - reading: the scanner of the form lockstep writes (manifest-scan.ts),
 *   else js-yaml, else the `yaml` package to name a broken line (yaml-file.ts);
 * - writing: the emitter (manifest-emit.ts) for a manifest in lockstep's own
 *   form, else an edit of the file's `yaml` Document (manifest-doc.ts,
 *   loaded on first use), so that a person's comments and key order survive.
 *
 * No YAML type leaves this module: callers hand it data and get data back.
 */
import type { SecretManifest, SecretType, SecretVersion } from "../core/model.js";
import type { RepositoryFiles } from "./layout.js";
import { emitManifest, rewriteManifest } from "./manifest-emit.js";
import { editedText, stringifyDocument, type YamlFile } from "./yaml-file.js";

/** A manifest as read: its data, validated, its text, and the line of any path in it. */
export type StoredManifest = YamlFile<SecretManifest>;

/** The Document edits, loaded on first use: they bring the `yaml` package (160 KB). */
const editing = () => import("./manifest-doc.js");

/** A secret's manifest, validated, or `undefined` if the secret does not exist. */
export async function readManifest(files: RepositoryFiles, id: string): Promise<StoredManifest | undefined> {
  try {
    return await files.readYaml<SecretManifest>(files.manifestFile(id), "secret");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Writes a new secret's manifest. */
export async function createManifest(files: RepositoryFiles, id: string, manifest: SecretManifest): Promise<void> {
  const text = emitManifest(manifest) ?? stringifyDocument((await editing()).newManifestDocument(manifest));
  await files.writeText(files.manifestFile(id), text);
}

/** A new version of an existing secret, and what changes with it. */
export interface VersionChange {
  version: SecretVersion;
  /** Stages to point at it. */
  stages: Record<string, number>;
  /** Metadata to set; an absent key is left as it is. */
  metadata?: { type?: SecretType; description?: string; schema?: string; env?: string };
  /** To keep as `rotation.generate`. */
  generator?: string;
}

/** Adds a version at the top of an existing manifest (newest first), with its metadata and stage moves. */
export async function addManifestVersion(
  files: RepositoryFiles,
  current: StoredManifest,
  change: VersionChange,
): Promise<void> {
  const { addVersion, setGenerator, setMetadata } = await editing();
  const text = await editedText(current, (doc) => {
    const m = change.metadata ?? {};
    setMetadata(doc, "type", m.type);
    setMetadata(doc, "description", m.description);
    setMetadata(doc, "schema", m.schema);
    setMetadata(doc, "env", m.env);
    if (change.generator !== undefined) setGenerator(doc, change.generator);
    addVersion(doc, change.version, change.stages);
  });
  await files.writeText(current.file, text);
}

/** Points stages of an existing manifest at other versions. */
export async function setManifestStages(
  files: RepositoryFiles,
  current: StoredManifest,
  stages: Record<string, number>,
): Promise<void> {
  const { setStages } = await editing();
  await files.writeText(current.file, await editedText(current, (doc) => setStages(doc, stages)));
}

/**
 * Replaces versions' recipients, ciphertexts and former recipients (rekey),
 * by version number; numbers and dates stay. As lockstep writes a manifest
 * when the file is in its form, else through the Document.
 */
export async function replaceManifestVersions(
  files: RepositoryFiles,
  current: StoredManifest,
  updates: ReadonlyMap<number, SecretVersion>,
): Promise<void> {
  const versions = current.data.versions.map((v) => {
    const u = updates.get(v.version);
    if (!u) return v;
    const { formerRecipients: _, ...rest } = v;
    const former = u.formerRecipients ?? [];
    // Key order as the Document edit leaves it: existing keys in place, a new one last, an empty list gone.
    return {
      ...(former.length > 0 ? v : rest),
      recipients: u.recipients,
      ciphertext: u.ciphertext,
      ...(former.length > 0 && { formerRecipients: former }),
    };
  });
  const text = rewriteManifest(current, { ...current.data, versions });
  if (text !== undefined) return files.writeText(current.file, text);
  const { replaceVersionCiphertext } = await editing();
  const edited = await editedText(current, (doc) => {
    for (const u of updates.values()) replaceVersionCiphertext(doc, u);
  });
  await files.writeText(current.file, edited);
}
