/**
 * YAML and JSON input of `import`, read into an {@link ImportMap} that
 * keeps the file's key order and every scalar's text as written (`1.50`
 * stays `1.50`, a 20-digit id keeps its digits). The `yaml` package reads
 * both (in storage/yaml-file.ts, YAML's one home): JSON is checked by
 * `JSON.parse` first, so that only strict JSON is taken, and then read as
 * YAML 1.2 with the JSON schema, which keeps the order (`JSON.parse` puts
 * integer-like keys first) and the number texts.
 */
import type { ImportMap } from "../../core/import-tree.js";
import { LockstepError } from "../../errors.js";
import { readYamlTrees } from "../yaml-file.js";

/** The 1-based line and column of an offset in `text`. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
}

function invalid(source: string, message: string, line?: number, fix?: string): LockstepError {
  return new LockstepError("INVALID_VALUE", `${source}${line !== undefined ? `:${line}` : ""}: ${message}`, {
    file: source,
    ...(line !== undefined && { line }),
    ...(fix !== undefined && { fix }),
  });
}

/**
 * Reads the documents of a YAML stream, each a map (an empty document is an
 * empty map), as sops reads its YAML files.
 * @throws LockstepError `INVALID_VALUE` for a YAML error, a document that
 *   is not a map, or a key that is not a scalar.
 */
export function readYamlDocuments(text: string, source: string): Promise<ImportMap[]> {
  return readYamlTrees(text, source, "yaml");
}

/**
 * Reads a YAML file of one document, a map.
 * @throws LockstepError `INVALID_VALUE` as {@link readYamlDocuments}, and
 *   for a file of more than one document.
 */
export async function readYamlTree(text: string, source: string): Promise<ImportMap> {
  const docs = await readYamlDocuments(text, source);
  if (docs.length > 1) {
    throw invalid(
      source,
      `holds ${docs.length} YAML documents; import reads one`,
      undefined,
      "split the file at its `---` lines and import each part",
    );
  }
  return docs[0] ?? { kind: "map", entries: [] };
}

/**
 * Reads a JSON file whose top level is an object.
 * @throws LockstepError `INVALID_VALUE` for text that is not strict JSON, a
 *   top level that is not an object, or a key given twice.
 */
export async function readJsonTree(text: string, source: string): Promise<ImportMap> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    // The parser's message quotes the text around the fault, values included: say only where it is.
    const at = /at position (\d+)/.exec((e as Error).message)?.[1];
    const where = at === undefined ? undefined : lineAndColumn(text, Number(at));
    throw invalid(
      source,
      `not valid JSON${where ? ` (column ${where.column})` : ""}`,
      where?.line,
      'pass a JSON object, e.g. {"DB_PASSWORD": "..."}',
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw invalid(source, "expected a JSON object at the top level");
  }
  const [tree] = await readYamlTrees(text, source, "json");
  return tree ?? { kind: "map", entries: [] };
}
