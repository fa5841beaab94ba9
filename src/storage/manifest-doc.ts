/**
 * Edits of a manifest as a YAML document, so that what users wrote by hand
 * (comments, key order, extra formatting) survives lockstep's writes. Loaded
 * on first use by manifests.ts: it brings the `yaml` package, which
 * read-only commands do without.
 */
import { Document, isMap, isSeq, type Scalar, type YAMLMap, type YAMLSeq } from "yaml";
import type { SecretManifest, SecretVersion } from "../core/model.js";

/** A version as a YAML node: ciphertext as a literal block, recipients in flow style. */
function versionNode(doc: Document, v: SecretVersion): YAMLMap {
  const node = doc.createNode(v) as YAMLMap;
  styleVersion(node);
  return node;
}

function styleVersion(node: YAMLMap): void {
  const ct = node.get("ciphertext", true) as Scalar | undefined;
  if (ct) ct.type = "BLOCK_LITERAL";
  for (const key of ["recipients", "formerRecipients"]) {
    const list = node.get(key, true);
    if (isSeq(list)) for (const r of list.items) if (isMap(r)) r.flow = true;
  }
}

/** A new manifest document. */
export function newManifestDocument(m: SecretManifest): Document {
  const doc = new Document(m);
  const versions = doc.get("versions", true) as YAMLSeq;
  for (const v of versions.items) styleVersion(v as YAMLMap);
  return doc;
}

/** Adds a version at the top of `versions` (newest first) and moves `stages`. */
export function addVersion(doc: Document, v: SecretVersion, stages: Record<string, number>): void {
  const versions = doc.get("versions", true) as YAMLSeq;
  versions.items.unshift(versionNode(doc, v));
  for (const [stage, n] of Object.entries(stages)) doc.setIn(["stages", stage], n);
}

/** Replaces a version's recipients and ciphertext (rekey); its number and date stay. */
export function replaceVersionCiphertext(doc: Document, v: SecretVersion): void {
  const versions = doc.get("versions", true) as YAMLSeq;
  const node = versions.items.find((n) => isMap(n) && n.get("version") === v.version) as YAMLMap | undefined;
  if (!node) throw new Error(`version ${v.version} not in document`);
  node.set("recipients", doc.createNode(v.recipients));
  node.set("ciphertext", v.ciphertext);
  node.delete("mergedFrom");
  if (v.formerRecipients && v.formerRecipients.length > 0)
    node.set("formerRecipients", doc.createNode(v.formerRecipients));
  else node.delete("formerRecipients");
  styleVersion(node);
}

/** Records the secret's id as the manifest's first key, if it records none. */
export function setId(doc: Document, id: string): void {
  if (doc.has("id")) return;
  const map = doc.contents as YAMLMap;
  map.items.unshift(doc.createPair("id", id));
}

/** Points stages at versions. */
export function setStages(doc: Document, stages: Record<string, number>): void {
  for (const [stage, n] of Object.entries(stages)) doc.setIn(["stages", stage], n);
}

/** Keeps `generator` as the manifest's `rotation.generate` (`rotation` is made if missing). */
export function setGenerator(doc: Document, generator: string): void {
  setRotation(doc, "generate", generator);
}

/** Sets one key of the manifest's `rotation` (made if missing); `undefined` leaves it. */
export function setRotation(doc: Document, key: "generate" | "maxAge", value: string | undefined): void {
  if (value === undefined) return;
  if (doc.has("rotation")) doc.setIn(["rotation", key], value);
  else setMetadata(doc, "rotation", { [key]: value });
}

/** Sets a top-level metadata key, keeping the document's order for existing keys. */
export function setMetadata(doc: Document, key: keyof SecretManifest, value: unknown): void {
  if (value === undefined) return;
  if (doc.has(key)) {
    doc.set(key, value);
    return;
  }
  // New keys go before `stages`, where a reader expects metadata.
  const map = doc.contents as YAMLMap;
  const at = map.items.findIndex((p) => (p.key as Scalar | null)?.value === "stages");
  const pair = doc.createPair(key, value);
  if (at === -1) map.items.push(pair);
  else map.items.splice(at, 0, pair);
}

/** Removes versions by number. */
export function removeVersions(doc: Document, numbers: ReadonlySet<number>): void {
  const versions = doc.get("versions", true) as YAMLSeq;
  versions.items = versions.items.filter((n) => !(isMap(n) && numbers.has(n.get("version") as number)));
}

/** A time set on one version: `released` (the last stage got it), `revoked` (its credential was retired). */
export interface VersionStamp {
  version: number;
  key: "released" | "revoked";
  /** An RFC 3339 UTC time. */
  when: string;
  /** Leave a time already there (a credential is retired once). */
  keep?: boolean;
}

/** Sets a time on a version, after its `created` (and any other time) where a reader looks for dates. */
export function stampVersion(doc: Document, stamp: VersionStamp): void {
  const versions = doc.get("versions", true) as YAMLSeq;
  const node = versions.items.find((n) => isMap(n) && n.get("version") === stamp.version) as YAMLMap | undefined;
  if (!node || (stamp.keep && node.has(stamp.key))) return;
  if (node.has(stamp.key)) {
    node.set(stamp.key, stamp.when);
    return;
  }
  const keyAt = (i: number) => (node.items[i]?.key as Scalar | undefined)?.value;
  let at = node.items.findIndex((_, i) => keyAt(i) === "created");
  if (at === -1) at = node.items.length - 1;
  while (keyAt(at + 1) === "released" || keyAt(at + 1) === "revoked") at++;
  node.items.splice(at + 1, 0, doc.createPair(stamp.key, stamp.when));
}
