/**
 * `lockstep diff [REV]`: what the working tree changes against a revision,
 * per secret and in the access lists, without a value or ciphertext.
 */
import { type AccessChange, compareAccess, compareSecret, type SecretChange } from "../core/changes.js";
import type { AccessConfig, SecretManifest } from "../core/model.js";
import { LockstepError } from "../errors.js";
import { readTextIfExists } from "../storage/fs.js";
import { hasCommits, readBlobs, revisionExists, treeBlobs } from "../storage/git-history.js";
import { ACCESS_FILE, CONFIG_FILE, type RepositoryFiles, SECRETS_DIR } from "../storage/layout.js";
import { parseLenient } from "../storage/yaml-file.js";
import type { Session } from "./session.js";

/** A state of the repository's files, parsed leniently. */
interface Snapshot {
  config?: unknown;
  access?: AccessConfig;
  manifests: Map<string, SecretManifest>;
}

/** What `diff` reports. */
export interface DiffReport {
  rev: string;
  secrets: SecretChange[];
  access: AccessChange[];
}

function idOf(path: string): string | undefined {
  return path.startsWith(`${SECRETS_DIR}/`) && path.endsWith(".yaml")
    ? path.slice(SECRETS_DIR.length + 1, -".yaml".length)
    : undefined;
}

/** The files at `rev`, which exists. */
async function snapshotAt(files: RepositoryFiles, rev: string): Promise<Snapshot> {
  const blobs = await treeBlobs(files.root, rev, [CONFIG_FILE, ACCESS_FILE, SECRETS_DIR]);
  const texts = await readBlobs(files.root, blobs.values());
  const text = (path: string) => {
    const sha = blobs.get(path);
    return sha === undefined ? undefined : texts.get(sha);
  };
  const manifests = new Map<string, SecretManifest>();
  for (const path of blobs.keys()) {
    const id = idOf(path);
    const m = id === undefined ? undefined : parseLenient<SecretManifest>(text(path) ?? "");
    if (id !== undefined && m) manifests.set(id, m);
  }
  const accessText = text(ACCESS_FILE);
  const configText = text(CONFIG_FILE);
  return {
    ...(configText !== undefined && { config: parseLenient(configText) }),
    ...(accessText !== undefined && { access: parseLenient<AccessConfig>(accessText) as AccessConfig }),
    manifests,
  };
}

async function workingTree(files: RepositoryFiles): Promise<Snapshot> {
  const read = (rel: string) => readTextIfExists(files.abs(rel));
  const manifests = new Map<string, SecretManifest>();
  for (const id of await files.listSecretIds()) {
    const m = parseLenient<SecretManifest>((await read(files.manifestFile(id))) ?? "");
    if (m) manifests.set(id, m);
  }
  const accessText = await read(ACCESS_FILE);
  const configText = await read(CONFIG_FILE);
  return {
    ...(configText !== undefined && { config: parseLenient(configText) }),
    ...(accessText !== undefined && { access: parseLenient<AccessConfig>(accessText) as AccessConfig }),
    manifests,
  };
}

/**
 * The secrets of `after` that `lockstep mv` made from one of `before` that
 * is gone: new id -> old id (the manifest's `renamedFrom`).
 */
export function renamesBetween(
  before: ReadonlyMap<string, SecretManifest>,
  after: ReadonlyMap<string, SecretManifest>,
): Map<string, string> {
  const renames = new Map<string, string>();
  for (const [id, m] of after) {
    const from = m.renamedFrom;
    if (from !== undefined && !before.has(id) && before.has(from) && !after.has(from)) renames.set(id, from);
  }
  return renames;
}

/** A rename as one change of the new id: what moved with it (re-encrypted versions, readers, stages). */
export function renamedChange(
  id: string,
  from: string,
  before: SecretManifest | undefined,
  after: SecretManifest | undefined,
): SecretChange {
  const change = compareSecret(id, before, after);
  const base: SecretChange = {
    id,
    kind: "changed",
    versionsAdded: [],
    versionsRemoved: [],
    stageMoves: [],
    rekeyed: [],
    recipientsAdded: [],
    recipientsRemoved: [],
    metadata: [],
  };
  // renamedFrom itself is the rename, not a change of metadata.
  return { ...base, ...change, id, kind: "changed", renamedFrom: from };
}

/**
 * Compares the working tree with `rev` (default HEAD; before the first
 * commit, with nothing). Files are read leniently: a broken one is compared
 * as far as it can be read.
 * @throws UsageError for an unknown revision; GitError.
 */
export async function diffRepository(session: Session, options: { rev?: string } = {}): Promise<DiffReport> {
  const { files } = session;
  const rev = options.rev ?? "HEAD";
  let before: Snapshot;
  if (rev === "HEAD") {
    // Before the first commit, everything is new.
    before = (await hasCommits(files.root)) ? await snapshotAt(files, rev) : { manifests: new Map() };
  } else if (await revisionExists(files.root, rev)) {
    before = await snapshotAt(files, rev);
  } else {
    // Only a revision that does not exist is the user's mistake; any other failure of git is GIT.
    throw new LockstepError("USAGE", `unknown revision "${rev}"`, {
      fix: "pass a commit, branch or tag that exists here (fetch it first in a shallow CI clone)",
    });
  }
  const after = await workingTree(files);
  const ids = [...new Set([...before.manifests.keys(), ...after.manifests.keys()])].sort();
  const renames = renamesBetween(before.manifests, after.manifests);
  const secrets = ids.flatMap((id) => {
    if ([...renames.values()].includes(id)) return []; // shown under its new id
    const from = renames.get(id);
    if (from === undefined) return compareSecret(id, before.manifests.get(id), after.manifests.get(id)) ?? [];
    return [renamedChange(id, from, before.manifests.get(from), after.manifests.get(id))];
  });
  const access = compareAccess(before.access, after.access);
  if (JSON.stringify(before.config) !== JSON.stringify(after.config)) {
    access.push({ kind: "config-changed", subject: CONFIG_FILE });
  }
  return { rev, secrets, access };
}
