/**
 * YAML files of the secrets repository: parsed with line numbers, validated
 * against their schema as they are read, and edited as documents so that a
 * user's comments and key order survive every write. The documents stay in
 * storage: the edits are manifests.ts's and access-file.ts's, through
 * {@link documentOf}. `import`'s YAML and JSON input is read here too
 * ({@link readYamlTrees}), into trees that hold no `yaml` type.
 */

import { CORE_SCHEMA, load as loadYaml } from "js-yaml";
import type { Document, LineCounter, Node, Scalar } from "yaml";
import { conflictFix, conflictMarkerLine } from "../core/conflicts.js";
import type { ImportEntry, ImportMap, ImportNode, ScalarType } from "../core/import-tree.js";
import { FileFormatError, LockstepError } from "../errors.js";
import { scanManifest } from "./manifest-scan.js";
import { describeErrors, type FileSchema, fileValidator } from "./schemas.js";

/** A parsed, schema-valid YAML file. */
export interface YamlFile<T> {
  /** Path for messages (relative to the repository root). */
  readonly file: string;
  /** The validated data. */
  readonly data: T;
  /** The file's text, as read. */
  readonly text: string;
  /** The 1-based line of the node at `path` (or its nearest existing parent). */
  lineOf(path: readonly (string | number)[]): Promise<number | undefined>;
}

type YamlPackage = typeof import("yaml");
let yamlPackage: Promise<YamlPackage> | undefined;

/**
 * The `yaml` package, loaded on first use. It is the largest module lockstep
 * has (160 KB), and read-only commands (`get`, `export`, `exec`) never need
 * it: only edits, line numbers and invalid files do.
 */
function loadYamlPackage(): Promise<YamlPackage> {
  yamlPackage ??= import("yaml");
  return yamlPackage;
}

/** A document parsed with positions, and the package that parsed it. */
interface Positioned {
  Y: YamlPackage;
  doc: Document;
  lc: LineCounter;
}

async function parsePositioned(text: string): Promise<Positioned> {
  const Y = await loadYamlPackage();
  const lc = new Y.LineCounter();
  return { Y, doc: Y.parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true }), lc };
}

/** Each file's document, parsed on first use: storage's own, never handed out. */
const documents = new WeakMap<YamlFile<unknown>, () => Promise<Positioned>>();

function yamlFile<T>(file: string, data: T, text: string, positioned: () => Promise<Positioned>): YamlFile<T> {
  const f: YamlFile<T> = {
    file,
    data,
    text,
    lineOf: async (path) => lineOfPath(await positioned(), path),
  };
  documents.set(f, positioned);
  return f;
}

/**
 * The editable document of a file read by {@link parseYamlFile}, comments
 * and all (parsed on the first call). For storage's edit modules only.
 */
export async function documentOf(file: YamlFile<unknown>): Promise<Document> {
  const positioned = documents.get(file);
  if (!positioned) throw new Error(`${file.file} was not read as a YAML file`);
  return (await positioned()).doc;
}

/**
 * Parses `text` and validates it against `schema`.
 *
 * Reading is the hot path (export and check read every manifest), so a
 * manifest in the form lockstep writes is read by a scanner of that form
 * (`manifest-scan.ts`), and any other valid file by js-yaml, about ten
 * times faster than the `yaml` package; the `yaml`
 * package, which keeps comments and positions, parses it only when it is
 * edited or a line is asked for, and always when the file is invalid, to
 * name the line.
 *
 * @throws FileFormatError `YAML_INVALID` or `SCHEMA_INVALID`, naming file and line.
 */
export async function parseYamlFile<T>(text: string, file: string, schema: FileSchema): Promise<YamlFile<T>> {
  let data: unknown = schema === "secret" ? scanManifest(text) : undefined;
  try {
    data ??= loadYaml(text, { schema: CORE_SCHEMA, json: false });
  } catch {
    return parseSlowly<T>(text, file, schema); // throws, with the line
  }
  if (!fileValidator(schema)(data)) return parseSlowly<T>(text, file, schema);
  data = ownedMaps(data);
  let parsed: Promise<Positioned> | undefined;
  return yamlFile(file, data as T, text, () => {
    parsed ??= parsePositioned(text);
    return parsed;
  });
}

async function parseSlowly<T>(text: string, file: string, schema: FileSchema): Promise<YamlFile<T>> {
  const conflict = conflictMarkerLine(text);
  if (conflict !== undefined) {
    throw new FileFormatError(
      "YAML_INVALID",
      `${file}:${conflict}: an unresolved git merge conflict (conflict markers)`,
      {
        file,
        line: conflict,
        fix: conflictFix(file),
        mergeConflict: true,
      },
    );
  }
  const positioned = await parsePositioned(text);
  const { doc, lc } = positioned;
  const first = doc.errors[0];
  if (first) {
    const line = lc.linePos(first.pos[0]).line;
    const duplicate = first.code === "DUPLICATE_KEY" ? earlierKey(positioned, first.pos[0]) : undefined;
    if (duplicate) {
      throw new FileFormatError(
        "YAML_INVALID",
        `${file}:${line}: not valid YAML: the key "${duplicate.key}" is already at line ${duplicate.line}`,
        { file, line, fix: duplicateKeyFix(file, duplicate, line), cause: first },
      );
    }
    throw new FileFormatError("YAML_INVALID", `${file}:${line}: not valid YAML: ${first.message.split("\n")[0]}`, {
      file,
      line,
      fix: "fix the YAML syntax at that line (indentation, quotes, a missing ':')",
      cause: first,
    });
  }
  let data: unknown;
  try {
    // The yaml package stops expanding aliases past a hundred: a "billion laughs" file ends here, at once.
    data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    throw new FileFormatError("YAML_INVALID", `${file}: not valid YAML: its aliases (*name) expand too far`, {
      file,
      line: 1,
      fix: "write the repeated values out, or use fewer aliases (a file whose aliases multiply is refused)",
      cause: e,
    });
  }
  data = ownedMaps(data);
  const validate = fileValidator(schema);
  if (!validate(data)) {
    const violations = describeErrors(validate.errors);
    const lines = violations.map((v) => lineOfPath(positioned, v.path));
    const line = lines[0];
    const list = violations.map((v, i) => `${file}:${lines[i] ?? 1}: ${v.message}`);
    throw new FileFormatError("SCHEMA_INVALID", list.join("\n"), {
      file,
      line,
      fix: `see schemas/${schema}.schema.json in the lockstep package for the expected shape`,
    });
  }
  // js-yaml refused what the yaml package accepts (a YAML 1.2 nicety): keep the document.
  return yamlFile(file, data as T, text, async () => positioned);
}

/** A key written twice in one map: the key, and the line of its first occurrence. */
interface DuplicateKey {
  key: string;
  line: number;
  /** Whether the first occurrence's value is an empty flow collection (`rules: []`, `members: {}`). */
  empty: boolean;
}

/** The earlier occurrence of the key that starts at `pos` in its map (the yaml package names only the later one). */
function earlierKey({ Y, doc, lc }: Positioned, pos: number): DuplicateKey | undefined {
  let found: DuplicateKey | undefined;
  Y.visit(doc, {
    Map(_, map) {
      const at = map.items.findIndex((p) => (p.key as Node | null)?.range?.[0] === pos);
      if (at < 0) return undefined;
      const keyOf = (p: (typeof map.items)[number]) => (Y.isScalar(p.key) ? p.key.value : p.key);
      const key = keyOf(map.items[at] as (typeof map.items)[number]);
      const earlier = map.items.slice(0, at).find((p) => keyOf(p) === key);
      const start = (earlier?.key as Node | null)?.range?.[0];
      if (earlier && start !== undefined) {
        const value = earlier.value;
        const empty = (Y.isMap(value) || Y.isSeq(value)) && value.flow === true && value.items.length === 0;
        found = { key: String(key), line: lc.linePos(start).line, empty };
      }
      return Y.visit.BREAK;
    },
  });
  return found;
}

/** What to do about a key written twice: keep one, and, for an empty `rules: []`, delete it. */
function duplicateKeyFix(file: string, d: DuplicateKey, line: number): string {
  const command = file === "access.yaml" && ["rules", "members", "groups"].includes(d.key);
  const tool =
    d.key === "rules" ? "lockstep rule add" : d.key === "members" || d.key === "groups" ? "lockstep member add" : "";
  const edit = d.empty
    ? `line ${d.line} is an empty "${d.key}": delete it, and keep the one at line ${line}`
    : `keep one "${d.key}": move what is under line ${line} into the one at line ${d.line}, then delete line ${line}`;
  return command ? `${edit} (\`${tool}\` edits ${file} for you)` : edit;
}

/** The maps of lockstep's files that user-chosen names key (environments, members, groups, a secret's stages). */
const NAMED_MAPS = ["environments", "members", "groups", "stages"] as const;

/**
 * `data` with its maps keyed by user-chosen names made prototype-free, so
 * that `constructor`, `__proto__` or `toString` is a name like any other:
 * an unknown one is unknown, rather than a function found on
 * Object.prototype. Only those maps are copied (reading stays cheap).
 */
export function ownedMaps<T>(data: T): T {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return data;
  const d = data as Record<string, unknown>;
  for (const key of NAMED_MAPS) {
    const map = Object.hasOwn(d, key) ? d[key] : undefined;
    if (typeof map === "object" && map !== null && !Array.isArray(map)) {
      d[key] = Object.assign(Object.create(null), map);
    }
  }
  return data;
}

/** The 1-based line of the deepest existing node on `path`. */
function lineOfPath({ Y, doc, lc }: Positioned, path: readonly (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : (doc.getIn(path.slice(0, n), true) as Node | undefined);
    // For a map entry, point at the key rather than the value.
    const range = node?.range;
    if (range) return lc.linePos(keyStart(Y, doc, path.slice(0, n)) ?? range[0]).line;
  }
  return undefined;
}

function keyStart(Y: YamlPackage, doc: Document, path: readonly (string | number)[]): number | undefined {
  if (path.length === 0) return undefined;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!Y.isMap(parent)) return undefined;
  const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === path[path.length - 1]);
  return (pair?.key as Node | undefined)?.range?.[0];
}

/**
 * Serializes a document as lockstep writes YAML: no line folding, flow
 * collections padded (`[ a ]`) unless `padding` is `false`.
 */
export function stringifyDocument(doc: Document, padding = true): string {
  return doc.toString({ lineWidth: 0, flowCollectionPadding: padding });
}

/**
 * Applies `edit` to the document of `file` and returns the file's new text:
 * the lines the edit did not change stay byte for byte as the file had
 * them (see keep-lines.ts), and new lines follow the file's own padding of
 * flow collections.
 */
export async function editedText(file: YamlFile<unknown>, edit: (doc: Document) => void): Promise<string> {
  // Loaded here, not at the top: read-only commands never edit (node-diff3 stays unloaded).
  const [doc, { flowPadding, keepUntouchedLines }] = await Promise.all([documentOf(file), import("./keep-lines.js")]);
  const padding = flowPadding(file.text) ?? true;
  const before = stringifyDocument(doc, padding);
  edit(doc);
  return keepUntouchedLines(file.text, before, stringifyDocument(doc, padding));
}

/**
 * Parses YAML without validation, for reading history and other revisions:
 * `undefined` when the text is not YAML or not a mapping.
 */
export function parseLenient<T>(text: string): T | undefined {
  try {
    const data = loadYaml(text, { schema: CORE_SCHEMA }) as unknown;
    return typeof data === "object" && data !== null && !Array.isArray(data) ? ownedMaps(data as T) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the documents of an import's YAML or JSON input into trees that keep
 * key order and each scalar's text as written (see core/import-tree.ts):
 * `json` reads with YAML 1.2's JSON schema, for text `JSON.parse` accepted.
 * @throws LockstepError `INVALID_VALUE` for a syntax error (with its line),
 *   a document that is not a map, a key that is not a scalar, a merge key,
 *   or an alias that contains itself.
 */
export async function readYamlTrees(text: string, source: string, as: "yaml" | "json"): Promise<ImportMap[]> {
  const Y = await loadYamlPackage();
  const lc = new Y.LineCounter();
  const options = { lineCounter: lc, prettyErrors: false, uniqueKeys: true, ...(as === "json" && { schema: "json" }) };
  const docs = as === "json" ? [Y.parseDocument(text, options)] : Y.parseAllDocuments(text, options);
  if (!Array.isArray(docs)) return [];
  return docs.map((doc) => documentToTree(Y, doc, lc, source, as === "json" ? "a JSON document" : "a YAML document"));
}

/**
 * What a YAML syntax error is, by the `yaml` package's error code, and where
 * on its line: never the package's message, which quotes the text at the
 * fault (a tag, an escape, a directive: the input's values, for `import`).
 */
function syntaxError(code: string, column: number): string {
  const what: Record<string, string> = {
    TAG_RESOLVE_FAILED: "an unknown tag (a value starting with ! must be quoted)",
    BAD_DQ_ESCAPE: "an invalid escape sequence in a double-quoted string",
    BAD_SCALAR_START: "a plain value starting with a reserved character (quote it)",
    BAD_DIRECTIVE: "an invalid directive (%...)",
    BAD_ALIAS: "an invalid alias",
    BAD_INDENT: "bad indentation",
    TAB_AS_INDENT: "a tab used as indentation",
    DUPLICATE_KEY: "a key given twice",
    MISSING_CHAR: "a missing character (a closing quote or bracket, a comma, a space after :)",
    MULTILINE_IMPLICIT_KEY: "a key that spans lines",
    BLOCK_AS_IMPLICIT_KEY: "a block used as a key",
  };
  return `not valid YAML (column ${column}): ${what[code] ?? `a syntax error (${code})`}`;
}

function invalidInput(source: string, message: string, line?: number, fix?: string): LockstepError {
  return new LockstepError("INVALID_VALUE", `${source}${line !== undefined ? `:${line}` : ""}: ${message}`, {
    file: source,
    ...(line !== undefined && { line }),
    ...(fix !== undefined && { fix }),
  });
}

function documentToTree(Y: YamlPackage, doc: Document, lc: LineCounter, source: string, what: string): ImportMap {
  const lineAt = (node: { range?: [number, number, number] | null } | null | undefined): number | undefined =>
    node?.range ? lc.linePos(node.range[0]).line : undefined;
  // A warning is an error here: an unknown tag (`KEY: !abc`, an unquoted value) would drop the value's text.
  const [error] = [...doc.errors, ...doc.warnings];
  if (error) {
    const { line, col } = lc.linePos(error.pos[0]);
    throw invalidInput(source, syntaxError(error.code, col), line, "fix the syntax at that line");
  }
  const active = new Set<Node>();
  const convert = (node: unknown, line: number | undefined): ImportNode => {
    if (node === null || node === undefined) return { kind: "scalar", type: "null", text: "" };
    if (Y.isAlias(node)) {
      const target = node.resolve(doc);
      // The alias's name is not quoted: an unquoted value starting with * is read as one.
      if (!target) {
        throw invalidInput(
          source,
          "an alias (*name) with no anchor",
          lineAt(node),
          "a value starting with * must be quoted",
        );
      }
      return convert(target, lineAt(node));
    }
    if (Y.isScalar(node)) return scalarNode(node);
    if (!Y.isMap(node) && !Y.isSeq(node)) throw invalidInput(source, "holds a node of an unknown kind", line);
    if (active.has(node)) throw invalidInput(source, "an alias refers to a node that contains it", line);
    active.add(node);
    try {
      if (Y.isSeq(node)) return { kind: "list", items: node.items.map((item) => convert(item, lineAt(item as Node))) };
      const entries: ImportEntry[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const keyLine = lineAt(keyNode) ?? line;
        if (!Y.isScalar(keyNode) || keyNode.value === null) {
          throw invalidInput(source, "has a key that is not a plain string", keyLine, "use string keys only");
        }
        const key = keyNode.source ?? String(keyNode.value);
        if (key === "<<" && keyNode.type === "PLAIN") {
          throw invalidInput(source, "uses a YAML merge key (<<)", keyLine, "write the merged keys out in the map");
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
    throw invalidInput(source, `expected ${what} that is a map of keys to values`, lineAt(root as Node));
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
