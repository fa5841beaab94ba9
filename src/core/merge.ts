/**
 * A three-way merge of one secret's manifest, for the git merge driver
 * (`lockstep merge-driver`): two branches that each changed the secret,
 * against their common ancestor. Pure: the caller re-encrypts what it
 * renumbers.
 *
 * - Versions added on both sides are all kept: ours keep their numbers,
 *   theirs follow, numbered consecutively after the highest of ours. A
 *   renumbered version's ciphertext is still bound to its old number: it
 *   is listed with `mergedFrom: OLD` until someone with a key re-encrypts
 *   it (the driver at once if it can, else `lockstep resolve`).
 * - A version both sides have is the same version when its ciphertext is
 *   the same, or when it was re-encrypted (a rekey keeps the date and
 *   changes the recipients; a version renumbered by an earlier merge keeps
 *   its date and recipients under a new number). One side's rekey wins
 *   over the other's untouched copy; when both re-encrypted it, ours stays
 *   (`check` tells if it is not encrypted to today's readers).
 * - A version removed on one side (prune) and left alone on the other is
 *   removed; one that a merged stage points at never is.
 * - A rotation's times on a kept version merge: retired (`revoked`) on
 *   either side stays retired; `released` is the later one.
 * - Each stage: the side that moved it wins; when both moved it, the newer
 *   version, unless one of them rolled it back, then the older. Then the
 *   rollout order is restored without losing a release: earlier stages are
 *   raised to what later ones have, or, after a rollback, later stages come
 *   down to the earlier one's version.
 * - Other keys (description, type, rotation...): the side that changed one
 *   wins; both changing one differently is a conflict the caller reports.
 */
import type { SecretManifest, SecretVersion } from "./model.js";

/** The outcome of {@link mergeManifests}. */
export interface ManifestMerge {
  /** The merged manifest (versions newest first); renumbered versions carry `mergedFrom`. */
  manifest: SecretManifest;
  /** Their versions that got new numbers. */
  renumbered: { from: number; to: number }[];
  /** Keys both sides changed differently: the merge cannot be made. */
  conflicts: string[];
  /** How stages and versions were settled where the sides disagreed, for a person. */
  notes: string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Whether `v` on one side is the version `base`, possibly re-encrypted: the
 * same ciphertext, or a rekey of it (the same date, other recipients). Two
 * versions of one date and the same recipients but another ciphertext are
 * two versions made in the same second on two branches.
 */
function isSameVersion(base: SecretVersion, v: SecretVersion): boolean {
  return v.ciphertext === base.ciphertext || (v.created === base.created && !same(v.recipients, base.recipients));
}

/**
 * A rotation's times on a version both sides kept: a credential retired on
 * either side stays retired (the earlier time), and `released` is the later
 * of the two (the last stage's newest arrival; revokeAfter counts from it).
 * ISO 8601 UTC times compare as strings.
 */
function withStamps(pick: SecretVersion, o: SecretVersion | undefined, t: SecretVersion | undefined): SecretVersion {
  const times = (key: "released" | "revoked") =>
    [o?.[key], t?.[key]].filter((x): x is string => x !== undefined).sort();
  const revoked = times("revoked")[0];
  const released = times("released").at(-1);
  return {
    ...pick,
    ...(released !== undefined && { released }),
    ...(revoked !== undefined && { revoked }),
  };
}

/**
 * Where each version of `base` went on a side: its number there, or none
 * (removed). A version renumbered by an earlier merge is found by its date.
 */
function mapBase(base: SecretManifest | undefined, side: SecretManifest): Map<number, SecretVersion | undefined> {
  const map = new Map<number, SecretVersion | undefined>();
  const baseNumbers = new Set((base?.versions ?? []).map((v) => v.version));
  for (const bv of base?.versions ?? []) {
    const at = side.versions.find((v) => v.version === bv.version && isSameVersion(bv, v));
    const moved = at ?? side.versions.find((v) => !baseNumbers.has(v.version) && v.created === bv.created);
    map.set(bv.version, moved);
  }
  return map;
}

/**
 * Merges `ours` and `theirs` against `base` (`undefined` when both sides
 * added the secret). `stageOrder` is the environment's rollout order.
 */
export function mergeManifests(
  base: SecretManifest | undefined,
  ours: SecretManifest,
  theirs: SecretManifest,
  stageOrder: readonly string[],
): ManifestMerge {
  const notes: string[] = [];
  const inOurs = mapBase(base, ours);
  const inTheirs = mapBase(base, theirs);
  const fromBase = (m: Map<number, SecretVersion | undefined>) =>
    new Set([...m.values()].filter((v): v is SecretVersion => v !== undefined).map((v) => v.version));
  const oursFromBase = fromBase(inOurs);
  const theirsFromBase = fromBase(inTheirs);

  // Result numbers: ours keep theirs; theirs' added versions follow.
  const versions = new Map<number, SecretVersion>();
  const theirNumber = new Map<number, number>(); // their number -> result number
  const baseNumber = new Map<number, number>(); // base number -> result number
  const removedVersions = new Map<number, SecretVersion>(); // result number -> a copy, in case a stage needs it
  for (const bv of base?.versions ?? []) {
    const o = inOurs.get(bv.version);
    const t = inTheirs.get(bv.version);
    const number = o?.version ?? t?.version ?? bv.version;
    baseNumber.set(bv.version, number);
    if (t) theirNumber.set(t.version, number);
    const oChanged = o !== undefined && o.ciphertext !== bv.ciphertext;
    const tChanged = t !== undefined && t.ciphertext !== bv.ciphertext && t.version === number;
    if (!o && !t) {
      removedVersions.set(number, bv);
      continue;
    }
    if (!o && !tChanged) {
      removedVersions.set(number, t ?? bv);
      continue; // removed on our side, untouched on theirs
    }
    if (!t && !oChanged) {
      removedVersions.set(number, o ?? bv);
      continue; // removed on their side
    }
    if (o && tChanged && oChanged && t && !same(o.recipients, t.recipients)) {
      notes.push(
        `version ${number} was re-encrypted on both sides: ours is kept (run \`lockstep rekey\` if check reports drift)`,
      );
    }
    const pick = o && (oChanged || !tChanged) ? o : (t as SecretVersion);
    versions.set(number, withStamps(pick, o, t));
  }
  for (const v of ours.versions) if (!oursFromBase.has(v.version)) versions.set(v.version, v);
  const ourAdded = ours.versions.filter((v) => !oursFromBase.has(v.version));
  const renumbered: { from: number; to: number }[] = [];
  const theirAdded = theirs.versions
    .filter((v) => !theirsFromBase.has(v.version))
    .sort((a, b) => a.version - b.version);
  const highestOurs = Math.max(0, ...ours.versions.map((v) => v.version));
  for (const v of theirAdded) {
    const twin = ourAdded.find((o) => o.ciphertext === v.ciphertext);
    if (twin) {
      theirNumber.set(v.version, twin.version); // the same commit on both sides
      continue;
    }
    const used = Math.max(0, ...versions.keys());
    const number = !versions.has(v.version) && v.version > highestOurs ? v.version : used + 1;
    theirNumber.set(v.version, number);
    if (number === v.version) versions.set(number, v);
    else {
      renumbered.push({ from: v.version, to: number });
      const bound = v.mergedFrom ?? v.version;
      versions.set(number, { ...v, version: number, mergedFrom: bound });
    }
  }
  if (renumbered.length > 0) {
    notes.push(
      `versions added on both sides: theirs ${renumbered.map((r) => `${r.from} -> ${r.to}`).join(", ")} (numbered after ours)`,
    );
  }

  // Stages, in result numbers.
  const order = [...stageOrder, ...Object.keys(ours.stages).filter((s) => !stageOrder.includes(s))];
  const stages: Record<string, number> = {};
  let rolledBack = false;
  for (const stage of order) {
    const o =
      base?.stages[stage] === undefined
        ? undefined
        : (baseNumber.get(base.stages[stage] as number) ?? base.stages[stage]);
    const a = ours.stages[stage];
    const tb = theirs.stages[stage];
    const b = tb === undefined ? undefined : (theirNumber.get(tb) ?? tb);
    let to: number | undefined;
    if (a === b || b === o) to = a ?? b;
    else if (a === o) to = b ?? a;
    else if (a === undefined || b === undefined) to = a ?? b;
    else {
      const back = (o !== undefined && a < o) || (o !== undefined && b < o);
      rolledBack ||= back;
      to = back ? Math.min(a, b) : Math.max(a, b);
      notes.push(`${stage}: moved on both sides (ours v${a}, theirs v${b}): v${to}${back ? " (a rollback wins)" : ""}`);
    }
    if (o !== undefined && to !== undefined && to < o) rolledBack = true;
    if (to !== undefined) stages[stage] = to;
  }
  // The rollout order: a later stage never ahead of an earlier one.
  const present = order.filter((s) => stages[s] !== undefined);
  if (rolledBack) {
    for (let i = 1; i < present.length; i++) {
      const prev = stages[present[i - 1] as string] as number;
      const here = present[i] as string;
      if ((stages[here] as number) > prev) {
        notes.push(`${here}: v${stages[here]} -> v${prev}, not ahead of ${present[i - 1]} after its rollback`);
        stages[here] = prev;
      }
    }
  } else {
    for (let i = present.length - 2; i >= 0; i--) {
      const next = stages[present[i + 1] as string] as number;
      const here = present[i] as string;
      if ((stages[here] as number) < next) {
        notes.push(`${here}: v${stages[here]} -> v${next}, so that it is not behind ${present[i + 1]}`);
        stages[here] = next;
      }
    }
  }
  for (const n of Object.values(stages)) {
    const copy = removedVersions.get(n);
    if (!versions.has(n) && copy) versions.set(n, { ...copy, version: n });
  }

  // Everything else: three-way per key.
  const conflicts: string[] = [];
  const meta = (m: SecretManifest | undefined) => {
    const { stages: _s, versions: _v, ...rest } = m ?? ({} as SecretManifest);
    return rest as Record<string, unknown>;
  };
  const [mo, ma, mb] = [meta(base), meta(ours), meta(theirs)];
  const keys = [...new Set([...Object.keys(ma), ...Object.keys(mb)])];
  const merged: Record<string, unknown> = {};
  for (const k of keys) {
    const [o, a, b] = [mo[k], ma[k], mb[k]];
    let v: unknown;
    if (same(a, b) || same(b, o)) v = a;
    else if (same(a, o)) v = b;
    else {
      conflicts.push(k);
      v = a;
    }
    if (v !== undefined) merged[k] = v;
  }
  const manifest = {
    ...merged,
    stages,
    versions: [...versions.values()].sort((x, y) => y.version - x.version),
  } as SecretManifest;
  return { manifest, renumbered, conflicts, notes };
}
