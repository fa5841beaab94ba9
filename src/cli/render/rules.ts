/** What `rule add`, `rule rm` and `rule ls` show. */
import type { ReadersChange, RuleChangeResult, RulesReport } from "../../index.js";
import { table } from "../output.js";
import { describeCommit } from "./writes.js";

const list = (names: readonly string[]) => (names.length > 0 ? names.join(", ") : "none");

/** The secrets whose readers changed, a line each, and the rekey (or rotation) they call for. */
export function describeReadersChanges(changes: readonly ReadersChange[]): string[] {
  if (changes.length === 0) return [];
  const rows = changes.map((c) => [
    c.id,
    [...c.gained.map((m) => `+${m}`), ...c.lost.map((m) => `-${m}`)].join(" "),
    c.unreadable ? "(no reader left: it cannot get a new version)" : "",
  ]);
  const lost = changes.some((c) => c.lost.length > 0);
  return [
    `Readers change for ${changes.length === 1 ? "1 secret" : `${changes.length} secrets`}:`,
    table(rows.map((r) => [`  ${r[0]}`, ...r.slice(1)])),
    "Run `lockstep rekey` so their versions are encrypted to today's readers.",
    ...(lost ? ["Former readers keep what they could read: rotate what they must no longer know."] : []),
  ];
}

/** `rule add` / `rule rm`: the rule as it is now, and whose reading changed. */
export function describeRuleChange(r: RuleChangeResult): string {
  const at = r.line === undefined ? "" : ` (access.yaml:${r.line})`;
  const head =
    r.change === "removed"
      ? `Removed the rule for "${r.match}"`
      : r.change === "unchanged"
        ? `Rule "${r.match}" unchanged: it already names them${at}`
        : `${r.change === "created" ? "Added rule" : "Updated rule"} "${r.match}"${at}: readers ${list(r.readers)}; approvers ${list(r.approvers)}`;
  const lines = [head, ...describeReadersChanges(r.readersChanged)];
  lines.push(...describeCommit(r));
  return lines.join("\n");
}

/** `rule ls`: a row per rule; with an id, the readers and approvers its rules give it. */
export function describeRules(report: RulesReport): string {
  const lines: string[] = [];
  if (report.secret) {
    const s = report.secret;
    lines.push(`${s.id}: readers ${list(s.readers)}; approvers ${list(s.approvers)}`);
    if (report.rules.length === 0) {
      lines.push('No rule matches it: `lockstep rule add "GLOB" --readers NAME` gives it readers.');
      return lines.join("\n");
    }
    lines.push(`Decided by ${report.rules.length === 1 ? "this rule" : "these rules"} of access.yaml:`);
  } else if (report.rules.length === 0) {
    return 'No rules yet: `lockstep rule add "production/**" --readers NAME` adds one.';
  }
  const rows = report.rules.map((r) => [
    r.line === undefined ? "" : `access.yaml:${r.line}`,
    `"${r.match}"`,
    `readers ${list(r.readers)}`,
    `approvers ${list(r.approvers)}`,
    `${r.secrets} secret${r.secrets === 1 ? "" : "s"}`,
    r.unknown.length > 0 ? `unknown: ${r.unknown.join(", ")}` : "",
  ]);
  lines.push(table(rows));
  return lines.join("\n");
}
