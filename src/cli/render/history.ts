/** `audit` and `exposure`: what Git history says, for a person. */
import type { AuditEvent, ExposureReport } from "../../index.js";
import { paint, table } from "../output.js";
import { describeAccess } from "./changes.js";

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

/** Audit events, one line each: time, commit, author, signature, kind, secret, details. */
export function eventsTable(events: readonly AuditEvent[]): string {
  if (events.length === 0) return "No events.";
  return table(
    events.map((e) => [
      e.time.replace("T", " ").replace(/:\d\d([+-]\d\d:\d\d|Z)$/, ""),
      e.commit.slice(0, 8),
      `${e.author.name} <${e.author.email}>`,
      e.signed ? "signed" : paint(process.stdout, "2", "unsigned"),
      e.kind,
      e.id ?? "",
      details(e),
    ]),
  );
}

/** A member's exposure: the versions it could decrypt, and what to rotate (once it is no longer a reader). */
export function exposureText(report: ExposureReport): string {
  const { member } = report;
  if (report.versions.length === 0) {
    return report.current
      ? `${member} is a member of access.yaml, and no secret version is encrypted to them yet.`
      : `${member} could never decrypt any secret version${report.shallow ? " in the history of this shallow clone" : ""}.`;
  }
  const live = report.rotate.length;
  return [
    `${member} could decrypt ${report.versions.length} secret versions:`,
    table(
      report.versions.map((v) => [
        `  ${v.id}`,
        `v${v.version}`,
        v.live ? `live (${v.stages.join(", ")})` : "not live",
        v.since ? `since ${v.since.slice(0, 8)}` : "uncommitted",
      ]),
    ),
    report.current
      ? `${member} is a current member of access.yaml: what they read is their access, nothing to rotate. When they leave: \`lockstep member rm ${member}\`, \`lockstep rekey\`, then rotate and promote each secret still live here (${live}).`
      : live === 0
        ? "None of them is live: nothing to rotate."
        : `Rotate, then promote to every stage: ${report.rotate.join(", ")}`,
  ].join("\n");
}
