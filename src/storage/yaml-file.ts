/**
 * YAML files of the secrets repository: parsed with line numbers, validated
 * against their schema as they are read, and edited as documents so that a
 * user's comments and key order survive every write. The documents stay in
 * storage: the edits are manifests.ts's and access-file.ts's, through
 * {@link documentOf}.
 */

import { CORE_SCHEMA, load as loadYaml } from "js-yaml";
import type { Document, LineCounter, Node } from "yaml";
import { FileFormatError } from "../errors.js";
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
  const positioned = await parsePositioned(text);
  const { doc, lc } = positioned;
  const first = doc.errors[0];
  if (first) {
    const line = lc.linePos(first.pos[0]).line;
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
