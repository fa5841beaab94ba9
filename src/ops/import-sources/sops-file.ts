/**
 * A sops-encrypted file before decryption: its data, as sops' stores read
 * it (getsops/sops stores/), and its metadata, taken out of the data.
 *
 * - YAML and JSON keep the metadata under a top-level `sops` key.
 * - dotenv files are `KEY=value` lines (sops splits at the first `=`, takes
 *   `\n` in a value as a newline, and skips empty and `#` lines); the
 *   metadata is flattened into `sops_`-prefixed keys (`sops_age__list_0__map_enc`).
 * - INI files are read as go-ini reads them; the metadata is the `[sops]`
 *   section, flattened below it, newlines written as `\n`.
 */
import type { ImportEntry, ImportMap, ImportNode } from "../../core/import-tree.js";
import { IntegrityError, LockstepError } from "../../errors.js";
import { readIniSections } from "../../storage/import-sources/ini.js";
import { readJsonTree, readYamlDocuments } from "../../storage/import-sources/yaml-json.js";
import { looksLikeEncValue } from "./sops-values.js";

/** The file formats sops encrypts with structure (its binary format is not one). */
export type SopsFormat = "yaml" | "json" | "dotenv" | "ini";

/** The format sops would pick for a file name, by its extension as sops does; `undefined` for binary. */
export function sopsFormatOf(fileName: string): SopsFormat | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".env")) return "dotenv";
  if (lower.endsWith(".ini")) return "ini";
  return undefined;
}

/** One age recipient of a sops file: its recipient string and the data key wrapped to it. */
export interface SopsAgeKey {
  readonly recipient: string;
  /** An armored age file whose plaintext is the 32-byte data key. */
  readonly enc: string;
}

/** One key group: the data key (or, with several groups, a Shamir share of it) wrapped to each key. */
export interface SopsKeyGroup {
  readonly age: readonly SopsAgeKey[];
  /** The other kinds of master key in the group (`pgp`, `kms`, ...), which lockstep cannot use. */
  readonly otherKinds: readonly string[];
}

/** sops' metadata (stores/stores.go `metadata`), checked as sops' `ToInternal` checks it. */
export interface SopsMetadata {
  readonly groups: readonly SopsKeyGroup[];
  /** As written (RFC 3339); the MAC's additional data is this time as Go prints it. */
  readonly lastModified: string;
  /** The MAC, encrypted: `ENC[...]`. */
  readonly mac: string;
  readonly macOnlyEncrypted: boolean;
  readonly unencryptedSuffix?: string;
  readonly encryptedSuffix?: string;
  readonly unencryptedRegex?: string;
  readonly encryptedRegex?: string;
  readonly unencryptedCommentRegex?: string;
  readonly encryptedCommentRegex?: string;
  readonly version?: string;
}

/** A sops file's data and metadata. */
export interface SopsFile {
  readonly format: SopsFormat;
  /** The data, one map per YAML document (one map for the other formats; INI: sections to maps). */
  readonly branches: readonly ImportMap[];
  readonly metadata: SopsMetadata;
}

/**
 * Reads a sops-encrypted file.
 * @throws LockstepError `INVALID_VALUE` for a file that is not in its
 *   format, or holds no sops metadata and no encrypted value;
 *   IntegrityError for encrypted values without metadata, or metadata sops
 *   itself would refuse.
 */
export async function readSopsFile(text: string, format: SopsFormat, source: string): Promise<SopsFile> {
  let branches: ImportMap[];
  let raw: Plain | undefined;
  if (format === "yaml" || format === "json") {
    branches = format === "yaml" ? await readYamlDocuments(text, source) : [await readJsonTree(text, source)];
    const found = branches[0]?.entries.filter((e) => e.key === "sops") ?? [];
    if (found.length > 0) {
      const [meta] = found as [ImportEntry];
      if (meta.node.kind !== "map") throw broken(source, "its `sops` entry is not a map");
      raw = toPlain(meta.node);
    }
    branches = branches.map((b) => ({ kind: "map", entries: b.entries.filter((e) => e.key !== "sops") }));
  } else if (format === "dotenv") {
    const { data, meta } = readSopsDotenv(text, source);
    branches = [data];
    if (meta.length > 0) raw = unflatten(meta, source);
  } else {
    const sections = readIniSections(text, source);
    const meta = sections.filter((s) => s.name === "sops");
    const entries: ImportEntry[] = sections
      .filter((s) => s.name !== "sops")
      .map((s) => ({
        key: s.name,
        line: s.line,
        node: {
          kind: "map",
          entries: s.keys.map((k) => ({ key: k.key, line: k.line, node: str(k.value) })),
        },
      }));
    branches = [{ kind: "map", entries }];
    if (meta.length > 0) {
      const flat = meta.flatMap((s) => s.keys.map((k) => ({ key: k.key, value: k.value.replaceAll("\\n", "\n") })));
      raw = unflatten(flat, source);
    }
  }
  if (raw === undefined) {
    if (branches.some(hasEncValue)) {
      throw new IntegrityError(`${source} holds sops-encrypted values but no sops metadata: nothing can open them`, {
        file: source,
        fix: "take the whole file as sops wrote it (its metadata is the `sops` entry, or the sops_ lines)",
      });
    }
    throw new LockstepError("INVALID_VALUE", `${source} is not a sops-encrypted file: it holds no sops metadata`, {
      file: source,
      fix: "import it without --from sops",
    });
  }
  return { format, branches, metadata: parseMetadata(raw, source) };
}

function str(text: string): ImportNode {
  return { kind: "scalar", type: "string", text };
}

function broken(source: string, what: string): IntegrityError {
  return new IntegrityError(`${source}: the sops metadata is broken: ${what}`, {
    file: source,
    fix: "take the file again as sops wrote it",
  });
}

function hasEncValue(node: ImportNode): boolean {
  if (node.kind === "scalar") return node.type === "string" && looksLikeEncValue(node.text);
  if (node.kind === "list") return node.items.some(hasEncValue);
  return node.entries.some((e) => hasEncValue(e.node));
}

/** sops' dotenv store: data lines, and the `sops_` lines with the prefix taken off. */
function readSopsDotenv(text: string, source: string): { data: ImportMap; meta: { key: string; value: string }[] } {
  const entries: ImportEntry[] = [];
  const meta: { key: string; value: string }[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq === -1) {
      throw new LockstepError("INVALID_VALUE", `${source}:${i + 1}: not a KEY=value line`, {
        file: source,
        line: i + 1,
      });
    }
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replaceAll("\\n", "\n");
    if (key.startsWith("sops_")) meta.push({ key: key.slice("sops_".length), value });
    else entries.push({ key, line: i + 1, node: str(value) });
  }
  return { data: { kind: "map", entries }, meta };
}

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

function toPlain(node: ImportNode): Plain {
  if (node.kind === "scalar") {
    if (node.type === "null") return null;
    if (node.type === "boolean") return node.text.toLowerCase() === "true";
    if (node.type === "number") return Number(node.text);
    return node.text;
  }
  if (node.kind === "list") return node.items.map(toPlain);
  return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.node)]));
}

/**
 * sops' unflattening of metadata keys (stores/flatten.go): `__map_KEY`
 * descends into a map, `__list_N` into a list.
 */
function unflatten(items: readonly { key: string; value: string }[], source: string): Plain {
  const root: { [key: string]: Plain } = {};
  for (const { key, value } of items) {
    const tokens = key.split(/(__map_|__list_)/);
    let here: Plain = root;
    let name: string | number = tokens[0] as string;
    for (let t = 1; t < tokens.length; t += 2) {
      const list = tokens[t] === "__list_";
      const next: string | number = list ? Number(tokens[t + 1]) : (tokens[t + 1] as string);
      if (list && !Number.isInteger(next)) throw broken(source, `the key ${key} has a bad list index`);
      const container = here as Record<string | number, Plain>;
      container[name] ??= list ? [] : {};
      here = container[name] as Plain;
      if (typeof here !== "object" || here === null || Array.isArray(here) !== list) {
        throw broken(source, `the key ${key} mixes a list and a map`);
      }
      name = next;
    }
    (here as Record<string | number, Plain>)[name] = value;
  }
  return root;
}

const MASTER_KEY_KINDS = ["kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp"] as const;

function parseMetadata(raw: Plain, source: string): SopsMetadata {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw broken(source, "it is not a map");
  const text = (name: string): string | undefined => {
    const v = raw[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "object") throw broken(source, `${name} is not a string`);
    return String(v);
  };
  const lastModified = text("lastmodified");
  const mac = text("mac");
  if (lastModified === undefined) throw broken(source, "it has no lastmodified");
  if (mac === undefined) throw broken(source, "it has no mac");
  const rules = {
    unencryptedSuffix: text("unencrypted_suffix"),
    encryptedSuffix: text("encrypted_suffix"),
    unencryptedRegex: text("unencrypted_regex"),
    encryptedRegex: text("encrypted_regex"),
    unencryptedCommentRegex: text("unencrypted_comment_regex"),
    encryptedCommentRegex: text("encrypted_comment_regex"),
  };
  const set = Object.values(rules).filter((r) => r !== undefined && r !== "").length;
  if (set > 1) throw broken(source, "it sets more than one of the *_suffix and *_regex rules");
  const macOnly = raw.mac_only_encrypted;
  const version = text("version");
  return {
    groups: keyGroups(raw, source),
    lastModified,
    mac,
    macOnlyEncrypted:
      macOnly === true || (typeof macOnly === "string" && ["1", "t", "T", "TRUE", "true", "True"].includes(macOnly)),
    ...Object.fromEntries(Object.entries(rules).filter(([, v]) => v !== undefined && v !== "")),
    ...(set === 0 && { unencryptedSuffix: "_unencrypted" }),
    ...(version !== undefined && { version }),
  };
}

function keyGroups(raw: { [key: string]: Plain }, source: string): SopsKeyGroup[] {
  const group = (g: { [key: string]: Plain }): SopsKeyGroup => {
    const list = (name: string): Plain[] => {
      const v = g[name];
      if (v === undefined || v === null || v === "") return [];
      if (!Array.isArray(v)) throw broken(source, `${name} is not a list`);
      return v;
    };
    const age = list("age").map((k) => {
      if (typeof k !== "object" || k === null || Array.isArray(k)) throw broken(source, "an age entry is not a map");
      const recipient = k.recipient;
      const enc = k.enc;
      if (typeof recipient !== "string" || typeof enc !== "string") {
        throw broken(source, "an age entry lacks its recipient or enc");
      }
      return { recipient, enc };
    });
    return { age, otherKinds: MASTER_KEY_KINDS.filter((kind) => list(kind).length > 0) };
  };
  const top = group(raw);
  if (top.age.length > 0 || top.otherKinds.length > 0) return [top];
  const groups = raw.key_groups;
  if (Array.isArray(groups) && groups.length > 0) {
    return groups.map((g) => {
      if (typeof g !== "object" || g === null || Array.isArray(g)) throw broken(source, "a key group is not a map");
      return group(g);
    });
  }
  throw broken(source, "it names no key");
}
