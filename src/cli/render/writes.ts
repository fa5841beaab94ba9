/**
 * What the commands that write say they did: set and rotate, import,
 * rekey, member add and rm, promote and rollback.
 */
import {
  type AddMemberResult,
  describeKeys,
  type FinishResult,
  type ImportResult,
  type ImportValueKind,
  type RekeyResult,
  type RemoveMemberResult,
  type RolloutResult,
  type RotationOutcome,
  type SetResult,
} from "../../index.js";
import { paint, table } from "../output.js";

/** What a write did: `Created production/db/password: version 1 (stages: canary, stable)`. */
export function describeWrite(r: SetResult): string {
  const where = r.stages.length > 0 ? `stages: ${r.stages.join(", ")}` : "pending: no stage points at it yet";
  return `${r.created ? "Created" : "Updated"} ${r.id}: version ${r.version} (${where})`;
}

/** An import: a line per secret (where it came from, what it was, its variable name), the counts, how it was opened. */
export function describeImport(result: ImportResult): string {
  const rows = result.secrets.map((r) => [
    r.created ? "created" : "updated",
    r.id,
    `version ${r.version}`,
    `<- ${describeKeys(r.from.keys)}${KIND[r.from.was] ?? ""}`,
    `as ${r.from.envName}`,
  ]);
  const created = result.secrets.filter((r) => r.created).length;
  return [
    table(rows),
    ...result.skipped.map((s) => `Skipped ${describeKeys(s.keys)}: ${s.reason}.`),
    ...(result.unchanged.length > 0
      ? [`Unchanged (same value, no new version): ${result.unchanged.map((s) => s.id).join(", ")}.`]
      : []),
    `Imported ${result.secrets.length} secrets (${created} new, ${result.secrets.length - created} new versions${result.unchanged.length > 0 ? `, ${result.unchanged.length} unchanged` : ""}).`,
    ...result.notes.map((n) => `From a ${n}.`),
  ].join("\n");
}

/** What a value was in the file, where it is not a string. */
const KIND: Partial<Record<ImportValueKind, string>> = {
  number: " (number)",
  boolean: " (boolean)",
  null: " (null -> empty)",
  list: " (list -> json)",
  object: " (object -> json)",
};

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

/**
 * Stage moves (`promoted  id: stable 1 -> 2`), the commit that recorded
 * them, and the finishes a promote ran (`finished  id: ...`).
 */
export function describeMoves(verb: "promote" | "roll back", results: readonly RolloutResult[]): string {
  const lines = results.flatMap((r) => r.moves.map((m) => `${r.id}: ${m.stage} ${m.from} -> ${m.to}`));
  if (lines.length === 0) return `Nothing to ${verb}: no stage lags.`;
  const out = lines.map((l) => `${verb === "promote" ? "promoted" : "rolled back"}  ${l}`);
  const commit = results.find((r) => r.commit !== undefined)?.commit;
  if (commit !== undefined) out.push(`Committed ${commit}`);
  for (const r of results) {
    if (!r.finished) continue;
    out.push(...describeRotationNotes(r.finished.notes));
    out.push(`finished  ${r.id}: the credential of version ${r.finished.previous} is retired`);
  }
  return out.join("\n");
}

/** What the rotation steps reported (already scrubbed), a line each: `  set: created role app_clone`. */
export function describeRotationNotes(notes: RotationOutcome["notes"]): string[] {
  return notes.flatMap((n) => n.lines.map((line) => paint(process.stderr, "2", `  ${n.step}: ${line}`)));
}

/** `rotate --finish`: which version's credential was retired. */
export function describeFinish(r: FinishResult): string {
  return `Finished ${r.id}: the credential of version ${r.previous} is retired (every stage has version ${r.current})`;
}
