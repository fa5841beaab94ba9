/**
 * Globs over secret ids, as access rules write them: `*` matches within one
 * segment, `**` any number of whole segments, `?` one character.
 */

const cache = new Map<string, RegExp>();

/** Compiles a glob to an anchored regular expression (cached). */
export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let src = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*" && glob[i + 1] === "*") {
      const slashAfter = glob[i + 2] === "/";
      // "a/**/b" matches a/b too; "a/**" matches everything below a.
      src += slashAfter ? "(?:[^/]+/)*" : ".*";
      i += slashAfter ? 2 : 1;
    } else if (c === "*") {
      src += "[^/]*";
    } else if (c === "?") {
      src += "[^/]";
    } else {
      src += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  re = new RegExp(`^${src}$`);
  cache.set(glob, re);
  return re;
}

/** Whether `id` is covered by `glob`. */
export function globMatches(glob: string, id: string): boolean {
  return globToRegExp(glob).test(id);
}
