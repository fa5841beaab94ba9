/**
 * What changed between two states of a secrets repository: per secret
 * (created, versions added, stages moved, re-encrypted, deleted) and in the
 * access lists. Shared by `diff` (working tree against a revision) and
 * `audit` (commit against its parent). Never holds a value or ciphertext.
 */
import { defaultEnvName } from "./ids.js";
import type { AccessConfig, SecretManifest, VersionRecipient } from "./model.js";
import { versionsAgainstBase } from "./rewrites.js";
import { steersExecution } from "./steering.js";

/** One stage that moved. */
export interface StageChange {
  stage: string;
  from?: number;
  to?: number;
}

/** How one secret changed. */
export interface SecretChange {
  id: string;
  kind: "created" | "changed" | "deleted";
  /** Renamed from this id (a moved manifest). */
  renamedFrom?: string;
  versionsAdded: number[];
  versionsRemoved: number[];
  stageMoves: StageChange[];
  /**
   * Versions re-encrypted under the same number, their recipients now
   * exactly the readers of today (a rekey; without readers to compare with,
   * any version whose ciphertext and recipients both changed).
   */
  rekeyed: number[];
  /**
   * Versions whose ciphertext or recipients changed under the same number
   * otherwise: not what a rekey does (see core/rewrites.ts). A forged value
   * looks like this.
   */
  rewritten: number[];
  /** Versions whose ciphertext now stands under another number (their binding refuses them there). */
  renumbered: { from: number; to: number }[];
  /**
   * The variable the secret exports as, when that name steers what a
   * process runs or loads (`PATH`, `LD_PRELOAD`...) and the change made it
   * so (created, or its `env:` changed); `allowed` when lockstep.yaml allows it.
   */
  steering?: { name: string; allowed: boolean };
  /** Members that the secret's versions are newly encrypted to. */
  recipientsAdded: string[];
  /** Members that no version is encrypted to any more. */
  recipientsRemoved: string[];
  /** Metadata keys that changed (description, type, schema, env, consumers, rotation). */
  metadata: string[];
}

/** How the access lists or lockstep.yaml changed. */
export interface AccessChange {
  kind:
    | "member-added"
    | "member-removed"
    | "member-keys-changed"
    | "group-added"
    | "group-removed"
    | "group-changed"
    | "rule-added"
    | "rule-removed"
    | "rule-changed"
    | "config-changed";
  subject: string;
  detail?: string;
}

const METADATA = ["description", "type", "schema", "env", "consumers", "rotation"] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function members(m: SecretManifest | undefined): Set<string> {
  return new Set((m?.versions ?? []).flatMap((v) => (v.recipients ?? []).map((r) => r.member)));
}

/** What a secret's change is judged against, as far as it is known. */
export interface CompareContext {
  /** The secret's readers today, as recipients: a rekey makes a version's recipients exactly these. */
  readers?: readonly VersionRecipient[];
  /** lockstep.yaml's `allowVariables`. */
  allowVariables?: readonly string[];
}

/** The variable a manifest exports as. */
function exportName(id: string, m: SecretManifest): string {
  return m.env ?? defaultEnvName(id.slice(id.indexOf("/") + 1));
}

/** Compares two states of one secret's manifest (either may be absent). */
export function compareSecret(
  id: string,
  before: SecretManifest | undefined,
  after: SecretManifest | undefined,
  context: CompareContext = {},
): SecretChange | undefined {
  if (!before && !after) return undefined;
  const bv = new Map((before?.versions ?? []).map((v) => [v.version, v]));
  const av = new Map((after?.versions ?? []).map((v) => [v.version, v]));
  const stages = new Set([...Object.keys(before?.stages ?? {}), ...Object.keys(after?.stages ?? {})]);
  const stageMoves: StageChange[] = [];
  for (const stage of stages) {
    const from = before?.stages?.[stage];
    const to = after?.stages?.[stage];
    if (from !== to) stageMoves.push({ stage, ...(from !== undefined && { from }), ...(to !== undefined && { to }) });
  }
  const bm = members(before);
  const am = members(after);
  const versions =
    before && after
      ? versionsAgainstBase(before, after, context.readers)
      : { rekeyed: [], rewritten: [], renumbered: [], removed: [] };
  const name = after ? exportName(id, after) : undefined;
  const newName = name !== undefined && (!before || exportName(id, before) !== name);
  const change: SecretChange = {
    id,
    kind: !before ? "created" : !after ? "deleted" : "changed",
    versionsAdded: [...av.keys()].filter((n) => !bv.has(n)).sort((a, b) => a - b),
    versionsRemoved: [...bv.keys()].filter((n) => !av.has(n)).sort((a, b) => a - b),
    stageMoves: before && after ? stageMoves : [],
    rekeyed: versions.rekeyed,
    rewritten: versions.rewritten.map((r) => r.version),
    renumbered: versions.renumbered,
    recipientsAdded: before ? [...am].filter((m) => !bm.has(m)).sort() : [],
    recipientsRemoved: after ? [...bm].filter((m) => !am.has(m)).sort() : [],
    metadata: before && after ? METADATA.filter((k) => !same(before[k], after[k])) : [],
    ...(name !== undefined &&
      newName &&
      steersExecution(name) && {
        steering: { name, allowed: (context.allowVariables ?? []).includes(name) },
      }),
  };
  const empty =
    change.kind === "changed" &&
    change.versionsAdded.length === 0 &&
    change.versionsRemoved.length === 0 &&
    change.stageMoves.length === 0 &&
    change.rekeyed.length === 0 &&
    change.rewritten.length === 0 &&
    change.renumbered.length === 0 &&
    change.metadata.length === 0;
  return empty ? undefined : change;
}

/** Compares two states of access.yaml. */
export function compareAccess(before: AccessConfig | undefined, after: AccessConfig | undefined): AccessChange[] {
  const changes: AccessChange[] = [];
  const bm = before?.members ?? {};
  const am = after?.members ?? {};
  for (const name of Object.keys(am)) {
    if (!(name in bm)) changes.push({ kind: "member-added", subject: name });
    else if (!same(bm[name]?.recipients, am[name]?.recipients)) {
      changes.push({ kind: "member-keys-changed", subject: name });
    }
  }
  for (const name of Object.keys(bm)) if (!(name in am)) changes.push({ kind: "member-removed", subject: name });
  const bg = before?.groups ?? {};
  const ag = after?.groups ?? {};
  for (const [g, list] of Object.entries(ag)) {
    const old = bg[g];
    if (!old) changes.push({ kind: "group-added", subject: g, detail: list.join(", ") });
    else if (!same(old, list)) {
      const added = list.filter((n) => !old.includes(n));
      const removed = old.filter((n) => !list.includes(n));
      changes.push({
        kind: "group-changed",
        subject: g,
        detail: [added.length ? `+${added.join(", +")}` : "", removed.length ? `-${removed.join(", -")}` : ""]
          .filter(Boolean)
          .join(" "),
      });
    }
  }
  for (const g of Object.keys(bg)) if (!(g in ag)) changes.push({ kind: "group-removed", subject: g });
  const br = before?.rules ?? [];
  const ar = after?.rules ?? [];
  const describeRule = (r: { readers?: string[]; approvers?: string[] }) =>
    `readers: ${(r.readers ?? []).join(", ") || "none"}; approvers: ${(r.approvers ?? []).join(", ") || "none"}`;
  for (const r of ar) {
    const old = br.find((o) => o.match === r.match);
    if (!old) changes.push({ kind: "rule-added", subject: r.match, detail: describeRule(r) });
    else if (!same(old, r)) changes.push({ kind: "rule-changed", subject: r.match, detail: describeRule(r) });
  }
  for (const r of br)
    if (!ar.some((o) => o.match === r.match)) changes.push({ kind: "rule-removed", subject: r.match });
  return changes;
}
