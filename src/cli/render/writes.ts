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
  type MetadataResult,
  type RekeyResult,
  type RemoveMemberResult,
  type RolloutResult,
  type RotationOutcome,
  type SecretRead,
  type SetResult,
} from "../../index.js";
import { paint, table } from "../output.js";

/**
 * Which version `get` read and where the stages are, for stderr:
 * `production/db/password: version 2, the newest, on canary (stable has version 1)`.
 */
export function describeRead(r: SecretRead): string {
  const on = r.stages.filter((s) => s.version === r.version).map((s) => s.stage);
  const elsewhere = r.stages.filter((s) => s.version !== r.version);
  const where =
    on.length === 0
      ? "on no stage yet"
      : elsewhere.length === 0
        ? `on every stage (${on.join(", ")})`
        : `on ${on.join(", ")} only`;
  const others =
    elsewhere.length === 0
      ? ""
      : ` (${elsewhere.map((s) => `${s.stage} has ${s.version === undefined ? "none" : `version ${s.version}`}`).join(", ")}; --stage picks one)`;
  return paint(
    process.stderr,
    "2",
    `${r.id}: version ${r.version}${r.newest ? ", the newest," : ""} ${where}${others}`,
  );
}

/** `Committed abc1234` for a result committed with `--commit`, else nothing. */
export function describeCommit(r: { commit?: string | undefined }): string[] {
  return r.commit === undefined ? [] : [`Committed ${r.commit}`];
}

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
    consumers: "consumers",
    maxAge: "maximum age",
  };
  if (r.changed.length === 0) return `${r.id}: nothing changed (version ${r.version} stays the newest)`;
  return `Updated ${r.id}: ${r.changed.map((c) => names[c]).join(", ")}; no new version (version ${r.version} stays the newest)`;
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

/** A rekey: a line per secret re-encrypted, who lost access, and what is left for others to rekey. */
export function describeRekey(results: readonly RekeyResult[]): string {
  if (results.length === 0) return "Every version is already encrypted to its readers.";
  const done = results.filter((r) => r.versions.length > 0);
  const lines = done.length > 0 ? [table(done.map((r) => ["rekeyed", r.id, `versions ${r.versions.join(", ")}`]))] : [];
  const removed = [...new Set(results.flatMap((r) => r.removed))].sort();
  if (removed.length > 0) {
    lines.push(
      `No longer readers: ${removed.join(", ")}. They may still hold old ciphertexts from Git history: rotate what they could read.`,
    );
  }
  const left = describeSkipped(results);
  if (left !== "") lines.push(left);
  return lines.join("\n");
}

/** The versions a rekey left because no identity of ours opens them, and who can rekey them. */
export function describeSkipped(results: readonly RekeyResult[]): string {
  const skipped = results.filter((r) => (r.skipped?.length ?? 0) > 0);
  if (skipped.length === 0) return "";
  return [
    "Not rekeyed (none of your identities opens them; nothing was written to them):",
    table(
      skipped.flatMap((r) =>
        (r.skipped ?? []).map((s) => [`  ${r.id}`, `version ${s.version}`, `can rekey: ${s.canRekey.join(", ")}`]),
      ),
    ),
    "Ask one of them to run `lockstep rekey` for these secrets.",
  ].join("\n");
}

/** `member add`: what changed, and the rekey it calls for (or what `--rekey` did). */
export function describeMemberAdd(r: AddMemberResult): string {
  const changed = r.addedKeys.length > 0 || r.groups.length > 0;
  const what = r.created ? "Added member" : changed ? "Updated member" : "Member unchanged:";
  const details = [
    ...(!r.created && r.addedKeys.length > 0 ? [`${r.addedKeys.length} new key(s)`] : []),
    ...(r.groups.length > 0 ? [`groups: ${r.groups.join(", ")}`] : []),
  ];
  const lines = [`${what} ${r.name}${details.length > 0 ? ` (${details.join("; ")})` : ""}`];
  if (r.rekeyed !== undefined) {
    const done = r.rekeyed.filter((x) => x.versions.length > 0);
    if (done.length > 0) lines.push(describeRekey(done));
    const left = describeSkipped(r.rekeyed);
    if (left !== "") lines.push(left);
  } else if (r.needsRekey.length > 0) {
    const n = r.needsRekey.length;
    lines.push(
      `${r.name} reads ${n} existing secret${n === 1 ? "" : "s"} not yet encrypted to its key (${preview(r.needsRekey)}).`,
      `Run \`lockstep rekey\` (or add --rekey) so that ${r.name} can read ${n === 1 ? "it" : "them"}; it needs a reader's key.`,
    );
  }
  return lines.join("\n");
}

/** The first few items of a list, and how many more. */
function preview(items: readonly string[], max = 5): string {
  return items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
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
  if (lines.length === 0) {
    const pending = results.flatMap((r) => (r.pending ? [{ id: r.id, ...r.pending }] : []));
    return [
      `Nothing to ${verb}: no stage lags its predecessor.`,
      ...pending.map(
        (p) =>
          `${p.id}: version ${p.version} is pending (no stage points at it): release it with \`lockstep promote ${p.id} --stage ${p.stage}\``,
      ),
    ].join("\n");
  }
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
