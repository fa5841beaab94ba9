/**
 * What the commands that write say they did: set and rotate, import,
 * rekey, member add and rm, promote and rollback.
 */
import type {
  AddMemberResult,
  MetadataResult,
  RekeyResult,
  RemoveMemberResult,
  RolloutResult,
  SetResult,
} from "../../index.js";
import { table } from "../output.js";

/** What a write did: `Created production/db/password: version 1 (stages: canary, stable)`. */
export function describeWrite(r: SetResult): string {
  const where = r.stages.length > 0 ? `stages: ${r.stages.join(", ")}` : "pending: no stage points at it yet";
  return `${r.created ? "Created" : "Updated"} ${r.id}: version ${r.version} (${where})`;
}

/** A metadata change: what changed, and that the value and versions did not. */
export function describeMetadata(r: MetadataResult): string {
  const names: Record<MetadataResult["changed"][number], string> = {
    description: "description",
    schema: "schema",
    envName: "variable name",
  };
  if (r.changed.length === 0) return `${r.id}: nothing changed (version ${r.version} stays the newest)`;
  return `Updated ${r.id}: ${r.changed.map((c) => names[c]).join(", ")}; no new version (version ${r.version} stays the newest)`;
}

/** An import: a line per secret, and the counts. */
export function describeImport(results: readonly SetResult[]): string {
  const created = results.filter((r) => r.created).length;
  return [
    table(results.map((r) => [r.created ? "created" : "updated", r.id, `version ${r.version}`])),
    `Imported ${results.length} secrets (${created} new, ${results.length - created} new versions).`,
  ].join("\n");
}

/** A rekey: a line per secret re-encrypted, and who lost access. */
export function describeRekey(results: readonly RekeyResult[]): string {
  if (results.length === 0) return "Every version is already encrypted to its readers.";
  const lines = [table(results.map((r) => ["rekeyed", r.id, `versions ${r.versions.join(", ")}`]))];
  const removed = [...new Set(results.flatMap((r) => r.removed))].sort();
  if (removed.length > 0) {
    lines.push(
      `No longer readers: ${removed.join(", ")}. They may still hold old ciphertexts from Git history: rotate what they could read.`,
    );
  }
  return lines.join("\n");
}

/** `member add`: what changed, and the rekey it calls for. */
export function describeMemberAdd(r: AddMemberResult): string {
  const changed = r.addedKeys.length > 0 || r.groups.length > 0;
  const what = r.created ? "Added member" : changed ? "Updated member" : "Member unchanged:";
  const details = [
    ...(!r.created && r.addedKeys.length > 0 ? [`${r.addedKeys.length} new key(s)`] : []),
    ...(r.groups.length > 0 ? [`groups: ${r.groups.join(", ")}`] : []),
  ];
  const lines = [`${what} ${r.name}${details.length > 0 ? ` (${details.join("; ")})` : ""}`];
  if (!r.created && changed) lines.push("Run `lockstep rekey` so existing versions are encrypted to the new readers.");
  return lines.join("\n");
}

/** `member rm`: where the member was taken out of, and what to rotate. */
export function describeMemberRm(r: RemoveMemberResult): string {
  return [
    `Removed member ${r.name}${r.removedFrom.length > 0 ? ` (and from ${r.removedFrom.join(", ")})` : ""}`,
    "Versions already encrypted to it stay readable by its key: rotate the secrets it could read.",
  ].join("\n");
}

/** Stage moves (`promoted  id: stable 1 -> 2`), and the commit that recorded them. */
export function describeMoves(verb: "promote" | "roll back", results: readonly RolloutResult[]): string {
  const lines = results.flatMap((r) => r.moves.map((m) => `${r.id}: ${m.stage} ${m.from} -> ${m.to}`));
  if (lines.length === 0) return `Nothing to ${verb}: no stage lags.`;
  const out = lines.map((l) => `${verb === "promote" ? "promoted" : "rolled back"}  ${l}`);
  const commit = results.find((r) => r.commit !== undefined)?.commit;
  if (commit !== undefined) out.push(`Committed ${commit}`);
  return out.join("\n");
}
