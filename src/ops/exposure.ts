/**
 * `exposure`: every secret version a member could ever decrypt, from Git
 * history and the working tree, and which of them are live: the
 * offboarding list.
 */
import type { AccessConfig, SecretManifest } from "../core/model.js";
import { liveVersions } from "../core/stages.js";
import { ACCESS_FILE } from "../storage/layout.js";
import { readManifest } from "../storage/manifests.js";
import { historyState, secretIdOf, walk } from "./history.js";
import type { Session } from "./session.js";

/** One version a member could decrypt. */
export interface ExposedVersion {
  id: string;
  version: number;
  /** Whether some stage points at it today. */
  live: boolean;
  /** The stages that point at it today. */
  stages: string[];
  /** The oldest commit in which it was encrypted to the member (absent if only in the working tree). */
  since?: string;
}

/** What a member could ever decrypt. */
export interface ExposureReport {
  member: string;
  /** The keys the member ever had in access.yaml. */
  keys: string[];
  versions: ExposedVersion[];
  /** Secrets with a live exposed version: rotate these. */
  rotate: string[];
}

/**
 * Every secret version that `member` could ever decrypt, from Git history and
 * the working tree: a version whose recipients (or former recipients) name
 * the member or one of the keys it ever had.
 */
export async function exposure(session: Session, options: { member: string }): Promise<ExposureReport> {
  const { files } = session;
  const { member } = options;
  const state = await historyState(files);
  const { commits, parse } = state.empty ? { commits: [], parse: () => undefined } : await walk(files, {});
  const keys = new Set<string>();
  for (const c of commits) {
    for (const ch of c.changes) {
      if (ch.path !== ACCESS_FILE) continue;
      for (const sha of [ch.oldBlob, ch.newBlob]) {
        for (const k of parse<AccessConfig>(sha)?.members?.[member]?.recipients ?? []) keys.add(k);
      }
    }
  }
  // access.yaml as it is, if it can be read.
  let current: AccessConfig | undefined;
  try {
    current = session.access;
  } catch {
    current = undefined;
  }
  for (const k of current?.members[member]?.recipients ?? []) keys.add(k);
  const found = new Map<string, { id: string; version: number; since?: string }>();
  const visit = (id: string, m: SecretManifest | undefined, commit?: string) => {
    for (const v of m?.versions ?? []) {
      const all = [...(v.recipients ?? []), ...(v.formerRecipients ?? [])];
      if (!all.some((r) => r.member === member || keys.has(r.key))) continue;
      // Commits come newest first: the last one seen is the oldest.
      found.set(`${id}\u0000${v.version}`, { id, version: v.version, ...(commit !== undefined && { since: commit }) });
    }
  };
  const tree = new Map<string, SecretManifest | undefined>();
  for (const id of await files.listSecretIds()) {
    const m = await readManifest(files, id).catch(() => undefined);
    tree.set(id, m?.data);
    visit(id, m?.data);
  }
  for (const c of commits) {
    for (const ch of c.changes) {
      const id = secretIdOf(ch.path);
      if (id !== undefined) visit(id, parse<SecretManifest>(ch.newBlob), c.hash);
    }
  }
  const versions = [...found.values()]
    .map((f) => {
      const m = tree.get(f.id);
      const stages = Object.entries(m?.stages ?? {})
        .filter(([, n]) => n === f.version)
        .map(([s]) => s);
      return { ...f, live: m !== undefined && liveVersions(m).has(f.version), stages };
    })
    .sort((a, b) => a.id.localeCompare(b.id) || b.version - a.version);
  return {
    member,
    keys: [...keys],
    versions,
    rotate: [...new Set(versions.filter((v) => v.live).map((v) => v.id))],
  };
}
