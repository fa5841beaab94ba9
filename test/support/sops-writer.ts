/**
 * Writes sops-encrypted files for tests, from sops' documented format and
 * its source (getsops/sops aes/cipher.go `Encrypt`, sops.go `Tree.Encrypt`
 * and `ToBytes`, cmd/sops/common `EncryptTree`, stores/*), independently of
 * lockstep's decoder: a random 32-byte data key wrapped for each recipient
 * by the real `age` CLI (armored), every value AES-256-GCM with a 32-byte IV
 * and its key path as additional data, and the MAC (SHA-512 of the values as
 * Go prints them, upper-case hex) encrypted with `lastmodified` as
 * additional data.
 *
 * Numbers are written as sops' YAML store types them: integers `int`,
 * others `float` (tests keep to numbers whose JavaScript and Go spellings
 * agree).
 */
import { execFileSync } from "node:child_process";
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";

/** A value of a sops document. */
export type SopsValue = string | number | boolean | null | SopsValue[] | { [key: string]: SopsValue };

/** How to write the file. */
export interface SopsWriteOptions {
  format: "yaml" | "json" | "dotenv" | "ini";
  recipients: string[];
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  macOnlyEncrypted?: boolean;
  /** RFC 3339; default a fixed time. */
  lastModified?: string;
  /** Write the recipients under `key_groups` (one group) instead of the top-level `age` list. */
  keyGroups?: boolean;
  /** Use this data key (32 bytes) instead of a random one. */
  dataKey?: Buffer;
}

/** What was written, with the data key for tests that forge with it. */
export interface SopsWritten {
  text: string;
  dataKey: Buffer;
}

const MAC_ONLY_ENCRYPTED_INIT = Buffer.from([
  0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97, 0x5b,
  0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
]);

/** sops' `Cipher.Encrypt` of one value. */
export function sopsEncryptValue(value: string | number | boolean, key: Buffer, path: string): string {
  if (value === "") return "";
  let type: string;
  let plain: string;
  if (typeof value === "string") [type, plain] = ["str", value];
  else if (typeof value === "boolean") [type, plain] = ["bool", value ? "True" : "False"];
  else if (Number.isInteger(value)) [type, plain] = ["int", String(value)];
  else [type, plain] = ["float", String(value)];
  return sopsEncryptText(plain, type, key, path);
}

/** An `ENC[...]` value of a given plaintext and type. */
export function sopsEncryptText(plain: string, type: string, key: Buffer, additionalData: string): string {
  const iv = randomBytes(32);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(additionalData));
  const data = Buffer.concat([c.update(plain, "utf8"), c.final()]);
  const b = (x: Buffer) => x.toString("base64");
  return `ENC[AES256_GCM,data:${b(data)},iv:${b(iv)},tag:${b(c.getAuthTag())},type:${type}]`;
}

/** sops' `ToBytes`. */
function toBytes(v: string | number | boolean): string {
  if (typeof v === "boolean") return v ? "True" : "False";
  return String(v);
}

/** Wraps the data key for a recipient with the real `age` CLI. */
export function ageWrap(dataKey: Buffer, recipient: string): string {
  return execFileSync("age", ["-e", "-a", "-r", recipient], { input: dataKey }).toString("utf8");
}

/** Writes a sops file of `data` (INI: top-level strings go to DEFAULT, maps are sections). */
export function writeSopsFile(data: { [key: string]: SopsValue }, options: SopsWriteOptions): SopsWritten {
  const key = options.dataKey ?? randomBytes(32);
  const lastModified = options.lastModified ?? "2025-01-02T03:04:05Z";
  const rules = {
    unencrypted_suffix: options.unencryptedSuffix,
    encrypted_suffix: options.encryptedSuffix,
    unencrypted_regex: options.unencryptedRegex,
    encrypted_regex: options.encryptedRegex,
  };
  const noRule = Object.values(rules).every((r) => r === undefined);
  const suffix = noRule ? "_unencrypted" : options.unencryptedSuffix;
  const shouldEncrypt = (path: string[]): boolean => {
    let enc = true;
    if (suffix !== undefined && path.some((k) => k.endsWith(suffix))) enc = false;
    const es = options.encryptedSuffix;
    if (es !== undefined) enc = path.some((k) => k.endsWith(es));
    const ur = options.unencryptedRegex;
    if (ur !== undefined && path.some((k) => new RegExp(ur).test(k))) enc = false;
    const er = options.encryptedRegex;
    if (er !== undefined) enc = path.some((k) => new RegExp(er).test(k));
    return enc;
  };
  const hash = createHash("sha512");
  if (options.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  // INI's tree has the DEFAULT section first.
  const ordered =
    options.format === "ini"
      ? {
          DEFAULT: Object.fromEntries(Object.entries(data).filter(([, v]) => typeof v !== "object")),
          ...Object.fromEntries(Object.entries(data).filter(([, v]) => typeof v === "object")),
        }
      : data;
  const walk = (v: SopsValue, path: string[]): SopsValue => {
    if (v === null) return null;
    if (Array.isArray(v)) return v.map((item) => walk(item, path));
    if (typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    const enc = shouldEncrypt(path);
    if (!options.macOnlyEncrypted || enc) hash.update(toBytes(v));
    return enc ? sopsEncryptValue(v, key, `${path.join(":")}:`) : v;
  };
  const encrypted = walk(ordered, []) as { [key: string]: SopsValue };
  const mac = sopsEncryptText(hash.digest("hex").toUpperCase(), "str", key, lastModified);
  const age = options.recipients.map((recipient) => ({ recipient, enc: ageWrap(key, recipient) }));
  const meta: { [key: string]: SopsValue } = {
    ...(options.keyGroups ? { key_groups: [{ age }] } : { age }),
    lastmodified: lastModified,
    mac,
    ...Object.fromEntries(Object.entries({ ...rules, unencrypted_suffix: suffix }).filter(([, v]) => v !== undefined)),
    ...(options.macOnlyEncrypted && { mac_only_encrypted: true }),
    version: "3.9.4",
  };
  return { text: emit(encrypted, meta, options.format), dataKey: key };
}

function emit(
  data: { [key: string]: SopsValue },
  meta: { [key: string]: SopsValue },
  format: SopsWriteOptions["format"],
): string {
  switch (format) {
    case "yaml":
      return stringify({ ...data, sops: meta });
    case "json":
      return `${JSON.stringify({ ...data, sops: meta }, null, 4)}\n`;
    case "dotenv":
      return [
        ...Object.entries(data).map(([k, v]) => `${k}=${String(v).replaceAll("\n", "\\n")}`),
        ...flattenMeta(meta, "sops_").map(([k, v]) => `${k}=${v.replaceAll("\n", "\\n")}`),
        "",
      ].join("\n");
    case "ini": {
      const lines: string[] = [];
      for (const [section, keys] of Object.entries(data)) {
        const entries = Object.entries(keys as { [key: string]: SopsValue });
        if (section === "DEFAULT" && entries.length === 0) continue;
        if (section !== "DEFAULT") lines.push(`[${section}]`);
        for (const [k, v] of entries) lines.push(`${k} = ${goIniValue(String(v))}`);
        lines.push("");
      }
      lines.push("[sops]");
      for (const [k, v] of flattenMeta(meta, "")) lines.push(`${k} = ${goIniValue(v.replaceAll("\n", "\\n"))}`);
      return `${lines.join("\n")}\n`;
    }
  }
}

/** How go-ini writes a value (file.go `writeToBuffer`). */
function goIniValue(v: string): string {
  if (/[\n`]/.test(v)) return `"""${v}"""`;
  if (/[#;]/.test(v)) return `\`${v}\``;
  if (v.trim() !== v) return `"${v}"`;
  return v;
}

/** sops' metadata flattening (stores/flatten.go): `__map_` and `__list_N`. */
function flattenMeta(v: SopsValue, prefix: string): [string, string][] {
  if (Array.isArray(v)) return v.flatMap((item, i) => flattenMeta(item, `${prefix}__list_${i}`));
  if (v !== null && typeof v === "object") {
    return Object.entries(v).flatMap(([k, x]) =>
      flattenMeta(x, prefix === "" || prefix === "sops_" ? `${prefix}${k}` : `${prefix}__map_${k}`),
    );
  }
  return [[prefix, v === null ? "" : String(v)]];
}

/** The directory of the sops-written fixtures: `shared/fixtures/sops` beside the repository (or a parent of it). */
export function sopsFixturesDir(): string {
  let dir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  for (let i = 0; i < 3; i++) {
    const candidate = join(dir, "..", "shared", "fixtures", "sops");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error("shared/fixtures/sops is not beside the repository: the sops fixture tests need it");
}
