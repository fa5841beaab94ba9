/**
 * INI files as sops reads them: with go-ini (gopkg.in/ini.v1) and its
 * default options but `AllowNonUniqueSections`. The reading follows go-ini's
 * parser.go: keys before any `[section]` belong to the section `DEFAULT`;
 * `=` or `:` ends a key; `#` and `;` start comments, inside an unquoted
 * value too; a value may be quoted with `"""` or backticks (over several
 * lines), or surrounded by `"` or `'`; a trailing `\` continues a value on
 * the next line. A key given twice in a section keeps its first place and
 * its last value.
 */
import { LockstepError } from "../../errors.js";

/** One key of a section. */
export interface IniKey {
  readonly key: string;
  readonly value: string;
  /** 1-based line of the key. */
  readonly line: number;
}

/** One section, in file order; `DEFAULT` comes first. */
export interface IniSection {
  readonly name: string;
  readonly line: number;
  readonly keys: IniKey[];
}

/** go-ini's name of the section of the keys before any header. */
export const INI_DEFAULT_SECTION = "DEFAULT";

/**
 * Reads INI text into its sections.
 * @throws LockstepError `INVALID_VALUE` naming the line go-ini would refuse.
 */
export function readIniSections(text: string, source: string): IniSection[] {
  const src = text.startsWith("\uFEFF") ? text.slice(1) : text;
  // Each line keeps its "\n", as go-ini's readUntil('\n') returns it.
  const lines = src.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const fail = (at: number, what: string): never => {
    throw new LockstepError("INVALID_VALUE", `${source}:${at}: ${what}`, {
      file: source,
      line: at,
      fix: "write `key = value` lines under `[section]` headers",
    });
  };
  let section: IniSection = { name: INI_DEFAULT_SECTION, line: 1, keys: [] };
  const sections: IniSection[] = [section];
  let count = 1;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = trimLeft(lines[i] as string);
    if (line === "") continue;
    if (line[0] === "#" || line[0] === ";") continue;
    if (line[0] === "[") {
      const close = line.lastIndexOf("]");
      if (close === -1) fail(lineNo, "the section header is not closed with ]");
      const name = line.slice(1, close);
      if (name === "") fail(lineNo, "the section has no name");
      section = { name, line: lineNo, keys: [] };
      sections.push(section);
      count = 1;
      continue;
    }
    let { key, offset } = readKeyName(line, lineNo, fail);
    if (key === "-") key = `#${count++}`;
    const read = readValue(line.slice(offset), () => {
      i++;
      return lines[i];
    });
    if (read === undefined) fail(lineNo, `the quote of ${key}'s value is never closed`);
    const existing = section.keys.findIndex((k) => k.key === key);
    const entry = { key, value: read as string, line: lineNo };
    if (existing === -1) section.keys.push(entry);
    else section.keys[existing] = { ...entry, line: (section.keys[existing] as IniKey).line };
  }
  return sections;
}

function trimLeft(s: string): string {
  return s.replace(/^\s+/u, "");
}

function readKeyName(
  line: string,
  at: number,
  fail: (at: number, what: string) => never,
): { key: string; offset: number } {
  let quote = "";
  if (line[0] === '"') quote = line.length > 6 && line.startsWith('"""') ? '"""' : '"';
  else if (line[0] === "`") quote = "`";
  if (quote !== "") {
    const start = quote.length;
    const pos = line.indexOf(quote, start);
    if (pos === -1) fail(at, "the key's quote is never closed");
    const rest = line.slice(pos + start);
    const d = rest.search(/[=:]/);
    if (d < 0) fail(at, "no = after the key");
    return { key: line.slice(start, pos).trim(), offset: pos + d + start + 1 };
  }
  const end = line.search(/[=:]/);
  if (end < 0) fail(at, "not a `key = value` line");
  if (end === 0) fail(at, "the key is empty");
  return { key: line.slice(0, end).trim(), offset: end + 1 };
}

/** A value as go-ini's readValue reads it; `undefined` for a quote never closed. */
function readValue(rest: string, nextLine: () => string | undefined): string | undefined {
  let line = trimLeft(rest);
  if (line === "") return "";
  let quote = "";
  if (line.length > 3 && line.startsWith('"""')) quote = '"""';
  else if (line[0] === "`") quote = "`";
  if (quote !== "") {
    const body = line.slice(quote.length);
    const pos = body.lastIndexOf(quote);
    if (pos !== -1) return body.slice(0, pos);
    let value = body;
    for (;;) {
      const next = nextLine();
      if (next === undefined) return undefined;
      const end = next.lastIndexOf(quote);
      if (end !== -1) return value + next.slice(0, end);
      value += next;
    }
  }
  line = line.trim();
  if (line.endsWith("\\")) {
    let value = line.slice(0, -1);
    for (;;) {
      const next = nextLine()?.trim();
      if (next === undefined || next === "") return value;
      value += next;
      if (!value.endsWith("\\")) return value;
      value = value.slice(0, -1);
    }
  }
  const comment = line.search(/[#;]/);
  if (comment > -1) line = line.slice(0, comment).trim();
  if (surrounded(line, "'") || surrounded(line, '"')) line = line.slice(1, -1);
  return line;
}

/** go-ini's hasSurroundedQuote: quoted at both ends, and nowhere else. */
function surrounded(s: string, q: string): boolean {
  return s.length >= 2 && s[0] === q && s[s.length - 1] === q && s.indexOf(q, 1) === s.length - 1;
}
