/**
 * `lockstep diff [REV]`: what the working tree changes against a revision,
 * per secret and in the access lists, without a value or ciphertext.
 */

import { recipientsFor } from "../core/access.js";
import { type AccessChange, compareAccess, compareSecret, type SecretChange } from "../core/changes.js";
import type { AccessConfig, ProjectConfig, SecretManifest, VersionRecipient } from "../core/model.js";
import { hasCommits } from "../storage/git-history.js";
import { CONFIG_FILE } from "../storage/layout.js";
import type { Session } from "./session.js";
import { type Snapshot, snapshotAt, workingSnapshot } from "./snapshot.js";

/** What `diff` reports. */
export interface DiffReport {
  rev: string;
  secrets: SecretChange[];
  access: AccessChange[];
}

/** The readers of `id` by the working tree's access.yaml, when it names any. */
function readersOf(access: AccessConfig | undefined, id: string): { readers?: VersionRecipient[] } {
  try {
    return access?.members ? { readers: recipientsFor(access, id) } : {};
  } catch {
    return {};
  }
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
    rewritten: [],
    renumbered: [],
  };
  // renamedFrom itself is the rename, not a change of metadata. mv re-encrypts every version for the
  // new id (same readers): under a rename that is the expected re-encryption, not a rewrite.
  const merged = { ...base, ...change };
  const rekeyed = [...new Set([...merged.rekeyed, ...merged.rewritten])].sort((a, b) => a - b);
  return { ...merged, id, kind: "changed", renamedFrom: from, rekeyed, rewritten: [] };
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
    // Before the first commit, everything is new; HEAD, once there is a commit, exists (no rev-parse to ask).
    before = (await hasCommits(files.root)) ? await snapshotAt(files, rev, { exists: true }) : { manifests: new Map() };
  } else {
    before = await snapshotAt(files, rev);
  }
  const after = await workingSnapshot(session);
  const ids = [...new Set([...before.manifests.keys(), ...after.manifests.keys()])].sort();
  const allowVariables = (after.config as ProjectConfig | undefined)?.allowVariables;
  const renames = renamesBetween(before.manifests, after.manifests);
  const secrets = ids.flatMap((id) => {
    if ([...renames.values()].includes(id)) return []; // shown under its new id
    const from = renames.get(id);
    if (from === undefined) {
      return (
        compareSecret(id, before.manifests.get(id), after.manifests.get(id), {
          ...readersOf(after.access, id),
          ...(Array.isArray(allowVariables) && { allowVariables }),
        }) ?? []
      );
    }
    return [renamedChange(id, from, before.manifests.get(from), after.manifests.get(id))];
  });
  const access = compareAccess(before.access, after.access);
  if (JSON.stringify(before.config) !== JSON.stringify(after.config)) {
    access.push({ kind: "config-changed", subject: CONFIG_FILE });
  }
  return { rev, secrets, access };
}
