/**
 * A .env parser, reading files as dotenv tools do (python-dotenv, godotenv,
 * docker compose): `KEY=value`, optional `export `, `#` comments, single
 * quotes literal, double quotes with escapes (`\n \r \t \" \\ \$`),
 * backticks literal, and quoted values that span lines.
 */
import { LockstepError } from "../errors.js";

/** One variable read from a .env file. */
export interface DotenvEntry {
  key: string;
  value: string;
  /** 1-based line where the entry starts. */
  line: number;
}

const KEY = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*/;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\", $: "$" };

/**
 * Parses .env text into entries, in file order.
 * @throws LockstepError `INVALID_VALUE` naming the line of a malformed entry.
 */
export function parseDotenv(text: string, file: string): DotenvEntry[] {
  const src = text.replace(/\r\n?/g, "\n");
  const entries: DotenvEntry[] = [];
  let pos = 0;
  let line = 1;
  const fail = (at: number, what: string): never => {
    throw new LockstepError("INVALID_VALUE", `${file}:${at}: ${what}`, {
      file,
      line: at,
      fix: "write KEY=value, quoting values with spaces, '#' or newlines",
    });
  };
  while (pos < src.length) {
    const end = src.indexOf("\n", pos);
    const rawLine = src.slice(pos, end === -1 ? src.length : end);
    const trimmed = rawLine.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      pos = end === -1 ? src.length : end + 1;
      line++;
      continue;
    }
    const lead = rawLine.length - rawLine.trimStart().length;
    const m = KEY.exec(rawLine.slice(lead));
    if (!m) fail(line, "not a KEY=value line");
    const key = (m as RegExpExecArray)[1] as string;
    const startLine = line;
    let i = pos + lead + (m as RegExpExecArray)[0].length;
    const quote = src[i];
    let value: string;
    if (quote === '"' || quote === "'" || quote === "`") {
      let out = "";
      i++;
      for (;;) {
        const c = src[i];
        if (c === undefined) fail(startLine, `the ${quote} quote of ${key} is never closed`);
        if (c === quote) break;
        if (c === "\n") line++;
        if (c === "\\" && quote === '"') {
          const next = src[i + 1];
          const mapped = next === undefined ? undefined : ESCAPES[next];
          if (mapped !== undefined) {
            out += mapped;
            i += 2;
            continue;
          }
        }
        out += c;
        i++;
      }
      value = out;
      i++;
      const rest = src.slice(i, src.indexOf("\n", i) === -1 ? src.length : src.indexOf("\n", i)).trim();
      if (rest !== "" && !rest.startsWith("#")) fail(line, `unexpected text after the quoted value of ${key}`);
      i += src.slice(i).indexOf("\n") === -1 ? src.length - i : src.slice(i).indexOf("\n");
    } else {
      const lineEnd = src.indexOf("\n", i) === -1 ? src.length : src.indexOf("\n", i);
      const raw = src.slice(i, lineEnd);
      const comment = raw.search(/(^|\s)#/);
      value = (comment === -1 ? raw : raw.slice(0, comment)).trim();
      i = lineEnd;
    }
    entries.push({ key, value, line: startLine });
    pos = i + 1;
    line++;
  }
  return entries;
}
