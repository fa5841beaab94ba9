/**
 * `status --format markdown`: per environment, a mermaid flowchart of its
 * stages in rollout order (each stage's consumers and the version each
 * secret has there; an edge says how many secrets wait for promotion to the
 * next stage), then the same table as the text output. GitHub renders
 * mermaid blocks in step summaries, pull requests and Markdown files.
 */
import type { EnvironmentStatus, StageConfig } from "../../index.js";

/** At most this many secrets are listed in one stage's box; the table has them all. */
export const MAX_SECRETS_PER_STAGE = 12;

/** Text for a mermaid quoted label: quotes and angle brackets as entities. */
function label(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "#quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A markdown table cell. */
function cell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

/** The mermaid flowchart of one environment. */
export function stageDiagram(status: EnvironmentStatus, stages: readonly StageConfig[]): string {
  const lines = ["```mermaid", "flowchart LR"];
  const node = (i: number) => `s${i}`;
  stages.forEach((stage, i) => {
    const parts = [`<b>${label(stage.name)}</b>`];
    if ((stage.consumers ?? []).length > 0) parts.push(`<i>${label((stage.consumers ?? []).join(", "))}</i>`);
    const shown = status.secrets.slice(0, MAX_SECRETS_PER_STAGE);
    for (const s of shown) {
      const v = s.stages[stage.name];
      parts.push(label(`${s.id.slice(status.env.length + 1)} ${v === undefined ? "-" : `v${v}`}`));
    }
    if (status.secrets.length > shown.length) parts.push(`… ${status.secrets.length - shown.length} more`);
    if (status.secrets.length === 0) parts.push("no secrets");
    lines.push(`  ${node(i)}["${parts.join("<br/>")}"]`);
  });
  for (let i = 1; i < stages.length; i++) {
    const [from, to] = [stages[i - 1]?.name as string, stages[i]?.name as string];
    const waiting = status.secrets.filter((s) => (s.stages[to] ?? 0) < (s.stages[from] ?? 0)).length;
    const edge = waiting === 0 ? "in step" : `${waiting} to promote`;
    lines.push(`  ${node(i - 1)} -->|"${edge}"| ${node(i)}`);
  }
  lines.push("```");
  return lines.join("\n");
}

/** The whole markdown report: a heading, the diagram and the table per environment. */
export function statusMarkdown(envs: readonly { status: EnvironmentStatus; stages: readonly StageConfig[] }[]): string {
  const out: string[] = [];
  for (const { status, stages } of envs) {
    out.push(`### lockstep status: ${status.env}`, "", stageDiagram(status, stages), "");
    if (status.secrets.length === 0) continue;
    const names = stages.map((s) => s.name);
    out.push(
      `| secret | latest | ${names.map(cell).join(" | ")} | pending | rotation due |`,
      `|---|---:|${names.map(() => "---:").join("|")}|---|---|`,
    );
    for (const s of status.secrets) {
      const pending = s.pending.map((p) => `v${p.version} → ${p.stages.join(", ")}`).join("; ") || "-";
      const due = s.rotationDue === undefined ? "-" : s.overdue ? `**${s.rotationDue} (overdue)**` : s.rotationDue;
      out.push(
        `| \`${s.id}\` | ${s.latest} | ${names.map((n) => String(s.stages[n] ?? "-")).join(" | ")} | ${cell(pending)} | ${due} |`,
      );
    }
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}
