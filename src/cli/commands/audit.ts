/** `lockstep audit`: who did what to which secret, read from Git history. */

import { UsageError } from "../../errors.js";
import { type AuditEvent, auditEvents, EVENT_KINDS, type EventKind, historyState } from "../../ops/history.js";
import { findRoot, RepositoryFiles } from "../../storage/layout.js";
import { type GlobalOptions, warn } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { out, outJson, paint, table } from "../output.js";
import { describeAccess } from "./diff.js";

/** Options of `audit`. */
export interface AuditCommandOptions extends GlobalOptions {
  target?: string;
  since?: string;
  until?: string;
  author?: string;
  kind?: string[];
  json?: boolean;
  requireSigned?: boolean;
}

function details(e: AuditEvent): string {
  if (e.kind === "access-changed") return (e.changes ?? []).map(describeAccess).join("; ");
  const parts: string[] = [];
  if (e.versions && e.versions.length > 0) parts.push(e.versions.map((v) => `v${v}`).join(", "));
  if (e.stages && e.stages.length > 0) {
    parts.push(
      e.stages
        .map((s) => (s.from === undefined ? `${s.stage} v${s.to}` : `${s.stage} v${s.from} -> v${s.to}`))
        .join(", "),
    );
  }
  if (e.renamed) parts.push(e.kind === "created" ? `renamed from ${e.renamed}` : `renamed to ${e.renamed}`);
  return parts.join("; ");
}

/** Prints the events, newest first; with --require-signed, exits 1 if any commit lacks a good signature. */
export async function audit(o: AuditCommandOptions): Promise<number> {
  const kinds = (o.kind ?? []).flatMap((k) => k.split(","));
  const bad = kinds.find((k) => !(EVENT_KINDS as readonly string[]).includes(k));
  if (bad !== undefined)
    throw new UsageError(`unknown event kind "${bad}"`, { fix: `kinds: ${EVENT_KINDS.join(", ")}` });
  const files = new RepositoryFiles(await findRoot(o.C ?? process.cwd()));
  const state = await historyState(files);
  if (state.empty) {
    if (o.json) outJson([]);
    else out("No history yet: the repository has no commits.");
    return EXIT.ok;
  }
  if (state.shallow) {
    warn(
      "this is a shallow clone: events before its oldest commit are missing; run `git fetch --unshallow` for the whole history",
    );
  }
  const events = await auditEvents(files, {
    ...(o.target !== undefined && { target: o.target }),
    ...(o.since !== undefined && { since: o.since }),
    ...(o.until !== undefined && { until: o.until }),
    ...(o.author !== undefined && { author: o.author }),
    kinds: kinds as EventKind[],
  });
  if (o.json) outJson(events);
  else if (events.length === 0) out("No events.");
  else {
    out(
      table(
        events.map((e) => [
          e.time.replace("T", " ").replace(/:\d\d([+-]\d\d:\d\d|Z)$/, ""),
          e.commit.slice(0, 8),
          `${e.author.name} <${e.author.email}>`,
          e.signed ? "signed" : paint(process.stdout, "2", "unsigned"),
          e.kind,
          e.id ?? "",
          details(e),
        ]),
      ),
    );
  }
  if (o.requireSigned) {
    const unsigned = events.filter((e) => !e.signed);
    if (unsigned.length > 0) {
      const commits = [...new Set(unsigned.map((e) => e.commit.slice(0, 8)))];
      warn(`${unsigned.length} events come from commits without a good signature: ${commits.join(", ")}`);
      return EXIT.failed;
    }
  }
  return EXIT.ok;
}
