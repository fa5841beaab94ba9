/**
 * Git history read back as lockstep events, for `audit` (audit.ts) and
 * `exposure` (exposure.ts). One `git log` and one `git cat-file --batch`
 * for the whole walk.
 */
import {
  type AccessChange,
  compareAccess,
  compareSecret,
  type SecretChange,
  type StageChange,
} from "../core/changes.js";
import type { AccessConfig, SecretManifest } from "../core/model.js";
import {
  type HistoryCommit,
  hasCommits,
  isShallow,
  readBlobs,
  readHistory,
  shallowBoundary,
} from "../storage/git-history.js";
import { ACCESS_FILE, CONFIG_FILE, type RepositoryFiles, SECRETS_DIR } from "../storage/layout.js";
import { parseLenient } from "../storage/yaml-file.js";

/** The kinds of audit event. */
export const EVENT_KINDS = [
  "created",
  "rotated",
  "promoted",
  "rolled-back",
  "rekeyed",
  "deleted",
  "access-changed",
] as const;
/** One kind of audit event. */
export type EventKind = (typeof EVENT_KINDS)[number];

/** A person, as the commit records them. */
export interface EventPerson {
  name: string;
  email: string;
  time: string;
}

/** One thing that happened, read from one commit. */
export interface AuditEvent {
  kind: EventKind;
  /** The author's time (ISO 8601). */
  time: string;
  commit: string;
  author: EventPerson;
  committer: EventPerson;
  /** Git's `%G?`: G good, U good (unknown validity), N none, B bad, E cannot check, X/Y expired, R revoked. */
  signature: string;
  /** Whether the signature is good (G or U). */
  signed: boolean;
  subject: string;
  id?: string;
  versions?: number[];
  stages?: StageChange[];
  /** For access-changed: what changed. */
  changes?: AccessChange[];
  /** A renamed secret's other id. */
  renamed?: string;
}

/** What history is there to read. */
export interface HistoryState {
  /** The repository has no commits yet. */
  empty: boolean;
  /** The clone is shallow: older history is missing. */
  shallow: boolean;
}

/** Whether there is history, and all of it. */
export async function historyState(files: RepositoryFiles): Promise<HistoryState> {
  const empty = !(await hasCommits(files.root));
  return { empty, shallow: !empty && (await isShallow(files.root)) };
}

const PATHS = [CONFIG_FILE, ACCESS_FILE, SECRETS_DIR];

/** The secret id of a manifest's path (`secrets/<id>.yaml`), else `undefined`. */
export function secretIdOf(path: string): string | undefined {
  return path.startsWith(`${SECRETS_DIR}/`) && path.endsWith(".yaml")
    ? path.slice(SECRETS_DIR.length + 1, -".yaml".length)
    : undefined;
}

/** The commits of a walk, and each blob they touch, parsed once, on demand. */
export interface Walk {
  commits: HistoryCommit[];
  parse: <T>(sha: string | undefined) => T | undefined;
}

/**
 * Reads the commits and every blob they touch, parsing each blob once.
 * @throws GitError.
 */
export async function walk(files: RepositoryFiles, options: { since?: string; until?: string }): Promise<Walk> {
  const commits = await readHistory(files.root, PATHS, options);
  // A shallow clone's oldest commits look as if they added everything: their changes are unknown.
  const boundary = await shallowBoundary(files.root);
  for (const c of commits) if (boundary.has(c.hash)) c.changes = [];
  const shas = commits
    .flatMap((c) => c.changes.flatMap((ch) => [ch.oldBlob, ch.newBlob]))
    .filter((s): s is string => !!s);
  const texts = await readBlobs(files.root, shas);
  const parsed = new Map<string, unknown>();
  const parse = <T>(sha: string | undefined): T | undefined => {
    if (sha === undefined) return undefined;
    if (!parsed.has(sha)) parsed.set(sha, parseLenient(texts.get(sha) ?? ""));
    return parsed.get(sha) as T | undefined;
  };
  return { commits, parse };
}

function base(c: HistoryCommit): Omit<AuditEvent, "kind"> {
  return {
    time: c.author.time,
    commit: c.hash,
    author: c.author,
    committer: c.committer,
    signature: c.signature,
    signed: c.signature === "G" || c.signature === "U",
    subject: c.subject,
  };
}

/** Events of one commit, in a stable order. */
export function commitEvents(c: HistoryCommit, parse: <T>(sha: string | undefined) => T | undefined): AuditEvent[] {
  const events: AuditEvent[] = [];
  const b = base(c);
  // `lockstep mv` re-encrypts every version, so git sees a deletion and an addition, not a rename:
  // the new manifest's renamedFrom pairs them.
  const deletedIds = new Set(c.changes.filter((ch) => ch.status === "D").map((ch) => secretIdOf(ch.path)));
  const movedFrom = new Map<string, string>();
  for (const ch of c.changes) {
    const id = ch.status === "A" ? secretIdOf(ch.path) : undefined;
    const from = id === undefined ? undefined : parse<SecretManifest>(ch.newBlob)?.renamedFrom;
    if (id !== undefined && from !== undefined && deletedIds.has(from)) movedFrom.set(id, from);
  }
  const movedTo = new Map([...movedFrom].map(([to, from]) => [from, to]));
  for (const ch of c.changes) {
    if (ch.path === ACCESS_FILE || ch.path === CONFIG_FILE) {
      const changes =
        ch.path === ACCESS_FILE
          ? compareAccess(parse<AccessConfig>(ch.oldBlob), parse<AccessConfig>(ch.newBlob))
          : [{ kind: "config-changed" as const, subject: CONFIG_FILE }];
      if (changes.length > 0) events.push({ kind: "access-changed", ...b, changes });
      continue;
    }
    const id = secretIdOf(ch.path);
    if (id === undefined) continue;
    const before = parse<SecretManifest>(ch.oldBlob);
    const after = parse<SecretManifest>(ch.newBlob);
    if (ch.oldPath !== undefined) {
      const oldId = secretIdOf(ch.oldPath);
      if (oldId !== undefined) {
        const versions = (before?.versions ?? []).map((v) => v.version);
        const stages = Object.entries(after?.stages ?? {}).map(([stage, to]) => ({ stage, to }));
        events.push({ kind: "deleted", ...b, id: oldId, renamed: id, versions });
        events.push({ kind: "created", ...b, id, renamed: oldId, versions, stages });
        // A rename that also changed the manifest: report the change under the new id.
        const change = compareSecret(id, before, after);
        if (change) events.push(...changeEvents(b, id, change));
        continue;
      }
    }
    const from = movedFrom.get(id);
    if (from !== undefined) {
      const versions = (after?.versions ?? []).map((v) => v.version).sort((x, y) => x - y);
      const stages = Object.entries(after?.stages ?? {}).map(([stage, to]) => ({ stage, to }));
      events.push({ kind: "created", ...b, id, renamed: from, versions, stages });
      continue;
    }
    const to = movedTo.get(id);
    if (to !== undefined && after === undefined) {
      const versions = (before?.versions ?? []).map((v) => v.version).sort((x, y) => x - y);
      events.push({ kind: "deleted", ...b, id, renamed: to, versions });
      continue;
    }
    const change = compareSecret(id, before, after);
    if (!change) continue;
    if (change.kind === "created") {
      const stages = Object.entries(after?.stages ?? {}).map(([stage, to]) => ({ stage, to }));
      events.push({ kind: "created", ...b, id, versions: change.versionsAdded, stages });
      continue;
    }
    if (change.kind === "deleted") {
      events.push({ kind: "deleted", ...b, id, versions: change.versionsRemoved });
      continue;
    }
    events.push(...changeEvents(b, id, change));
  }
  return events;
}

/** The events of a change to an existing secret: rotated, promoted, rolled-back, rekeyed. */
function changeEvents(b: Omit<AuditEvent, "kind">, id: string, change: SecretChange): AuditEvent[] {
  const events: AuditEvent[] = [];
  const added = new Set(change.versionsAdded);
  if (added.size > 0) {
    const stages = change.stageMoves.filter((m) => m.to !== undefined && added.has(m.to));
    events.push({ kind: "rotated", ...b, id, versions: change.versionsAdded, stages });
  }
  const moves = change.stageMoves.filter((m) => !(m.to !== undefined && added.has(m.to)));
  const forward = moves.filter((m) => (m.to ?? 0) > (m.from ?? 0));
  const back = moves.filter((m) => (m.to ?? 0) < (m.from ?? 0));
  if (forward.length > 0) {
    events.push({
      kind: "promoted",
      ...b,
      id,
      versions: [...new Set(forward.map((m) => m.to as number))],
      stages: forward,
    });
  }
  if (back.length > 0) {
    events.push({
      kind: "rolled-back",
      ...b,
      id,
      versions: [...new Set(back.map((m) => m.to as number))],
      stages: back,
    });
  }
  // History has no readers to judge a rekey by: every version re-encrypted under its number is one event.
  const reencrypted = [...change.rekeyed, ...change.rewritten].sort((x, y) => x - y);
  if (reencrypted.length > 0) events.push({ kind: "rekeyed", ...b, id, versions: reencrypted });
  return events;
}
