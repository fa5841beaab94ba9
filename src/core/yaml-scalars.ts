/**
 * YAML for the `yaml` and `k8s` exports, written by hand (core does not load
 * the `yaml` package): only flat maps of strings, every key and value a
 * double-quoted scalar. A double-quoted scalar is a string to every reader,
 * YAML 1.1 (PyYAML, kubectl's and helm's go-yaml) and 1.2 alike, so `no`,
 * `12:30:00`, `0x1F`, `~` or `2026-11-28` stay the text they are, where a
 * plain scalar would turn into false, 45000, 31, null or a date in a 1.1
 * reader.
 */

/**
 * Characters escaped inside a double-quoted scalar: the quote and the
 * backslash; every C0 and C1 control, DEL and U+FFFE/U+FFFF (outside YAML's
 * printable set, which PyYAML's reader refuses raw); U+0085, U+2028 and
 * U+2029 (line breaks to a YAML 1.1 reader, folded if raw); and U+FEFF
 * (a byte order mark to some readers). Escapes used are those of YAML 1.1
 * section 5.7, which 1.2 keeps (`\/` and others new in 1.2 are avoided).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
const ESCAPE = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

const NAMED: Record<string, string> = {
  "\0": "\\0",
  "\u0007": "\\a",
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\u000b": "\\v",
  "\f": "\\f",
  "\r": "\\r",
  "\u001b": "\\e",
  '"': '\\"',
  "\\": "\\\\",
  "\u0085": "\\N",
  "\u2028": "\\L",
  "\u2029": "\\P",
};

/**
 * `text` as a YAML double-quoted scalar, on one line.
 * @throws TypeError for a lone surrogate, which no YAML stream can hold.
 */
export function yamlString(text: string): string {
  if (/\p{Cs}/u.test(text)) throw new TypeError("a lone surrogate cannot be written to YAML");
  return `"${text.replace(ESCAPE, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  })}"`;
}

/**
 * A block mapping of string keys to string values, indented by `indent`
 * spaces, one `"key": "value"` line per entry; `{}` (flow) when empty.
 * @param prefix what goes before the mapping: `""` for a document, or
 *   `"data:"` and the like for a mapping under a key.
 */
export function yamlStringMap(entries: readonly (readonly [string, string])[], indent = 0, prefix = ""): string {
  const pad = " ".repeat(indent);
  if (entries.length === 0) return prefix === "" ? "{}\n" : `${prefix} {}\n`;
  const lines = entries.map(([k, v]) => `${pad}${yamlString(k)}: ${yamlString(v)}\n`).join("");
  return prefix === "" ? lines : `${prefix}\n${lines}`;
}
