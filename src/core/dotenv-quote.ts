/**
 * How `export --format dotenv` writes a value: one quoting rule that every
 * common dotenv reader reads back exactly, with its default settings:
 * npm `dotenv`, `@dotenvx/dotenvx`, python-dotenv (`dotenv_values`, which
 * interpolates), Debian's docker-compose (its `env_file` reader is
 * python-dotenv with interpolation) and godotenv. The reader matrix
 * (test/core/reader-matrix.test.ts) holds the rule to all five.
 *
 * The first form that fits is written:
 *
 * 1. `NAME='value'`: single quotes, literal, lines and all. Not for a value
 *    holding `'`, a carriage return (npm dotenv and python's text mode turn
 *    it into a line feed), `\\` or a final `\` (python-dotenv reads `\\` as
 *    `\`; godotenv and python-dotenv take `\'` as an escaped quote), or
 *    `${...}` (python-dotenv and docker-compose expand it even in single quotes).
 * 2. `NAME="value"`: double quotes, a line feed written `\n` and a carriage
 *    return `\r` (the one escape every reader shares). Not for a value
 *    holding `"`, `\` or `$` (readers differ on escapes, and godotenv and
 *    dotenvx expand `$NAME`).
 * 3. `NAME=value`: unquoted. Only for one line without `#`, `$` or white
 *    space at either end, not starting with a quote.
 *
 * A value that fits none (`it's C:\$HOME`, say) has no dotenv form that all
 * of them read back: `export` refuses it and names json, shell or files.
 * A value is never written in a way that another reader could take as a
 * second variable: each form is one entry to every reader.
 */

/** The three forms, in the order they are tried. */
export type DotenvForm = "single" | "double" | "bare";

/**
 * python-dotenv's variable pattern (`_posix_variable` in dotenv/variables.py,
 * 0.21 to 1.2), which it expands in every value, quoted or not.
 */
const PYTHON_DOTENV_VARIABLE = /\$\{[^}:]*(?::-[^}]*)?\}/;

/**
 * White space that some reader trims from the ends of an unquoted value:
 * JavaScript's `\s` (`String.prototype.trim`), Python's `str.rstrip()` (which
 * adds U+001C..U+001F and U+0085) and godotenv's `isSpace`.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: Python counts U+001C..U+001F as white space
const EDGE_SPACE = /^[\s\u001c-\u001f\u0085\u180e]|[\s\u001c-\u001f\u0085\u180e]$/;

function fitsSingle(v: string): boolean {
  return !/['\r\0]|\\\\|\\$/.test(v) && !PYTHON_DOTENV_VARIABLE.test(v);
}

function fitsDouble(v: string): boolean {
  return !/["\\$\0]/.test(v);
}

function fitsBare(v: string): boolean {
  return v !== "" && !/[#$\r\n\0]/.test(v) && !/^['"`]/.test(v) && !EDGE_SPACE.test(v);
}

/** The form `value` is written in, or `undefined` when no form reads back exactly in every reader. */
export function dotenvForm(value: string): DotenvForm | undefined {
  if (fitsSingle(value)) return "single";
  if (fitsDouble(value)) return "double";
  if (fitsBare(value)) return "bare";
  return undefined;
}

/** `value` quoted in its form, or `undefined` when it has none (see {@link dotenvForm}). */
export function dotenvQuote(value: string): string | undefined {
  switch (dotenvForm(value)) {
    case "single":
      return `'${value}'`;
    case "double":
      return `"${value.replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
    case "bare":
      return value;
    case undefined:
      return undefined;
  }
}

/**
 * Why `value` has no dotenv form, naming the kinds of characters involved
 * (never the value): e.g. "it holds ', \ and $".
 */
export function dotenvRefusalReason(value: string): string {
  const kinds: [RegExp, string][] = [
    [/\0/, "a NUL byte"],
    [/'/, "'"],
    [/"/, '"'],
    [/\\/, "\\"],
    [/\$/, "$"],
    [/#/, "#"],
    [/\r/, "a carriage return"],
    [/\n/, "a line feed"],
  ];
  const found = kinds.filter(([re]) => re.test(value)).map(([, what]) => what);
  if (EDGE_SPACE.test(value)) found.push("white space at an end");
  const list = found.length <= 1 ? found.join("") : `${found.slice(0, -1).join(", ")} and ${found.at(-1)}`;
  return `it holds ${list}`;
}
