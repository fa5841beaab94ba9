/**
 * `check` findings for people (text), scripts (json), GitHub (workflow
 * commands) and pull requests (markdown).
 */
import type { Finding } from "../../index.js";
import { paint } from "../output.js";

/** The output formats of `check`. */
export type FindingsFormat = "text" | "json" | "github" | "markdown";

function counts(findings: readonly Finding[]): { errors: number; warnings: number } {
  const errors = findings.filter((f) => f.severity === "error").length;
  return { errors, warnings: findings.length - errors };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** A one-line summary: `2 errors, 1 warning in 12 secrets`. */
export function summary(findings: readonly Finding[], secrets: number): string {
  const { errors, warnings } = counts(findings);
  return `${plural(errors, "error")}, ${plural(warnings, "warning")} in ${plural(secrets, "secret")}`;
}

function text(findings: readonly Finding[], secrets: number, stream: NodeJS.WriteStream): string {
  const lines: string[] = [];
  let file: string | undefined;
  for (const f of findings) {
    if (f.file !== file) {
      if (file !== undefined) lines.push("");
      file = f.file;
      lines.push(paint(stream, "1", f.file));
    }
    const sev = f.severity === "error" ? paint(stream, "31", "error  ") : paint(stream, "33", "warning");
    const at = f.line === undefined ? "     " : String(f.line).padStart(5);
    lines.push(`${at}  ${sev}  ${f.code}  ${f.message}`);
    if (f.fix) lines.push(`${" ".repeat(7)}${paint(stream, "2", `fix: ${f.fix.replace(/\n/g, " ")}`)}`);
  }
  if (lines.length > 0) lines.push("");
  lines.push(findings.length === 0 ? `No problems found in ${plural(secrets, "secret")}.` : summary(findings, secrets));
  return `${lines.join("\n")}\n`;
}

/** Workflow command escaping (data and property values), as @actions/core does. */
function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

function github(findings: readonly Finding[], secrets: number): string {
  const lines = findings.map((f) => {
    const props = [`file=${escapeProperty(f.file)}`];
    if (f.line !== undefined) props.push(`line=${f.line}`);
    props.push(`title=${escapeProperty(`lockstep ${f.code}`)}`);
    const message = f.fix ? `${f.message}\nfix: ${f.fix}` : f.message;
    return `::${f.severity} ${props.join(",")}::${escapeData(message)}`;
  });
  lines.push(
    findings.length === 0
      ? `lockstep check: no problems found in ${plural(secrets, "secret")}`
      : `lockstep check: ${summary(findings, secrets)}`,
  );
  return `${lines.join("\n")}\n`;
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

function markdown(findings: readonly Finding[], secrets: number): string {
  const { errors } = counts(findings);
  const head = errors > 0 ? "### :x: lockstep check failed" : "### :white_check_mark: lockstep check passed";
  const lines = [
    head,
    "",
    findings.length === 0 ? `No problems found in ${plural(secrets, "secret")}.` : `${summary(findings, secrets)}.`,
  ];
  if (findings.length > 0) {
    lines.push("", "| | Finding | File | Secret | What | Fix |", "|---|---|---|---|---|---|");
    for (const f of findings) {
      const where = f.line === undefined ? f.file : `${f.file}:${f.line}`;
      lines.push(
        `| ${f.severity === "error" ? ":x:" : ":warning:"} | \`${f.code}\` | \`${cell(where)}\` | ${f.id ? `\`${cell(f.id)}\`` : ""} | ${cell(f.message)} | ${f.fix ? cell(f.fix) : ""} |`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Renders findings in a format. */
export function renderFindings(
  format: FindingsFormat,
  findings: readonly Finding[],
  secrets: number,
  stream: NodeJS.WriteStream,
): string {
  switch (format) {
    case "json":
      return `${JSON.stringify({ findings, summary: { secrets, ...counts(findings) } }, null, 2)}\n`;
    case "github":
      return github(findings, secrets);
    case "markdown":
      return markdown(findings, secrets);
    case "text":
      return text(findings, secrets, stream);
  }
}
