/**
 * Writes a manifest's YAML text directly, byte for byte what the `yaml`
 * package writes for it (`newManifestDocument` + `stringifyDocument`), for
 * the bulk commands: building and printing a `yaml` Document costs about a
 * millisecond a manifest, most of an import or rekey of a thousand secrets.
 *
 * It knows only the plain shapes lockstep writes: block maps and sequences,
 * recipients as flow maps, the ciphertext as a literal block, and strings
 * that need no quotes. For anything else (a description with a quote or a
 * line break, an empty list) it answers `undefined` and the caller uses the
 * Document API. A property test holds it to the `yaml` package's output.
 */
import type { SecretManifest } from "../core/model.js";
import type { YamlFile } from "./yaml-file.js";

// Strings written without quotes. Conservative on purpose: a leading digit,
// dot or sign could read back as a number, and `#`, quotes, brackets and
// `: ` mean something to YAML; such strings take the slow path.
const PLAIN_BLOCK = /^[A-Za-z_/][A-Za-z0-9_./@+=:, ()-]*$/;
const PLAIN_FLOW = /^[A-Za-z_][A-Za-z0-9_./@+=-]*$/;
// Version dates and durations (`90d`), which the core schema reads back as strings.
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$|^\d+[smhdw]$/;
// YAML 1.1 booleans and nulls too: the `yaml` package quotes some of them.
const RESERVED = /^(?:true|false|null|yes|no|on|off|y|n)$/i;
// A literal block's lines: printable ASCII, none empty, no space at either end (tested on
// the whole block at once, which a ciphertext of a few thousand lines makes worth it).
const PRINTABLE_LINES = /^[ -~\n]*$/;
const EDGE_SPACE = /^ | $| \n|\n /;

/** The manifest's YAML text, or `undefined` when it needs the Document API. */
export function emitManifest(m: SecretManifest): string | undefined {
  const lines: string[] = [];
  return emitMap(m as unknown as Record<string, unknown>, "", lines, false) ? `${lines.join("\n")}\n` : undefined;
}

/**
 * The new text of a manifest that is exactly as lockstep wrote it, with
 * `next` as its data; `undefined` when the file was edited by hand (a
 * comment, other formatting), whose edits only the Document API keeps.
 */
export function rewriteManifest(current: YamlFile<SecretManifest>, next: SecretManifest): string | undefined {
  return emitManifest(current.data) === current.text ? emitManifest(next) : undefined;
}

function plain(s: string, flow: boolean): boolean {
  if (!flow) return plainUncached(s, false);
  // Recipients' names and keys recur in every manifest of a bulk write.
  let ok = plainInFlow.get(s);
  if (ok === undefined) {
    ok = plainUncached(s, true);
    if (plainInFlow.size < 10_000) plainInFlow.set(s, ok);
  }
  return ok;
}

const plainInFlow = new Map<string, boolean>();

function plainUncached(s: string, flow: boolean): boolean {
  if (DATE.test(s)) return true;
  if (RESERVED.test(s) || s.endsWith(":") || s.includes(": ") || s.endsWith(" ")) return false;
  return (flow ? PLAIN_FLOW : PLAIN_BLOCK).test(s);
}

function scalar(v: unknown, flow: boolean): string | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? String(v) : undefined;
  if (typeof v === "string" && plain(v, flow)) return v;
  return undefined;
}

/** Appends `key: value` lines of a block map; the first line's prefix (`- `) is in `first`. */
function emitMap(
  map: Record<string, unknown>,
  indent: string,
  lines: string[],
  inSequence: boolean,
  first = indent,
): boolean {
  const entries = Object.entries(map).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return false;
  for (const [i, [key, value]] of entries.entries()) {
    const at = i === 0 ? first : indent;
    if (scalar(key, false) !== key) return false;
    if (!emitEntry(key, value, at, indent, lines, inSequence)) return false;
  }
  return true;
}

function emitEntry(
  key: string,
  value: unknown,
  at: string,
  indent: string,
  lines: string[],
  inSequence: boolean,
): boolean {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return false;
    lines.push(`${at}${key}:`);
    const flow = key === "recipients" || key === "formerRecipients";
    return value.every((item) => emitItem(item, inner, lines, flow));
  }
  if (typeof value === "object" && value !== null) {
    lines.push(`${at}${key}:`);
    return emitMap(value as Record<string, unknown>, inner, lines, false);
  }
  if (typeof value === "string" && key === "ciphertext" && inSequence) return emitLiteral(key, value, at, inner, lines);
  const s = scalar(value, false);
  if (s === undefined) return false;
  lines.push(`${at}${key}: ${s}`);
  return true;
}

function emitItem(item: unknown, indent: string, lines: string[], flow: boolean): boolean {
  if (flow) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return false;
    const pairs = Object.entries(item).map(([k, v]) => [scalar(k, true), scalar(v, true)]);
    if (pairs.length === 0 || pairs.some(([k, v]) => k === undefined || v === undefined)) return false;
    lines.push(`${indent}- { ${pairs.map(([k, v]) => `${k}: ${v}`).join(", ")} }`);
    return true;
  }
  if (typeof item === "object" && item !== null && !Array.isArray(item)) {
    return emitMap(item as Record<string, unknown>, `${indent}  `, lines, true, `${indent}- `);
  }
  const s = scalar(item, false);
  if (s === undefined) return false;
  lines.push(`${indent}- ${s}`);
  return true;
}

/** A literal block (`|`): the text ends in exactly one newline, as armor does. */
function emitLiteral(key: string, text: string, at: string, indent: string, lines: string[]): boolean {
  const body = text.slice(0, -1);
  if (!text.endsWith("\n") || body === "" || body.includes("\n\n") || body.startsWith("\n") || body.endsWith("\n")) {
    return false;
  }
  if (!PRINTABLE_LINES.test(body) || EDGE_SPACE.test(body)) return false;
  lines.push(`${at}${key}: |`, `${indent}${body.replaceAll("\n", `\n${indent}`)}`);
  return true;
}
