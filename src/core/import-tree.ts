/**
 * Structured input of `import`: the tree of maps, lists and scalars a file
 * holds (YAML, JSON, INI sections, or a decrypted sops or dotenvx file),
 * and its flattening into secrets. No I/O: the readers in
 * `storage/import-sources` and the decoders in `ops/import-sources` build
 * trees; this module decides what becomes what.
 *
 * Flattening, as documented in README ("Moving in"):
 *
 * - A key path becomes a secret path, segments lower-cased:
 *   `database: {user: ...}` becomes `database/user`.
 * - A scalar becomes a `string` secret whose value is its text exactly as
 *   the file wrote it: `port: 5432` is `5432`, `ratio: 1.50` is `1.50`
 *   (never `1.5`), `on: true` is `true`, `id: 12345678901234567890` keeps
 *   every digit. A null (`~`, `null`, nothing, JSON `null`) is the empty value.
 * - A list becomes one `json` secret (its JSON text; a number that JSON
 *   cannot spell, such as YAML's `0x1F`, is kept as a JSON string).
 * - A map is flattened further, or with `keepObjects` kept whole as one
 *   `json` secret when it stands at the top level.
 * - Variable names on export: a top-level key that is a valid name keeps its
 *   spelling (`DB_PASSWORD`, `api_key`: what `sops exec-env` and dotenv
 *   tools export); any other path is upper-cased with `_` for every other
 *   character (`database/user` is `DATABASE_USER`), and gets a leading `_`
 *   where it would start with a digit (`0word` is `_0WORD`).
 */
import { LockstepError } from "../errors.js";
import type { SecretType } from "./model.js";

/** The type a scalar had in its file. */
export type ScalarType = "string" | "number" | "boolean" | "null";

/** A leaf: its text as written (after the format's quoting and escapes). */
export interface ImportScalar {
  readonly kind: "scalar";
  readonly type: ScalarType;
  /** The value's text: a string's characters, a number's digits as written, `true`, or `""` for null. */
  readonly text: string;
  /**
   * YAML only: written without quotes, so that its type came from its text
   * (sops' MAC then hashes the value as go-yaml typed it).
   */
  readonly plain?: boolean;
}

/** A sequence. */
export interface ImportList {
  readonly kind: "list";
  readonly items: readonly ImportNode[];
}

/** A mapping, in file order; keys are unique. */
export interface ImportMap {
  readonly kind: "map";
  readonly entries: readonly ImportEntry[];
}

/** Any node of an input tree. */
export type ImportNode = ImportScalar | ImportList | ImportMap;

/** One key of a map. */
export interface ImportEntry {
  readonly key: string;
  readonly node: ImportNode;
  /** 1-based line of the key in its file, when the reader knows it. */
  readonly line?: number;
}

/** What a value was in its file. */
export type ImportValueKind = ScalarType | "list" | "object";

/** One secret to import, before the environment and prefix are put in front. */
export interface FlatSecret {
  /** Path segments joined by `/`, lower-case: `database/user`. */
  readonly path: string;
  /** The keys as written in the file, outermost first: `["database", "user"]`. */
  readonly keys: readonly string[];
  readonly value: string;
  readonly type: SecretType;
  /** Variable name on export. */
  readonly envName: string;
  /** What the value was in the file (for the summary). */
  readonly was: ImportValueKind;
  readonly line?: number;
}

/** A key path that became no secret, and why. */
export interface SkippedKey {
  readonly keys: readonly string[];
  readonly reason: string;
  readonly line?: number;
}

/** The result of {@link flattenImportTree}. */
export interface Flattened {
  readonly secrets: FlatSecret[];
  readonly skipped: SkippedKey[];
}

/** Options of {@link flattenImportTree}. */
export interface FlattenOptions {
  /** The input's name, for messages. */
  readonly source: string;
  /** Keep every map at the top level whole, as one `json` secret. */
  readonly keepObjects?: boolean;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Flattens a tree into secrets, in file order.
 * @throws LockstepError `INVALID_VALUE` for a key that cannot be a path
 *   segment, or two keys that map to the same secret or variable name.
 */
export function flattenImportTree(root: ImportMap, options: FlattenOptions): Flattened {
  const secrets: FlatSecret[] = [];
  const skipped: SkippedKey[] = [];
  const fail = (message: string, line: number | undefined, fix?: string): never => {
    throw new LockstepError("INVALID_VALUE", `${options.source}${line !== undefined ? `:${line}` : ""}: ${message}`, {
      file: options.source,
      ...(line !== undefined && { line }),
      ...(fix !== undefined && { fix }),
    });
  };
  const visit = (map: ImportMap, keys: readonly string[], segments: readonly string[]): void => {
    for (const entry of map.entries) {
      const path = [...keys, entry.key];
      if (!SEGMENT.test(entry.key) || entry.key === "." || entry.key === "..") {
        fail(
          `the key ${describeKeys(path)} cannot be part of a secret id`,
          entry.line,
          "keys are letters, digits, '.', '_' and '-' (not '.' or '..' alone); rename it in the file",
        );
      }
      const segs = [...segments, entry.key.toLowerCase()];
      const node = entry.node;
      if (node.kind === "map" && !(options.keepObjects && keys.length === 0)) {
        if (node.entries.length === 0) {
          skipped.push({
            keys: path,
            reason: "an empty object",
            ...(entry.line !== undefined && { line: entry.line }),
          });
        }
        visit(node, path, segs);
        continue;
      }
      const leaf = node.kind === "scalar";
      secrets.push({
        path: segs.join("/"),
        keys: path,
        value: leaf ? node.text : importNodeToJson(node),
        type: leaf ? "string" : "json",
        envName: envNameFor(path, segs),
        was: leaf ? node.type : node.kind === "list" ? "list" : "object",
        ...(entry.line !== undefined && { line: entry.line }),
      });
    }
  };
  visit(root, [], []);
  const paths = new Map<string, FlatSecret>();
  const names = new Map<string, FlatSecret>();
  for (const s of secrets) {
    const samePath = paths.get(s.path);
    if (samePath) {
      fail(`${describeKeys(samePath.keys)} and ${describeKeys(s.keys)} both become the secret ${s.path}`, s.line);
    }
    const sameName = names.get(s.envName);
    if (sameName) {
      fail(
        `${describeKeys(sameName.keys)} and ${describeKeys(s.keys)} would both export as ${s.envName}`,
        s.line,
        "rename one of the keys in the file",
      );
    }
    paths.set(s.path, s);
    names.set(s.envName, s);
  }
  return { secrets, skipped };
}

function envNameFor(keys: readonly string[], segments: readonly string[]): string {
  const [only] = keys;
  if (keys.length === 1 && only !== undefined && VARIABLE.test(only)) return only;
  const name = segments
    .join("_")
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "_");
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** A key path for messages: `database.user`, quoting keys that need it. */
export function describeKeys(keys: readonly string[]): string {
  return keys.map((k) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k))).join(".");
}

const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * The compact JSON text of a node, keys in file order. Numbers keep their
 * digits as written; one JSON cannot spell (`0x1F`, `.inf`) becomes a JSON
 * string of its text. Booleans are `true`/`false`, nulls `null`.
 */
export function importNodeToJson(node: ImportNode): string {
  switch (node.kind) {
    case "scalar":
      if (node.type === "null") return "null";
      if (node.type === "boolean") return node.text.toLowerCase() === "true" ? "true" : "false";
      if (node.type === "number" && JSON_NUMBER.test(node.text)) return node.text;
      return JSON.stringify(node.text);
    case "list":
      return `[${node.items.map(importNodeToJson).join(",")}]`;
    case "map":
      return `{${node.entries.map((e) => `${JSON.stringify(e.key)}:${importNodeToJson(e.node)}`).join(",")}}`;
  }
}

/** A tool whose encrypted files lockstep can import with `--from`. */
export type EncryptingTool = "sops" | "dotenvx";

/** Where an input shows that another tool encrypted it. */
export interface EncryptedMark {
  readonly tool: EncryptingTool;
  readonly keys: readonly string[];
  readonly line?: number;
}

const SOPS_VALUE = /^ENC\[AES256_GCM,/;
const DOTENVX_VALUE = /^encrypted:/;

/**
 * The first sign that a tree is still encrypted: a value in sops' form
 * (`ENC[AES256_GCM,...]`) or dotenvx's (`encrypted:...`), or sops'
 * metadata (a top-level `sops` map with a `mac`, or dotenv's `sops_mac`).
 * Such a file must never be stored as values: its values are ciphertexts
 * and its metadata is no secret.
 */
export function findEncryptedMark(root: ImportMap): EncryptedMark | undefined {
  for (const e of root.entries) {
    const line = e.line !== undefined ? { line: e.line } : {};
    if (
      e.key === "sops_mac" ||
      (e.key === "sops" && e.node.kind === "map" && e.node.entries.some((m) => m.key === "mac"))
    ) {
      return { tool: "sops", keys: [e.key], ...line };
    }
  }
  const walk = (node: ImportNode, keys: readonly string[], line: number | undefined): EncryptedMark | undefined => {
    const at = line !== undefined ? { line } : {};
    if (node.kind === "scalar") {
      if (node.type !== "string") return undefined;
      if (SOPS_VALUE.test(node.text)) return { tool: "sops", keys, ...at };
      if (DOTENVX_VALUE.test(node.text)) return { tool: "dotenvx", keys, ...at };
      return undefined;
    }
    if (node.kind === "list") {
      for (const item of node.items) {
        const found = walk(item, keys, line);
        if (found) return found;
      }
      return undefined;
    }
    for (const e of node.entries) {
      const found = walk(e.node, [...keys, e.key], e.line ?? line);
      if (found) return found;
    }
    return undefined;
  };
  return walk(root, [], undefined);
}

/**
 * Refuses a tree that {@link findEncryptedMark} finds still encrypted.
 * @throws LockstepError `INVALID_VALUE` naming the key and the `--from` to use.
 */
export function assertNotEncrypted(root: ImportMap, source: string, from?: EncryptingTool): void {
  const mark = findEncryptedMark(root);
  if (!mark) return;
  const where = `${source}${mark.line !== undefined ? `:${mark.line}` : ""}`;
  const what =
    mark.keys.length === 1 && (mark.keys[0] === "sops" || mark.keys[0] === "sops_mac")
      ? "holds sops metadata"
      : `holds a value still encrypted by ${mark.tool} (${describeKeys(mark.keys)})`;
  throw new LockstepError("INVALID_VALUE", `${where}: ${what}; it is never imported as a value`, {
    file: source,
    ...(mark.line !== undefined && { line: mark.line }),
    fix:
      from === mark.tool
        ? `this value has no key in the file to open it: decrypt it with ${mark.tool} and import the plaintext`
        : `import the file with --from ${mark.tool}, which decrypts it`,
  });
}
