/** `diff` (and `audit`'s access events): changes to secrets and access, as sentences; never a value. */
import type { AccessChange, DiffReport, SecretChange } from "../../index.js";

const list = (ns: number[]) => ns.map((n) => `v${n}`).join(", ");

/** Sentences describing one secret's change. */
export function describeSecret(c: SecretChange): string[] {
  const parts: string[] = [];
  if (c.kind === "created") parts.push(`created (${list(c.versionsAdded)})`);
  if (c.kind === "deleted") parts.push("deleted");
  if (c.renamedFrom) parts.push(`renamed from ${c.renamedFrom}`);
  if (c.kind === "changed" && c.versionsAdded.length > 0) parts.push(`new version ${list(c.versionsAdded)}`);
  if (c.versionsRemoved.length > 0 && c.kind !== "deleted") parts.push(`versions removed: ${list(c.versionsRemoved)}`);
  for (const m of c.stageMoves) {
    const dir =
      m.to !== undefined && c.versionsAdded.includes(m.to)
        ? "new version"
        : m.from !== undefined && m.to !== undefined
          ? m.to > m.from
            ? "promoted"
            : "rolled back"
          : "set";
    parts.push(
      `${m.stage} ${m.from === undefined ? "-" : `v${m.from}`} -> ${m.to === undefined ? "-" : `v${m.to}`} (${dir})`,
    );
  }
  if (c.rekeyed.length > 0) parts.push(`re-encrypted: ${list(c.rekeyed)}`);
  if (c.rewritten.length > 0) {
    parts.push(`REWRITTEN, not a rekey (another ciphertext or recipients under the same number): ${list(c.rewritten)}`);
  }
  for (const r of c.renumbered) parts.push(`RENUMBERED: v${r.from} now stands as v${r.to}`);
  if (c.steering) {
    parts.push(
      `exports as ${c.steering.name}, a variable that steers what a process runs${c.steering.allowed ? " (allowed in lockstep.yaml)" : " (not allowed in lockstep.yaml)"}`,
    );
  }
  if (c.recipientsAdded.length > 0) parts.push(`readers added: ${c.recipientsAdded.join(", ")}`);
  if (c.recipientsRemoved.length > 0) parts.push(`readers removed: ${c.recipientsRemoved.join(", ")}`);
  if (c.metadata.length > 0) parts.push(`changed: ${c.metadata.join(", ")}`);
  return parts;
}

/** One access change as a sentence. */
export function describeAccess(c: AccessChange): string {
  const what = c.kind.replace(/-/g, " ");
  return `${what}: ${c.subject}${c.detail ? ` (${c.detail})` : ""}`;
}

/** `diff` for a person. */
export function diffText(r: DiffReport): string {
  if (r.secrets.length === 0 && r.access.length === 0) return `No changes against ${r.rev}.\n`;
  const lines = [`Changes against ${r.rev}:`];
  for (const c of r.secrets) lines.push(`  ${c.id}: ${describeSecret(c).join("; ")}`);
  for (const c of r.access) lines.push(`  ${describeAccess(c)}`);
  return `${lines.join("\n")}\n`;
}

/** `diff` for a pull request comment. */
export function diffMarkdown(r: DiffReport): string {
  const lines = [`### lockstep diff against \`${r.rev}\``, ""];
  if (r.secrets.length === 0 && r.access.length === 0) return `${lines.join("\n")}\nNo secret or access changes.\n`;
  if (r.secrets.length > 0) {
    lines.push("| Secret | Change |", "|---|---|");
    for (const c of r.secrets) lines.push(`| \`${c.id}\` | ${describeSecret(c).join("<br>")} |`);
    lines.push("");
  }
  if (r.access.length > 0) {
    lines.push("**Access**", "");
    for (const c of r.access) lines.push(`- ${describeAccess(c)}`);
    lines.push("");
  }
  lines.push("_Values and ciphertexts are never shown._");
  return `${lines.join("\n")}\n`;
}
