/**
 * What the lifecycle commands say they did: edit, rm, restore, mv, prune,
 * and the merge commands (setup-git, merge-driver, resolve).
 */
import type {
  EditResult,
  MergeDriverResult,
  MoveResult,
  PruneResult,
  RemoveSecretResult,
  ResolveResult,
  RestoreResult,
  SetupGitResult,
} from "../../index.js";

const versions = (ns: readonly number[]) => (ns.length === 1 ? `version ${ns[0]}` : `versions ${ns.join(", ")}`);
const committed = (commit: string | undefined) => (commit === undefined ? [] : [`Committed ${commit}`]);

/** `edit`: the new version and where it went, or that nothing changed. */
export function describeEdit(r: EditResult): string {
  if (!r.changed) return `No change to ${r.id} (version ${r.from}): nothing written.`;
  const where = r.stages.length > 0 ? `stages: ${r.stages.join(", ")}` : "pending: no stage points at it yet";
  return [`Updated ${r.id}: version ${r.version} (${where})`, ...committed(r.commit)].join("\n");
}

/** `rm`: what went, where it still is. */
export function describeRemove(r: RemoveSecretResult): string {
  const lines = [`Deleted ${r.id} (${versions(r.versions)}).`];
  for (const d of r.deployedTo) {
    lines.push(`warning: it was still deployed to ${d.consumers.join(", ")} (${d.stage}): their next deploy lacks it`);
  }
  lines.push(`Git history still holds it: \`lockstep restore ${r.id}\` brings it back.`, ...committed(r.commit));
  return lines.join("\n");
}

/** `restore`: what came back, from where. */
export function describeRestore(r: RestoreResult): string {
  const stages = Object.entries(r.stages)
    .map(([s, v]) => `${s}: ${v}`)
    .join(", ");
  return [
    `Restored ${r.id} from ${r.from.slice(0, 12)} (${versions(r.versions)}; ${stages}).`,
    "Run `lockstep check`: readers may have changed since (`lockstep rekey` re-encrypts it for today's).",
    ...committed(r.commit),
  ].join("\n");
}

/** `mv`: the rename, and who keeps what they could read. */
export function describeMove(r: MoveResult): string {
  const lines = [`Renamed ${r.from} -> ${r.to}: ${versions(r.versions)} re-encrypted for ${r.to}, stages kept.`];
  if (r.formerReaders.length > 0) {
    lines.push(
      `No longer readers: ${r.formerReaders.join(", ")} (they keep what they could read: rotate it if they must not).`,
    );
  }
  lines.push(...committed(r.commit));
  return lines.join("\n");
}

/** `prune`: what went, what stays, and that history keeps it. */
export function describePrune(r: PruneResult): string {
  if (r.removed.length === 0) {
    return `Nothing to prune in ${r.id}: ${versions(r.kept)} kept (live, pending, newest, or a credential not yet retired).`;
  }
  return [
    `Pruned ${r.id}: ${versions(r.removed)} removed; ${versions(r.kept)} kept.`,
    "Git history still holds the removed versions: whoever could read them still can, from there.",
    ...committed(r.commit),
  ].join("\n");
}

/** `setup-git`: what was written where. */
export function describeSetupGit(r: SetupGitResult): string {
  return [
    `${r.attributes.changed ? "Wrote" : "Kept"} ${r.attributes.file}: secret manifests merge with lockstep's driver.`,
    `${r.driver.changed ? "Set" : "Kept"} git config merge.lockstep.driver = ${r.driver.command}`,
    "Every clone needs `lockstep setup-git` once: git configuration is not committed.",
  ].join("\n");
}

/** The merge driver's report for the person running `git merge` (on stderr); empty when there is nothing to say. */
export function describeMergeDriver(r: MergeDriverResult, path: string | undefined): string {
  const what = r.id ?? path ?? "manifest";
  const lines = r.notes.map((n) => `lockstep: ${what}: ${n}`);
  if (r.fellBack !== undefined) {
    lines.push(
      `lockstep: ${what}: not merged (${r.fellBack}); git's conflict markers are in the file: resolve it by hand`,
    );
  }
  if (r.unresolved.length > 0) {
    lines.push(
      `lockstep: ${what}: ${versions(r.unresolved)} renumbered but not re-encrypted (no key of yours opens ${r.unresolved.length === 1 ? "it" : "them"}).`,
      `lockstep: run \`lockstep resolve ${r.id ?? "ID"}\` with the key of one of: ${r.canResolve.join(", ")}; then commit (or git rebase --continue).`,
    );
  }
  return lines.join("\n");
}

/** `resolve`: what was re-encrypted, and what is next. */
export function describeResolve(r: ResolveResult): string {
  const lines =
    r.versions.length === 0
      ? [`Nothing to re-encrypt in ${r.id}.`]
      : [
          `Resolved ${r.id}: ${versions(r.versions)} re-encrypted under ${r.versions.length === 1 ? "its" : "their"} new number.`,
        ];
  if (r.staged) lines.push(`Marked ${r.file} resolved (git add): commit, or \`git rebase --continue\`.`);
  return lines.join("\n");
}
