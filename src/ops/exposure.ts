/**
 * `exposure`: every secret version a member could ever decrypt, from Git
 * history and the working tree, and which of them are live: the
 * offboarding list. It never gives false comfort: a name it has never seen
 * is an error (with the names it knows), a manifest it cannot read is an
 * error naming the file, and a shallow clone says its history is cut.
 */
import type { AccessConfig, SecretManifest } from "../core/model.js";
import { liveVersions } from "../core/stages.js";
import { closestNames } from "../core/suggest.js";
import { LockstepError } from "../errors.js";
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
  /** Whether the member is in access.yaml today: its live versions are its to read, nothing to rotate yet. */
  current: boolean;
  /** The clone is shallow: versions encrypted to the member before its oldest commit are not in this report. */
  shallow: boolean;
  /** Manifests in history that could not be read (not YAML): what they held is not in this report. */
  unreadable: { commit: string; file: string }[];
  /** The keys the member ever had in access.yaml. */
  keys: string[];
  versions: ExposedVersion[];
  /** Secrets with a live exposed version: rotate these once the member is no longer a reader. */
  rotate: string[];
}

/**
 * Every secret version that `member` could ever decrypt, from Git history and
 * the working tree: a version whose recipients (or former recipients) name
 * the member or one of the keys it ever had.
 * @throws LockstepError `UNKNOWN_MEMBER` for a name that no access.yaml, current or in history, and no manifest
 * ever named (with the closest known names); a manifest of the working tree that cannot be read (naming it); GitError.
 */
export async function exposure(session: Session, options: { member: string }): Promise<ExposureReport> {
  const { files } = session;
  const { member } = options;
  const state = await historyState(files);
  const { commits, parse } = state.empty ? { commits: [], parse: () => undefined } : await walk(files, {});
  const keys = new Set<string>();
  const known = new Set<string>();
  for (const c of commits) {
    for (const ch of c.changes) {
      if (ch.path !== ACCESS_FILE) continue;
      for (const sha of [ch.oldBlob, ch.newBlob]) {
        const members = parse<AccessConfig>(sha)?.members ?? {};
        for (const name of Object.keys(members)) known.add(name);
        for (const k of members[member]?.recipients ?? []) keys.add(k);
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
  for (const name of Object.keys(current?.members ?? {})) known.add(name);
  for (const k of current?.members[member]?.recipients ?? []) keys.add(k);
  const found = new Map<string, { id: string; version: number; since?: string }>();
  const visit = (id: string, m: SecretManifest | undefined, commit?: string) => {
    for (const v of Array.isArray(m?.versions) ? (m?.versions ?? []) : []) {
      const all = [...(v.recipients ?? []), ...(v.formerRecipients ?? [])];
      for (const r of all) known.add(r.member);
      if (!all.some((r) => r.member === member || keys.has(r.key))) continue;
      // Commits come newest first: the last one seen is the oldest.
      found.set(`${id}\u0000${v.version}`, { id, version: v.version, ...(commit !== undefined && { since: commit }) });
    }
  };
  const tree = new Map<string, SecretManifest | undefined>();
  for (const id of await session.secretIds()) {
    let m: SecretManifest | undefined;
    try {
      m = (await readManifest(files, id))?.data;
    } catch (e) {
      const file = files.manifestFile(id);
      throw new LockstepError(
        "SCHEMA_INVALID",
        `${file} cannot be read, so who could decrypt its versions is unknown`,
        {
          file,
          fix: "repair the file (`lockstep check` says what is wrong with it), then run exposure again",
          cause: e,
        },
      );
    }
    tree.set(id, m);
    visit(id, m);
  }
  const unreadable: { commit: string; file: string }[] = [];
  for (const c of commits) {
    for (const ch of c.changes) {
      const id = secretIdOf(ch.path);
      if (id === undefined || ch.newBlob === undefined) continue;
      const m = parse<SecretManifest>(ch.newBlob);
      if (m === undefined) unreadable.push({ commit: c.hash, file: ch.path });
      visit(id, m, c.hash);
    }
  }
  if (!known.has(member)) {
    const near = closestNames(member, known);
    throw new LockstepError("UNKNOWN_MEMBER", `no member "${member}" in access.yaml, its history, or any manifest`, {
      file: ACCESS_FILE,
      fix:
        near.length > 0
          ? `did you mean ${near.join(" or ")}?`
          : `members known here: ${[...known].sort().join(", ") || "none"}`,
    });
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
    current: current?.members[member] !== undefined,
    shallow: state.shallow,
    unreadable,
    keys: [...keys],
    versions,
    rotate: [...new Set(versions.filter((v) => v.live).map((v) => v.id))],
  };
}
