/**
 * The .env reader of `import`: it gives exactly the values npm `dotenv`
 * gives (its `parse` of dotenv 17: the same line pattern and the same three
 * steps on each value, ported from lib/main.js), so a file an app reads with
 * dotenv imports as that app sees it:
 *
 * - `KEY=value`, `KEY: value`, optional `export `; `#` starts a comment
 *   anywhere in an unquoted value (`A=value# tight` is `value`);
 * - single quotes and backticks are literal; double quotes turn `\n` and
 *   `\r` into line breaks and keep every other backslash (`"C:\\path"` is
 *   `C:\\path`, `"say \"hi\""` is `say \"hi\"`); quoted values span lines;
 * - CRLF and lone CR are line feeds.
 *
 * Deliberate differences, where dotenv guesses or keeps quiet and an import
 * should not:
 *
 * 1. a line that is no entry and no comment is refused with its line
 *    number (dotenv skips it silently);
 * 2. a value that starts with a quote that does not end it (`A="never
 *    closed`, `A='x' y`) is refused (dotenv keeps the quote as text);
 * 3. a key whose `=` or value starts on a later line is refused (dotenv
 *    joins `A=` with a quoted next line);
 * 4. a key given twice is refused (dotenv keeps the last).
 *
 * `${VAR}` and `$VAR` references are kept as written, and reported; with
 * `expand`, they are expanded by dotenv-expand's rules (the package itself,
 * version 13), against the file's own variables only, never lockstep's
 * environment.
 */
import { expand } from "dotenv-expand";
import { LockstepError } from "../errors.js";

/** One variable read from a .env file. */
export interface DotenvEntry {
  key: string;
  value: string;
  /** 1-based line where the entry starts. */
  line: number;
  /** Whether the value holds what dotenv-expand reads as a reference (`$VAR`, `${VAR}`, `${VAR:-default}`...). */
  references: boolean;
}

/** dotenv 17's `LINE` (lib/main.js), with `d` for the positions of the key and value. */
const LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

/** dotenv-expand 13's reference pattern (lib/main.js `expandValue`). */
const REFERENCE = /(?<!\\)\${([^{}]+)}|(?<!\\)\$([A-Za-z_][A-Za-z0-9_]*)/;

const SEPARATOR = /\s*[=:]/y;

/** Where the `=` or `:` after a key (at `keyEnd`) ends. */
function separatorEnd(src: string, keyEnd: number): number {
  SEPARATOR.lastIndex = keyEnd;
  return SEPARATOR.exec(src) ? SEPARATOR.lastIndex : keyEnd;
}

/** The value of one match, as dotenv's `parse` makes it. */
function dotenvValue(raw: string): string {
  let value = raw.trim();
  const maybeQuote = value[0];
  value = value.replace(/^(['"`])([\s\S]*)\1$/gm, "$2");
  if (maybeQuote === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
  return value;
}

/**
 * Parses .env text into entries, in file order.
 * @throws LockstepError `INVALID_VALUE` naming the line of a malformed
 *   entry, or of a line dotenv would skip.
 */
export function parseDotenv(text: string, file: string): DotenvEntry[] {
  const src = text.replace(/\r\n?/g, "\n");
  const fail = (
    line: number,
    what: string,
    fix = "write KEY=value, quoting values with '#', spaces or lines",
  ): never => {
    throw new LockstepError("INVALID_VALUE", `${file}:${line}: ${what}`, { file, line, fix });
  };
  let counted = 0;
  let line = 1;
  const lineAt = (pos: number): number => {
    for (; counted < pos; counted++) if (src.charCodeAt(counted) === 10) line++;
    return line;
  };
  const checkGap = (from: number, to: number) => {
    let at = from;
    for (const piece of src.slice(from, to).split("\n")) {
      const t = piece.trim();
      if (t !== "" && !t.startsWith("#")) fail(lineAt(at), "not a KEY=value entry (npm dotenv would skip this line)");
      at += piece.length + 1;
    }
  };
  const entries: DotenvEntry[] = [];
  const seen = new Map<string, number>();
  let last = 0;
  for (const m of src.matchAll(LINE)) {
    const indices = m.indices as RegExpIndicesArray;
    const [keyStart, keyEnd] = indices[1] as [number, number];
    checkGap(last, m.index);
    const key = m[1] as string;
    const line = lineAt(keyStart);
    const raw = m[2] ?? "";
    // Where the value's first character is, or (no value) where the separator ends.
    const valueStart =
      indices[2] !== undefined ? indices[2][0] + (raw.length - raw.trimStart().length) : separatorEnd(src, keyEnd);
    if (src.slice(keyEnd, valueStart).includes("\n")) {
      fail(
        line,
        `the value of ${key} does not start on its line`,
        `write ${key}=value on one line; an empty value is ${key}=`,
      );
    }
    const value = dotenvValue(raw);
    const trimmed = raw.trim();
    if (/^['"`]/.test(trimmed) && value === trimmed) {
      fail(
        line,
        `the value of ${key} starts with a ${trimmed[0]} quote that does not end it`,
        "close the quote at the end of the value, or quote the whole value",
      );
    }
    const before = seen.get(key);
    if (before !== undefined) fail(line, `${key} is set on line ${before} already`, "keep one of the two lines");
    seen.set(key, line);
    entries.push({ key, value, line, references: REFERENCE.test(value) });
    last = m.index + m[0].length;
  }
  checkGap(last, src.length);
  return entries;
}

/** A .env file's entries, and what the import should tell the user about them. */
export interface DotenvImport {
  entries: DotenvEntry[];
  /** One line per notice; never a value. */
  warnings: string[];
}

/**
 * Reads .env text for `import`: {@link parseDotenv}, then references either
 * reported (kept as written) or, with `expand`, expanded as dotenv-expand
 * does, each against the variables above it in the file.
 * @throws LockstepError `INVALID_VALUE` as {@link parseDotenv}.
 */
export function readDotenv(text: string, file: string, options: { expand?: boolean } = {}): DotenvImport {
  const entries = parseDotenv(text, file);
  const warnings: string[] = [];
  const withRefs = entries.filter((e) => e.references);
  if (!options.expand) {
    for (const e of withRefs) {
      warnings.push(
        `${file}:${e.line}: ${e.key} holds a $VAR or \${VAR} reference, imported as written; pass --expand to expand references as dotenv-expand does`,
      );
    }
    return { entries, warnings };
  }
  const defined = new Set<string>();
  for (const e of entries) {
    if (e.references) {
      const names = [...e.value.matchAll(new RegExp(REFERENCE.source, "g"))].map(
        (r) => (r[1] ?? r[2] ?? "").split(/:\+|\+|:-|-/)[0] as string,
      );
      if (names.some((n) => !defined.has(n))) {
        warnings.push(
          `${file}:${e.line}: ${e.key} refers to a variable not set above it in the file; dotenv-expand gives its default, or nothing`,
        );
      }
    }
    defined.add(e.key);
  }
  const parsed: Record<string, string> = Object.create(null);
  for (const e of entries) parsed[e.key] = e.value;
  const expanded = expand({ parsed, processEnv: {} }).parsed ?? parsed;
  return {
    entries: entries.map((e) => ({ ...e, value: expanded[e.key] as string, references: false })),
    warnings,
  };
}
