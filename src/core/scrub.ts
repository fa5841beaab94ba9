/**
 * Scrubbing: what a rotation hook or a database prints is shown to people
 * and CI logs, so every value it was handed is replaced by `***` first.
 */

/** What stands in for a value. */
export const SCRUBBED = "***";

/** Shortest piece of a value (a line, a JSON string) scrubbed on its own; whole values are scrubbed at any length. */
const MIN_PIECE = 6;

/**
 * Keys of a JSON value whose strings are left readable: where a credential
 * lives and who it is (a database's host, a role's name), which errors name.
 * Every other string of a JSON value is scrubbed.
 */
const PUBLIC_KEYS = new Set([
  "username",
  "user",
  "host",
  "hostname",
  "port",
  "database",
  "dbname",
  "sslmode",
  "region",
]);

/**
 * The strings a value may show up as: the value itself, each of its lines,
 * and, for a JSON value, its strings (a password inside a connection
 * document) but those under {@link PUBLIC_KEYS}; each also as a JSON string
 * body and URL-encoded (as in a connection URL).
 */
export function secretForms(value: string): string[] {
  const pieces = new Set<string>();
  if (value !== "") pieces.add(value);
  for (const line of value.split(/\r?\n/)) {
    const t = line.trim();
    if (t.length >= MIN_PIECE) pieces.add(t);
  }
  try {
    collectStrings(JSON.parse(value) as unknown, pieces);
  } catch {
    // Not JSON: the value and its lines are all there is.
  }
  const forms = new Set<string>();
  for (const p of pieces) {
    forms.add(p);
    forms.add(JSON.stringify(p).slice(1, -1));
    forms.add(encodeURIComponent(p));
  }
  return [...forms].filter((f) => f !== "");
}

function collectStrings(node: unknown, into: Set<string>): void {
  if (typeof node === "string") {
    if (node.length >= MIN_PIECE) into.add(node);
  } else if (Array.isArray(node)) {
    for (const n of node) collectStrings(n, into);
  } else if (node !== null && typeof node === "object") {
    for (const [k, n] of Object.entries(node)) if (!PUBLIC_KEYS.has(k)) collectStrings(n, into);
  }
}

/**
 * A function that replaces every form of every given value in a text by
 * `***` (longest first, so a value never leaves a piece of itself behind).
 */
export function scrubber(values: readonly string[]): (text: string) => string {
  const forms = [...new Set(values.flatMap(secretForms))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const f of forms) out = out.split(f).join(SCRUBBED);
    return out;
  };
}
