/**
 * A fast reader for secret manifests as lockstep writes them, for the hot path
 * of `export` and `check`. The contract: the same value as js-yaml's
 * `load(text, { schema: CORE_SCHEMA, json: false })`, or `undefined` whenever
 * the text strays from the subset below, and the caller then uses js-yaml.
 *
 * The subset is what the `yaml` package writes for a manifest (2-space
 * indentation, `lineWidth: 0`, padded flow collections): block mappings and
 * sequences, a mapping starting on a `- ` line, one-line flow mappings of words
 * (recipients), `{}`, `[]`, literal blocks `|` and `|-`, one-line plain and quoted
 * scalars, blank lines and full-line comments. Anchors, tags, flow sequences,
 * folded blocks, multi-line plain scalars, tabs, CR, duplicate keys or a plain
 * scalar that could be other than a string or a decimal integer: `undefined`.
 */

// js-yaml refuses these in scalars (its PATTERN_NON_PRINTABLE, lib/loader.js).
const NON_PRINTABLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;
// The quick test for the usual all-ASCII text, before the slower one above.
const PRINTABLE_ASCII = /^[\n -~]*$/;

// A plain scalar of letters, digits and a few signs that starts with a letter
// can only be a string, bar the WORDS below: names and age keys are such words.
const W = "[A-Za-z_][\\w./@+=-]*";
const WORD = new RegExp(`^${W}$`);
const FLOW_OF_WORDS = new RegExp(`^\\{ ${W}: ${W}(?:, ${W}: ${W})* \\}$`);
// CORE_SCHEMA's null and bool resolvers (js-yaml 4 lib/type/null.js, bool.js).
const WORDS = new Set(["~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"]);
// CORE_SCHEMA's int and float resolvers (lib/type/int.js, float.js): a plain
// scalar they accept is not a string.
const INT = /^[-+]?(?:0b[01]+|0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9]+)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
// The one non-string whose value is obvious; the rest are left to js-yaml.
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
// Indicators that change what a plain scalar means when they start it; `-`, `?`
// and `:` only do when a space follows, but a manifest never needs them first.
const NOT_FIRST = new Set("-?:,[]{}#&*!|>'\"%@` ");
// js-yaml throws past its maxDepth (100); stay well below it.
const MAX_DEPTH = 32;

/**
 * Reads a manifest written in lockstep's canonical YAML.
 *
 * @returns what js-yaml's `load(text, { schema: CORE_SCHEMA, json: false })`
 *   returns, or `undefined` when the text is outside the subset this scanner
 *   is sure of (the caller then parses it with js-yaml). Never throws.
 */
export function scanManifest(text: string): unknown | undefined {
  // js-yaml strips a BOM, refuses NUL anywhere and reads CR as a line break even
  // in a comment; tabs have rules of their own.
  if (text.charCodeAt(0) === 0xfeff || ["\0", "\r", "\t"].some((c) => text.includes(c))) return undefined;
  return new Scanner(text).document();
}

/**
 * A cursor over the significant lines of one document; every method returns
 * `undefined` to give up. Lines stay in the text, unsplit, so that reading a
 * ciphertext block copies it once.
 */
class Scanner {
  private readonly text: string;
  /** The current line's indentation, -1 past the last line. */
  private indent = -1;
  /** Where the current line's content (after the indentation) starts and ends. */
  private start = 0;
  private end = 0;

  constructor(text: string) {
    this.text = text;
    this.moveTo(0);
  }

  document(): unknown | undefined {
    const value = this.indent === 0 ? this.block(0, 0) : undefined;
    return this.indent === -1 ? value : undefined;
  }

  /** Moves to the first line from `pos` on that is neither blank nor a comment. */
  private moveTo(pos: number): void {
    const text = this.text;
    for (; pos < text.length; pos++) {
      const lineEnd = text.indexOf("\n", pos);
      const end = lineEnd === -1 ? text.length : lineEnd;
      let at = pos;
      while (text.charCodeAt(at) === 0x20) at++;
      if (at < end && text.charCodeAt(at) !== 0x23 /* # */) {
        this.indent = at - pos;
        this.start = at;
        this.end = end;
        return;
      }
      pos = end;
    }
    this.indent = -1;
  }

  /** The current line without its indentation. */
  private line(): string {
    return this.text.slice(this.start, this.end);
  }

  private block(n: number, depth: number): unknown | undefined {
    if (depth > MAX_DEPTH) return undefined;
    return isDash(this.line()) ? this.sequence(n, depth) : this.mapping(n, depth);
  }

  private mapping(n: number, depth: number): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    while (this.indent === n) {
      const line = this.line();
      // js-yaml trims trailing spaces, or reads a comment after them: not worth following.
      if (line.endsWith(" ") || isDash(line)) return undefined;
      const colon = line.indexOf(": ");
      const end = colon !== -1 ? colon : line.endsWith(":") ? line.length - 1 : -1;
      const key = end === -1 ? undefined : keyOf(line.slice(0, end));
      if (key === undefined || Object.hasOwn(out, key)) return undefined;
      const value = end === line.length - 1 ? this.nested(n, depth) : this.inline(line.slice(end + 2), n);
      if (value === undefined) return undefined;
      out[key] = value;
    }
    return this.indent < n ? out : undefined;
  }

  private sequence(n: number, depth: number): unknown[] | undefined {
    const out: unknown[] = [];
    while (this.indent === n) {
      const line = this.line();
      if (!isDash(line) || line.endsWith(" ")) return undefined;
      const rest = line.slice(2);
      const first = rest.charAt(0);
      // An empty item, a comment (js-yaml reads null), a nested `- - x` or an
      // item indented further: not what lockstep writes.
      if (rest === "" || first === " " || first === "#" || isDash(rest)) return undefined;
      let item: unknown;
      if (!"\"'{[|".includes(first) && (rest.includes(": ") || rest.endsWith(":"))) {
        // A mapping that starts on the dash line: its keys line up two columns
        // past the dash, so read on as if the line started there.
        this.start += 2;
        this.indent += 2;
        item = this.mapping(n + 2, depth + 1);
      } else {
        item = this.inline(rest, n);
      }
      if (item === undefined) return undefined;
      out.push(item);
    }
    return this.indent < n ? out : undefined;
  }

  /** The value of a `key:` at indentation `n` with nothing after the colon. */
  private nested(n: number, depth: number): unknown | undefined {
    this.moveTo(this.end + 1);
    if (this.indent === n + 2) return this.block(n + 2, depth + 1);
    // Deeper, or a sequence at the key's own indentation (valid YAML, not lockstep's).
    if (this.indent > n || (this.indent === n && isDash(this.line()))) return undefined;
    return null;
  }

  /** The value `text` after a key or dash at indentation `n`, ending the current line. */
  private inline(text: string, n: number): unknown | undefined {
    if (text === "|" || text === "|-") return this.literal(n + 2, text === "|");
    this.moveTo(this.end + 1);
    switch (text.charAt(0)) {
      case '"':
        return doubleQuoted(text);
      case "'":
        return singleQuoted(text);
      case "{":
        return text === "{}" ? {} : flowMapping(text);
      case "[":
        return text === "[]" ? [] : undefined;
      default:
        return plain(text);
    }
  }

  /** The literal block scalar below the current line, indented `c`: `|` if `clip`, else `|-`. */
  private literal(c: number, clip: boolean): string | undefined {
    const text = this.text;
    const from = this.end + 1;
    let contentEnd = -1; // where the last content line ends: trailing blank lines are chomped
    let blank = false;
    let gaps = false; // blank lines between content lines
    let pos = from;
    for (; pos < text.length; pos++) {
      const lineEnd = text.indexOf("\n", pos);
      const end = lineEnd === -1 ? text.length : lineEnd;
      let at = pos;
      while (text.charCodeAt(at) === 0x20) at++;
      if (at === end && at - pos <= c) {
        blank = true;
      } else if (at - pos < c) {
        break;
      } else {
        // js-yaml takes the indentation from leading blank lines too: insist on
        // content first, at exactly `c`. A line of more than `c` spaces is content.
        if (contentEnd === -1 && (blank || at - pos !== c)) return undefined;
        gaps ||= blank;
        blank = false;
        contentEnd = end;
      }
      pos = end;
    }
    if (contentEnd === -1) return undefined;
    const lines = text.slice(from, contentEnd);
    const dedent = (line: string) => line.slice(c);
    const body = gaps
      ? lines.split("\n").map(dedent).join("\n")
      : lines.slice(c).replaceAll(`\n${" ".repeat(c)}`, "\n");
    this.moveTo(pos);
    if (!printable(body)) return undefined;
    return clip ? `${body}\n` : body;
  }
}

/** Whether `line` starts with a sequence dash. */
function isDash(line: string): boolean {
  return line.charCodeAt(0) === 0x2d && (line.length === 1 || line.charCodeAt(1) === 0x20);
}

function printable(text: string): boolean {
  return PRINTABLE_ASCII.test(text) || !NON_PRINTABLE.test(text);
}

/** `{ a: b, c: d }` of words on one line, the padded form the `yaml` package writes. */
function flowMapping(text: string): Record<string, unknown> | undefined {
  // One test of the whole line checks every scalar: faster than a test for each.
  if (!FLOW_OF_WORDS.test(text)) return undefined;
  const out: Record<string, unknown> = {};
  const last = text.length - 2;
  let count = 0;
  for (let at = 2; ; count++) {
    const colon = text.indexOf(": ", at);
    const comma = text.indexOf(", ", colon);
    const end = comma === -1 ? last : comma;
    const key = word(text.slice(at, colon));
    const value = word(text.slice(colon + 2, end));
    if (key === undefined || value === undefined) return undefined;
    out[key] = value;
    if (end === last) break;
    at = end + 2;
  }
  // Cheaper than a lookup per key: a duplicate key has overwritten an earlier one.
  return Object.keys(out).length === count + 1 ? out : undefined;
}

/** A word as a plain scalar: a string unless CORE_SCHEMA reads null or a bool. */
function word(text: string): string | undefined {
  // `__proto__` would need js-yaml's defineProperty.
  return ((text.length === 4 || text.length === 5) && WORDS.has(text)) || text === "__proto__" ? undefined : text;
}

/** A plain key as js-yaml stores it: resolved like any scalar, then `String()`ed. */
function keyOf(text: string): string | undefined {
  // A `:` in a key is legal but never ours.
  const value = text.includes(":") ? undefined : plain(text);
  return typeof value === "number" ? String(value) : value;
}

/** A one-line plain scalar: a string, a decimal integer, or `undefined` for anything else. */
function plain(text: string): string | number | undefined {
  if (WORD.test(text)) return word(text);
  if (text === "" || NOT_FIRST.has(text.charAt(0)) || text.endsWith(":") || text.endsWith(" ")) return undefined;
  // `: ` starts a value and ` #` a comment: this is not one scalar.
  if (text.includes(": ") || text.includes(" #")) return undefined;
  if (!printable(text)) return undefined;
  const c = text.charCodeAt(0);
  // Every int and float form starts with a digit, `.` or a sign (`-` is refused above).
  if ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2b) {
    if (DECIMAL.test(text)) {
      const n = Number.parseInt(text, 10); // what js-yaml computes, rounding included
      return Number.isFinite(n) ? n : undefined;
    }
    if (INT.test(text) || FLOAT.test(text)) return undefined;
  }
  return WORDS.has(text) ? undefined : text;
}

/** `"..."` on one line. */
function doubleQuoted(text: string): string | undefined {
  // JSON's escapes are YAML escapes with the same meaning, and JSON.parse
  // refuses YAML's others (\x, \U, \N, \_, \0, ...), raw control characters
  // and a quote left open or closed early, so it decodes exactly or throws.
  if (!text.endsWith('"') || !printable(text)) return undefined;
  try {
    return JSON.parse(text) as string;
  } catch {
    return undefined;
  }
}

/** `'...'` on one line, where `''` is a quote. */
function singleQuoted(text: string): string | undefined {
  const inner = text.slice(1, -1);
  if (text.length < 2 || !text.endsWith("'") || inner.replaceAll("''", "").includes("'")) return undefined;
  return printable(inner) ? inner.replaceAll("''", "'") : undefined;
}
