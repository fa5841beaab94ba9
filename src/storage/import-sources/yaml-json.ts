/**
 * YAML and JSON input of `import`, read into an {@link ImportMap} that
 * keeps the file's key order and every scalar's text as written (`1.50`
 * stays `1.50`, a 20-digit id keeps its digits). The `yaml` package reads
 * both: JSON is checked by `JSON.parse` first, so that only strict JSON is
 * taken, and then read as YAML 1.2 with the JSON schema, which keeps the
 * order (`JSON.parse` puts integer-like keys first) and the number texts.
 */
import type { Document, LineCounter, Node, Scalar } from "yaml";
import type { ImportEntry, ImportMap, ImportNode, ScalarType } from "../../core/import-tree.js";
import { LockstepError } from "../../errors.js";

type YamlPackage = typeof import("yaml");

/** Loaded on first use, as in storage/yaml-file.ts: most commands never need it. */
const loadYaml = (): Promise<YamlPackage> => import("yaml");

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
export async function readYamlDocuments(text: string, source: string): Promise<ImportMap[]> {
  const Y = await loadYaml();
  const lc = new Y.LineCounter();
  const docs = Y.parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(docs)) return [];
  return docs.map((doc) => documentToMap(Y, doc, lc, source, "a YAML document"));
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
    throw invalid(
      source,
      `not valid JSON: ${(e as Error).message}`,
      undefined,
      'pass a JSON object, e.g. {"DB_PASSWORD": "..."}',
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw invalid(source, "expected a JSON object at the top level");
  }
  const Y = await loadYaml();
  const lc = new Y.LineCounter();
  const doc = Y.parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, schema: "json" });
  return documentToMap(Y, doc, lc, source, "a JSON document");
}

function documentToMap(Y: YamlPackage, doc: Document, lc: LineCounter, source: string, what: string): ImportMap {
  const lineAt = (node: { range?: [number, number, number] | null } | null | undefined): number | undefined =>
    node?.range ? lc.linePos(node.range[0]).line : undefined;
  const [error] = doc.errors;
  if (error) {
    const line = lc.linePos(error.pos[0]).line;
    throw invalid(source, error.message.split("\n")[0] ?? "not valid YAML", line, "fix the syntax at that line");
  }
  const active = new Set<Node>();
  const convert = (node: unknown, line: number | undefined): ImportNode => {
    if (node === null || node === undefined) return { kind: "scalar", type: "null", text: "" };
    if (Y.isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) throw invalid(source, `the alias *${node.source} has no anchor`, lineAt(node));
      return convert(target, lineAt(node));
    }
    if (Y.isScalar(node)) return scalarNode(node);
    if (!Y.isMap(node) && !Y.isSeq(node)) throw invalid(source, "holds a node of an unknown kind", line);
    if (active.has(node)) throw invalid(source, "an alias refers to a node that contains it", line);
    active.add(node);
    try {
      if (Y.isSeq(node)) return { kind: "list", items: node.items.map((item) => convert(item, lineAt(item as Node))) };
      const entries: ImportEntry[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const keyLine = lineAt(keyNode) ?? line;
        if (!Y.isScalar(keyNode) || keyNode.value === null) {
          throw invalid(source, "has a key that is not a plain string", keyLine, "use string keys only");
        }
        const key = keyNode.source ?? String(keyNode.value);
        if (key === "<<" && keyNode.type === "PLAIN") {
          throw invalid(source, "uses a YAML merge key (<<)", keyLine, "write the merged keys out in the map");
        }
        entries.push({ key, node: convert(pair.value, keyLine), ...(keyLine !== undefined && { line: keyLine }) });
      }
      return { kind: "map", entries };
    } finally {
      active.delete(node);
    }
  };
  const root = doc.contents;
  if (root === null || (Y.isScalar(root) && root.value === null)) return { kind: "map", entries: [] };
  if (!Y.isMap(root) && !(Y.isAlias(root) && Y.isMap(root.resolve(doc)))) {
    throw invalid(source, `expected ${what} that is a map of keys to values`, lineAt(root as Node));
  }
  const tree = convert(root, lineAt(root as Node));
  return tree as ImportMap;
}

function scalarNode(node: Scalar): ImportNode {
  const v = node.value;
  const type: ScalarType =
    v === null
      ? "null"
      : typeof v === "boolean"
        ? "boolean"
        : typeof v === "number" || typeof v === "bigint"
          ? "number"
          : "string";
  // `source` is the scalar's text after quoting and escapes, before its type was resolved.
  const text = type === "null" ? "" : (node.source ?? String(v));
  return { kind: "scalar", type, text, ...(node.type === "PLAIN" && { plain: true }) };
}
