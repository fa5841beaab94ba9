/**
 * Globs over secret ids, as access rules and `allow` lists write them:
 * `*` matches within one segment, `**` any number of whole segments, `?`
 * one character, `[...]` one of a class. Matching is minimatch's
 * segment-by-segment matcher, whose time grows with the id and the glob,
 * never exponentially: a regular expression compiled from a glob with a
 * dozen `**` segments backtracks for minutes on an id it does not match.
 * Braces, extglobs, negation and comments are off: rules say nothing of
 * them, and ids hold none of their characters.
 */
import { Minimatch, type MinimatchOptions } from "minimatch";

const OPTIONS: MinimatchOptions = {
  dot: true,
  nobrace: true,
  noext: true,
  nonegate: true,
  nocomment: true,
  optimizationLevel: 2,
};

const cache = new Map<string, Minimatch>();

/** Whether `id` is covered by `glob`. */
export function globMatches(glob: string, id: string): boolean {
  let m = cache.get(glob);
  if (!m) {
    m = new Minimatch(glob, OPTIONS);
    cache.set(glob, m);
  }
  return m.match(id);
}
