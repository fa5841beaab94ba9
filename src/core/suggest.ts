/**
 * "Did you mean": the closest existing name to one a person mistyped (a
 * secret id, member, environment, stage, consumer, rule), as commander does
 * for command names. Distances are Levenshtein's (the `leven` package).
 */
import leven from "leven";

/**
 * The most edits a name may be from what was typed to be suggested: one per
 * three characters typed, at least two from four characters on (a swap of
 * two letters, `alcie` for `alice`, is two edits) and at most three, so that
 * `stabel` finds `stable` but `qa` does not find `ci` (2 of 2). The bound is
 * commander's (3) with a floor for short names.
 */
function maxEdits(typed: string): number {
  return typed.length < 4 ? 1 : Math.min(3, Math.max(2, Math.floor(typed.length / 3)));
}

/**
 * The candidate closest to `typed`, when one is near enough to be what was
 * meant: the same name in other letter case, else the fewest edits within
 * {@link maxEdits} (ties go to the first in `candidates`), else the only
 * candidate that `typed` (3 characters or more) begins, as `prod` for
 * `production`. `undefined` when `typed` is itself a candidate or none is
 * near.
 */
export function closestName(typed: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  if (list.includes(typed)) return undefined;
  const lower = typed.toLowerCase();
  const sameCase = list.find((c) => c.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const limit = maxEdits(typed);
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of list) {
    if (Math.abs(c.length - typed.length) > limit) continue;
    const d = leven(lower, c.toLowerCase(), { maxDistance: limit + 1 });
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best !== undefined || typed.length < 3) return best;
  const extended = list.filter((c) => c.toLowerCase().startsWith(lower));
  return extended.length === 1 ? extended[0] : undefined;
}

/**
 * `did you mean X?` for the closest candidate (see {@link closestName}),
 * else `""`; `quote` wraps the name (default: as it is).
 */
export function didYouMean(
  typed: string,
  candidates: Iterable<string>,
  quote: (name: string) => string = (n) => n,
): string {
  const near = closestName(typed, candidates);
  return near === undefined ? "" : `did you mean ${quote(near)}?`;
}

/**
 * A fix that offers the closest name first, then `rest`: `did you mean
 * production/db/password? list secrets with ...`, or `rest` alone.
 */
export function fixWithSuggestion(
  typed: string,
  candidates: Iterable<string>,
  rest: string,
  quote?: (name: string) => string,
): string {
  const hint = didYouMean(typed, candidates, quote);
  return hint === "" ? rest : `${hint} (${rest})`;
}

/** The Levenshtein distance between two strings (the `leven` package). */
export function editDistance(a: string, b: string): number {
  return leven(a, b);
}

/**
 * The candidates closest to `name` (case-insensitively), at most a third of
 * its length away (and at least 2), nearest first (ties in name order);
 * empty when none is close. `check`'s gate findings list all of the nearest.
 */
export function closestNames(name: string, candidates: Iterable<string>): string[] {
  const wanted = name.toLowerCase();
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  const scored = [...new Set(candidates)]
    .map((c) => ({ c, d: leven(wanted, c.toLowerCase()) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  const best = scored[0]?.d;
  return scored.filter((x) => x.d === best).map((x) => x.c);
}
