/**
 * States of the repository's files, read leniently: at a revision (from
 * git, without touching the working tree) or in the working tree. What
 * `diff` and `check --base` compare. A broken file is taken as far as it
 * can be read.
 */
import type { AccessConfig, SecretManifest } from "../core/model.js";
import { LockstepError } from "../errors.js";
import { readTextIfExists } from "../storage/fs.js";
import { readBlobs, revisionExists, treeBlobs } from "../storage/git-history.js";
import { ACCESS_FILE, CONFIG_FILE, type RepositoryFiles, SECRETS_DIR } from "../storage/layout.js";
import { parseLenient } from "../storage/yaml-file.js";
import { secretIdOf } from "./history.js";
import type { Session } from "./session.js";

/** A state of the repository's files, parsed leniently. */
export interface Snapshot {
  config?: unknown;
  access?: AccessConfig;
  /** Manifests by id (those that parse as a mapping). */
  manifests: Map<string, SecretManifest>;
}

/**
 * The files at `rev`, read from git (`exists`: the caller knows `rev` exists,
 * so git is not asked first).
 * @throws LockstepError `USAGE` for a revision that does not exist (only that is the user's mistake); GitError
 * for any other failure of git.
 */
export async function snapshotAt(
  files: RepositoryFiles,
  rev: string,
  known: { exists?: boolean } = {},
): Promise<Snapshot> {
  if (!known.exists && !(await revisionExists(files.root, rev))) {
    throw new LockstepError("USAGE", `unknown revision "${rev}"`, {
      fix: "pass a commit, branch or tag that exists here (fetch it first in a shallow CI clone)",
    });
  }
  const blobs = await treeBlobs(files.root, rev, [CONFIG_FILE, ACCESS_FILE, SECRETS_DIR]);
  const texts = await readBlobs(files.root, blobs.values());
  const text = (path: string) => {
    const sha = blobs.get(path);
    return sha === undefined ? undefined : texts.get(sha);
  };
  const manifests = new Map<string, SecretManifest>();
  for (const path of blobs.keys()) {
    const id = secretIdOf(path);
    const m = id === undefined ? undefined : parseLenient<SecretManifest>(text(path) ?? "");
    if (id !== undefined && m) manifests.set(id, m);
  }
  return withSettings(manifests, text(CONFIG_FILE), text(ACCESS_FILE));
}

/**
 * The working tree's files, manifests as every command sees them (links
 * inside the repository followed).
 * @throws LockstepError `UNSAFE_PATH` for a link out of the repository.
 */
export async function workingSnapshot(session: Session): Promise<Snapshot> {
  const { files } = session;
  const manifests = new Map<string, SecretManifest>();
  for (const id of await files.listSecretIds()) {
    const rel = files.manifestFile(id);
    files.assertInside(rel);
    const m = parseLenient<SecretManifest>((await readTextIfExists(files.abs(rel))) ?? "");
    if (m) manifests.set(id, m);
  }
  const read = async (rel: string) => {
    files.assertInside(rel);
    return readTextIfExists(files.abs(rel));
  };
  return withSettings(manifests, await read(CONFIG_FILE), await read(ACCESS_FILE));
}

function withSettings(
  manifests: Map<string, SecretManifest>,
  configText: string | undefined,
  accessText: string | undefined,
): Snapshot {
  return {
    ...(configText !== undefined && { config: parseLenient(configText) }),
    ...(accessText !== undefined && { access: parseLenient<AccessConfig>(accessText) as AccessConfig }),
    manifests,
  };
}
