/**
 * `lockstep diff [REV]`: what the working tree changes against a revision,
 * per secret and in the access lists, without a value or ciphertext.
 */

import { recipientsFor } from "../core/access.js";
import { type AccessChange, compareAccess, compareSecret, type SecretChange } from "../core/changes.js";
import type { AccessConfig, ProjectConfig, VersionRecipient } from "../core/model.js";
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
  const secrets = ids.flatMap(
    (id) =>
      compareSecret(id, before.manifests.get(id), after.manifests.get(id), {
        ...readersOf(after.access, id),
        ...(Array.isArray(allowVariables) && { allowVariables }),
      }) ?? [],
  );
  const access = compareAccess(before.access, after.access);
  if (JSON.stringify(before.config) !== JSON.stringify(after.config)) {
    access.push({ kind: "config-changed", subject: CONFIG_FILE });
  }
  return { rev, secrets, access };
}
