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
import { type RepositoryFiles, SECRETS_DIR } from "./layout.js";
import type { VersionStamp } from "./manifest-doc.js";
import { emitManifest, rewriteManifest } from "./manifest-emit.js";
import { documentOf, stringifyDocument, type YamlFile } from "./yaml-file.js";

/** A manifest as read: its data, validated, its text, and the line of any path in it. */
export type StoredManifest = YamlFile<SecretManifest>;

export type { VersionStamp } from "./manifest-doc.js";

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

/** The id a manifest's path names: `secrets/<id>.yaml`. */
function idOfFile(file: string): string {
  return file.slice(SECRETS_DIR.length + 1, -".yaml".length);
}

/** `manifest` with `id` as its first key (lockstep records it, so that a manifest moved by hand shows). */
function withId(id: string, manifest: SecretManifest): SecretManifest {
  const { id: _, ...rest } = manifest;
  return { id, ...rest };
}

/** Writes a new secret's manifest, recording its id. */
export async function createManifest(files: RepositoryFiles, id: string, manifest: SecretManifest): Promise<void> {
  const m = withId(id, manifest);
  const text = emitManifest(m) ?? stringifyDocument((await editing()).newManifestDocument(m));
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
  /** Times to set on versions (a rotation retires older credentials). */
  stamps?: readonly VersionStamp[];
}

/**
 * Adds a version at the top of an existing manifest (newest first), with its
 * metadata and stage moves; records the secret's id if the manifest has none.
 */
export async function addManifestVersion(
  files: RepositoryFiles,
  current: StoredManifest,
  change: VersionChange,
): Promise<void> {
  const { addVersion, setGenerator, setId, setMetadata, stampVersion } = await editing();
  const doc = await documentOf(current);
  setId(doc, idOfFile(current.file));
  const m = change.metadata ?? {};
  setMetadata(doc, "type", m.type);
  setMetadata(doc, "description", m.description);
  setMetadata(doc, "schema", m.schema);
  setMetadata(doc, "env", m.env);
  if (change.generator !== undefined) setGenerator(doc, change.generator);
  for (const stamp of change.stamps ?? []) stampVersion(doc, stamp);
  addVersion(doc, change.version, change.stages);
  await files.writeText(current.file, stringifyDocument(doc));
}

/** Sets metadata of an existing manifest (an absent key is left as it is); versions and stages stay. */
export async function setManifestMetadata(
  files: RepositoryFiles,
  current: StoredManifest,
  metadata: { description?: string; schema?: string; env?: string; consumers?: string[]; maxAge?: string },
): Promise<void> {
  const { setMetadata, setRotation } = await editing();
  const doc = await documentOf(current);
  setMetadata(doc, "description", metadata.description);
  setMetadata(doc, "schema", metadata.schema);
  setMetadata(doc, "env", metadata.env);
  setMetadata(doc, "consumers", metadata.consumers);
  setRotation(doc, "maxAge", metadata.maxAge);
  await files.writeText(current.file, stringifyDocument(doc));
}

/** Points stages of an existing manifest at other versions (and sets times on versions). */
export async function setManifestStages(
  files: RepositoryFiles,
  current: StoredManifest,
  stages: Record<string, number>,
  stamps: readonly VersionStamp[] = [],
): Promise<void> {
  const { setStages, stampVersion } = await editing();
  const doc = await documentOf(current);
  setStages(doc, stages);
  for (const stamp of stamps) stampVersion(doc, stamp);
  await files.writeText(current.file, stringifyDocument(doc));
}

/** Sets times on versions of an existing manifest (`rotate --finish`: `revoked`). */
export async function stampManifestVersions(
  files: RepositoryFiles,
  current: StoredManifest,
  stamps: readonly VersionStamp[],
): Promise<void> {
  const { stampVersion } = await editing();
  const doc = await documentOf(current);
  for (const stamp of stamps) stampVersion(doc, stamp);
  await files.writeText(current.file, stringifyDocument(doc));
}

/**
 * Replaces versions' recipients, ciphertexts and former recipients (rekey),
 * by version number; numbers and dates stay; records the secret's id if the
 * manifest has none. As lockstep writes a manifest when the file is in its
 * form, else through the Document.
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
  const id = idOfFile(current.file);
  const text = rewriteManifest(current, withId(current.data.id ?? id, { ...current.data, versions }));
  if (text !== undefined) return files.writeText(current.file, text);
  const { replaceVersionCiphertext, setId } = await editing();
  const doc = await documentOf(current);
  setId(doc, id);
  for (const u of updates.values()) replaceVersionCiphertext(doc, u);
  await files.writeText(current.file, stringifyDocument(doc));
}
