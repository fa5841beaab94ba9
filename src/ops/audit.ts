/**
 * `audit`: who created, rotated, promoted, rolled back, re-keyed or deleted
 * which secret, and who changed access, read from Git history.
 */
import { UsageError } from "../errors.js";
import { type AuditEvent, commitEvents, EVENT_KINDS, type EventKind, historyState, walk } from "./history.js";
import type { Session } from "./session.js";

/** Filters of {@link auditEvents}. */
export interface AuditOptions {
  /** A secret id, or an environment (every secret of it). */
  target?: string;
  /** Events at or after this date (anything `git log --since` takes). */
  since?: string;
  until?: string;
  /** Matches the author's name or email, case-insensitively. */
  author?: string;
  /** Only these kinds (default: all). */
  kinds?: readonly EventKind[];
}

/** What `audit` found. */
export interface AuditReport {
  /** The repository has no commits yet (no events). */
  empty: boolean;
  /** The clone is shallow: events before its oldest commit are missing. */
  shallow: boolean;
  /** Newest first. */
  events: AuditEvent[];
}

/**
 * Event kinds as a person types them (`rotated`, or `promoted,rolled-back`).
 * @throws UsageError for a kind that does not exist.
 */
export function parseEventKinds(list: readonly string[]): EventKind[] {
  const kinds = list.flatMap((k) => k.split(","));
  const bad = kinds.find((k) => !(EVENT_KINDS as readonly string[]).includes(k));
  if (bad !== undefined)
    throw new UsageError(`unknown event kind "${bad}"`, { fix: `kinds: ${EVENT_KINDS.join(", ")}` });
  return kinds as EventKind[];
}

/**
 * Every lockstep event in history that passes the filters, newest first.
 * @throws GitError.
 */
export async function auditEvents(session: Session, options: AuditOptions = {}): Promise<AuditReport> {
  const state = await historyState(session.files);
  if (state.empty) return { ...state, events: [] };
  const { commits, parse } = await walk(session.files, {
    ...(options.since !== undefined && { since: options.since }),
    ...(options.until !== undefined && { until: options.until }),
  });
  const target = options.target;
  const author = options.author?.toLowerCase();
  const events = commits
    .flatMap((c) => commitEvents(c, parse))
    .filter((e) => {
      if (target !== undefined) {
        if (e.id === undefined) return false;
        if (target.includes("/") ? e.id !== target : !e.id.startsWith(`${target}/`)) return false;
      }
      if (author && !`${e.author.name} <${e.author.email}>`.toLowerCase().includes(author)) return false;
      return !options.kinds || options.kinds.length === 0 || options.kinds.includes(e.kind);
    });
  return { ...state, events };
}
