/** `status`: each environment's secrets by stage, and its consumers' lag. */
import type { EnvironmentStatus, ProjectConfig } from "../../index.js";
import { paint, table } from "../output.js";

/** The status of environments, one block each (`config` gives their stages' order). */
export function statusText(envs: readonly EnvironmentStatus[], config: ProjectConfig): string {
  const lines: string[] = [];
  const warn = (s: string) => paint(process.stdout, "33", s);
  for (const [i, e] of envs.entries()) {
    if (i > 0) lines.push("");
    lines.push(paint(process.stdout, "1", e.env));
    if (e.secrets.length === 0) {
      lines.push("  no secrets");
      continue;
    }
    const stages = (config.environments[e.env]?.stages ?? []).map((s) => s.name);
    lines.push(
      table([
        ["  SECRET", "LATEST", ...stages.map((s) => s.toUpperCase()), "PENDING", "ROTATION DUE"],
        ...e.secrets.map((s) => [
          `  ${s.id}`,
          String(s.latest),
          ...stages.map((st) => String(s.stages[st] ?? "-")),
          s.pending.map((p) => `v${p.version} -> ${p.stages.join(",")}`).join("; ") || "-",
          s.rotationDue === undefined ? "-" : s.overdue ? warn(`${s.rotationDue} (overdue)`) : s.rotationDue,
        ]),
      ]),
    );
    const first = stages[0];
    for (const s of e.secrets) {
      const held = s.pending.find((p) => first !== undefined && p.stages.includes(first));
      if (held && first !== undefined) {
        lines.push(
          `  ${s.id}: v${held.version} is pending at every stage: release it with \`lockstep promote ${s.id} --stage ${first}\``,
        );
      }
    }
    for (const s of e.secrets) {
      if (!s.finish) continue;
      const when = s.finish.ready ? "finish is due" : `finish from ${s.finish.due}`;
      lines.push(
        `  ${s.id}: the credential of version ${s.finish.previous} still works, waiting for finish since ${s.finish.since} (${when}: lockstep rotate ${s.id} --finish)`,
      );
    }
    for (const c of e.consumers) {
      if (c.behind.length === 0) lines.push(`  consumer ${c.consumer} (${c.stage}): up to date`);
    }
    for (const c of e.consumers.filter((c) => c.behind.length > 0)) {
      lines.push(
        `  consumer ${c.consumer} (${c.stage}): behind on ${c.behind.map((b) => `${b.id} v${b.version} < v${b.latest}`).join(", ")}`,
      );
    }
  }
  return lines.join("\n");
}
