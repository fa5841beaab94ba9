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
import { LockstepError } from "../errors.js";
import { removeFile } from "./fs.js";
import { type RepositoryFiles, SECRETS_DIR } from "./layout.js";
import type { VersionStamp } from "./manifest-doc.js";
import { emitManifest, rewriteManifest } from "./manifest-emit.js";
import { editedText, parseYamlFile, stringifyDocument, type YamlFile } from "./yaml-file.js";

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
  await files.writeText(files.manifestFile(id), await manifestText(withId(id, manifest)));
}

/** A manifest's text as lockstep writes a new one. */
export async function manifestText(manifest: SecretManifest): Promise<string> {
  return emitManifest(manifest) ?? stringifyDocument((await editing()).newManifestDocument(manifest));
}

/**
 * Parses and validates a manifest's text (from Git history, or a merge).
 * @throws FileFormatError naming `file` and the line.
 */
export function parseManifest(text: string, file: string): Promise<StoredManifest> {
  return parseYamlFile<SecretManifest>(text, file, "secret");
}

/**
 * Writes a manifest's text as it is (a restore from history), after
 * checking it is a valid manifest.
 * @throws FileFormatError if it is not.
 */
export async function writeManifestText(files: RepositoryFiles, id: string, text: string): Promise<StoredManifest> {
  const file = files.manifestFile(id);
  const parsed = await parseManifest(text, file);
  await files.writeText(file, text);
  return parsed;
}

/** Removes a secret's manifest, and the folders under secrets/ it leaves empty. */
export async function deleteManifest(files: RepositoryFiles, id: string): Promise<void> {
  const file = files.manifestFile(id);
  await removeFile(files.abs(file));
  const parts = file.split("/").slice(0, -1);
  while (parts.length > 1 && parts.join("/") !== SECRETS_DIR) {
    if (!(await files.removeEmptyFolder(parts.join("/")))) break;
    parts.pop();
  }
}

/**
 * Removes versions by number (prune), through the emitter when the file is
 * in lockstep's form, else the Document.
 * @throws LockstepError `ROLLOUT_REFUSED` if a stage points at one of them.
 */
export async function removeManifestVersions(
  files: RepositoryFiles,
  current: StoredManifest,
  numbers: ReadonlySet<number>,
): Promise<void> {
  const live = Object.entries(current.data.stages).find(([, v]) => numbers.has(v));
  if (live) {
    throw new LockstepError("ROLLOUT_REFUSED", `stage ${live[0]} points at version ${live[1]}: it cannot be removed`, {
      file: current.file,
    });
  }
  const next = { ...current.data, versions: current.data.versions.filter((v) => !numbers.has(v.version)) };
  const text = rewriteManifest(current, next);
  if (text !== undefined) return files.writeText(current.file, text);
  const { removeVersions } = await editing();
  await files.writeText(current.file, await editedText(current, (doc) => removeVersions(doc, numbers)));
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
  const text = await editedText(current, (doc) => {
    setId(doc, idOfFile(current.file));
    const m = change.metadata ?? {};
    setMetadata(doc, "type", m.type);
    setMetadata(doc, "description", m.description);
    setMetadata(doc, "schema", m.schema);
    setMetadata(doc, "env", m.env);
    if (change.generator !== undefined) setGenerator(doc, change.generator);
    for (const stamp of change.stamps ?? []) stampVersion(doc, stamp);
    addVersion(doc, change.version, change.stages);
  });
  await files.writeText(current.file, text);
}

/** Sets metadata of an existing manifest (an absent key is left as it is); versions and stages stay. */
export async function setManifestMetadata(
  files: RepositoryFiles,
  current: StoredManifest,
  metadata: { description?: string; schema?: string; env?: string; consumers?: string[]; maxAge?: string },
): Promise<void> {
  const { setMetadata, setRotation } = await editing();
  const text = await editedText(current, (doc) => {
    setMetadata(doc, "description", metadata.description);
    setMetadata(doc, "schema", metadata.schema);
    setMetadata(doc, "env", metadata.env);
    setMetadata(doc, "consumers", metadata.consumers);
    setRotation(doc, "maxAge", metadata.maxAge);
  });
  await files.writeText(current.file, text);
}

/** Points stages of an existing manifest at other versions (and sets times on versions). */
export async function setManifestStages(
  files: RepositoryFiles,
  current: StoredManifest,
  stages: Record<string, number>,
  stamps: readonly VersionStamp[] = [],
): Promise<void> {
  const { setStages, stampVersion } = await editing();
  const text = await editedText(current, (doc) => {
    setStages(doc, stages);
    for (const stamp of stamps) stampVersion(doc, stamp);
  });
  await files.writeText(current.file, text);
}

/** Sets times on versions of an existing manifest (`rotate --finish`: `revoked`). */
export async function stampManifestVersions(
  files: RepositoryFiles,
  current: StoredManifest,
  stamps: readonly VersionStamp[],
): Promise<void> {
  const { stampVersion } = await editing();
  const text = await editedText(current, (doc) => {
    for (const stamp of stamps) stampVersion(doc, stamp);
  });
  await files.writeText(current.file, text);
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
  await files.writeText(current.file, await replacedText(current, updates));
}

/**
 * The text of `current` with versions replaced: through the emitter when the
 * file is in lockstep's form, else through its Document.
 */
async function replacedText(current: StoredManifest, updates: ReadonlyMap<number, SecretVersion>): Promise<string> {
  const id = idOfFile(current.file);
  const text = rewriteManifest(current, withId(current.data.id ?? id, withUpdates(current.data, updates)));
  if (text !== undefined) return text;
  const { replaceVersionCiphertext, setId } = await editing();
  return editedText(current, (doc) => {
    setId(doc, id);
    for (const u of updates.values()) replaceVersionCiphertext(doc, u);
  });
}

/** A manifest's data with versions' recipients, ciphertexts and former recipients replaced. */
function withUpdates(data: SecretManifest, updates: ReadonlyMap<number, SecretVersion>): SecretManifest {
  const versions = data.versions.map((v) => {
    const u = updates.get(v.version);
    if (!u) return v;
    // A ciphertext written anew is bound to its number: a merge's mark goes.
    const { formerRecipients: _, mergedFrom: _m, ...rest } = v;
    const { mergedFrom: _n, ...kept } = v;
    const former = u.formerRecipients ?? [];
    // Key order as the Document edit leaves it: existing keys in place, a new one last, an empty list gone.
    return {
      ...(former.length > 0 ? kept : rest),
      recipients: u.recipients,
      ciphertext: u.ciphertext,
      ...(former.length > 0 && { formerRecipients: former }),
    };
  });
  return { ...data, versions };
}

/**
 * Moves a manifest to another id (`mv`): its versions replaced by `updates`
 * (bound to the new id), `renamedFrom` recording the old id, comments and
 * order kept. The new file is written before the old one is removed.
 */
export async function moveManifest(
  files: RepositoryFiles,
  current: StoredManifest,
  to: string,
  updates: ReadonlyMap<number, SecretVersion>,
): Promise<void> {
  const from = current.file;
  const { renamedFrom: _, stages, versions, ...metadata } = current.data;
  const fromId = from.slice(SECRETS_DIR.length + 1, -".yaml".length);
  // A manifest that records its own id (the gate's keyless binding) records the new one.
  const recorded = (metadata as { id?: string }).id !== undefined;
  // renamedFrom goes where metadata goes: before stages.
  const renamed = { ...metadata, ...(recorded && { id: to }), renamedFrom: fromId, stages, versions };
  let text: string | undefined;
  if (emitManifest(current.data) === current.text) {
    text = emitManifest(withUpdates(renamed, updates));
  }
  if (text === undefined) {
    const { setMetadata } = await editing();
    const edited = await editedText(current, (doc) => {
      if (recorded) doc.set("id", to);
      if (doc.has("renamedFrom")) doc.set("renamedFrom", fromId);
      else setMetadata(doc, "renamedFrom", fromId);
    });
    text = await replacedText(await parseManifest(edited, files.manifestFile(to)), updates);
  }
  await files.writeText(files.manifestFile(to), text);
  await deleteManifest(files, fromId);
}
