/**
 * Decrypts a sops file encrypted with age recipients, as `sops decrypt`
 * does (getsops/sops sops.go `Tree.Decrypt`, cmd/sops/common `DecryptTree`):
 *
 * 1. The data key: one of the file's age entries is an armored age file
 *    wrapping it to a recipient; the user's identities open it.
 * 2. Every value sops encrypts (all but those under a key with the
 *    `unencrypted_suffix`, matching `unencrypted_regex`, and so on) is
 *    opened with the data key, its key path as additional data.
 * 3. The MAC: SHA-512 over every value as sops typed it, in file order
 *    (only the encrypted ones with `mac_only_encrypted`), upper-case hex,
 *    must equal the file's `mac`, itself encrypted with the data key and the
 *    `lastmodified` time as additional data. A file changed after sops
 *    wrote it (a value edited, removed, moved or added) is refused.
 *
 * Nothing is returned unless all of it holds. Messages never hold a value.
 */
import { createHash } from "node:crypto";
import {
  describeKeys,
  type ImportEntry,
  type ImportMap,
  type ImportNode,
  type ImportScalar,
} from "../../core/import-tree.js";
import { type AgeIdentity, decryptArmored } from "../../crypto/index.js";
import { IntegrityError, LockstepError, NoIdentityError } from "../../errors.js";
import { INI_DEFAULT_SECTION } from "../../storage/import-sources/ini.js";
import { readSopsFile, type SopsFormat, type SopsMetadata } from "./sops-file.js";
import {
  goJsonNumberBytes,
  goYamlPlainBytes,
  looksLikeEncValue,
  openEncValue,
  parseEncValue,
  typePlaintext,
} from "./sops-values.js";

/** Options of {@link decodeSops}. */
export interface SopsDecodeOptions {
  readonly format: SopsFormat;
  /** The file's name, for messages. */
  readonly source: string;
  /** The identities to open the data key with (lockstep's and sops' own places). */
  readonly identities: readonly AgeIdentity[];
  /** Where the identities came from, for the message when none opens the file. */
  readonly identityPlaces?: readonly string[];
}

/** A decrypted sops file. */
export interface SopsDecoded {
  /** The values, as a tree: INI's `DEFAULT` section's keys at the top, other sections as maps. */
  readonly tree: ImportMap;
  /** The age recipient whose entry opened the data key. */
  readonly openedBy: string;
  /** The sops version that wrote the file, if it says. */
  readonly sopsVersion?: string;
}

// sops.go MACOnlyEncryptedInitialization.
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69", "hex");

/**
 * Decrypts a sops file and checks its MAC.
 * @throws NoIdentityError when no identity opens the data key;
 *   IntegrityError for a value or MAC that does not verify, or a value that
 *   should be encrypted and is not; LockstepError `INVALID_VALUE` or
 *   `USAGE` for a file this import cannot read (see the message's fix).
 */
export async function decodeSops(text: string, options: SopsDecodeOptions): Promise<SopsDecoded> {
  const { source } = options;
  const file = await readSopsFile(text, options.format, source);
  const meta = file.metadata;
  if (meta.unencryptedCommentRegex !== undefined || meta.encryptedCommentRegex !== undefined) {
    throw new LockstepError(
      "USAGE",
      `${source} uses sops' comment rules (*_comment_regex), which lockstep cannot follow`,
      {
        file: source,
        fix: "decrypt it with `sops decrypt` and import the plaintext from stdin",
      },
    );
  }
  if (file.branches.length > 1) {
    throw new LockstepError(
      "INVALID_VALUE",
      `${source} holds ${file.branches.length} YAML documents; import reads one`,
      {
        file: source,
        fix: "split the file with sops into one file per document",
      },
    );
  }
  const { key, recipient } = await openDataKey(meta, options);
  const encrypted = encryptionRule(meta, source);
  const hash = createHash("sha512");
  if (meta.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);

  const leaf = (node: ImportScalar, path: readonly string[], line: number | undefined): ImportScalar => {
    const where = `${source}${line !== undefined ? `:${line}` : ""}`;
    const at = { file: source, ...(line !== undefined && { line }) };
    if (!encrypted(path)) {
      if (node.type === "string" && looksLikeEncValue(node.text)) {
        throw new LockstepError(
          "INVALID_VALUE",
          `${where}: ${describeKeys(path)} is in sops' encrypted form, but sops leaves that key unencrypted: nothing can open it`,
          { ...at, fix: "take the value out of the file, or decrypt it with sops and import the plaintext" },
        );
      }
      if (!meta.macOnlyEncrypted) {
        const bytes = macBytesOfClear(node, file.format);
        if (bytes === false) {
          throw new IntegrityError(`${where}: sops cannot have written the value of ${describeKeys(path)}`, at);
        }
        if (bytes !== undefined) hash.update(bytes, "utf8");
      }
      return node;
    }
    if (node.type === "null") return node; // sops leaves nulls as they are, out of the MAC
    if (node.type === "string" && node.text === "") return node; // sops stores "" as ""
    const enc = node.type === "string" ? parseEncValue(node.text) : undefined;
    if (!enc) {
      throw new IntegrityError(
        `${where}: ${describeKeys(path)} is not encrypted, but sops encrypts it: the file was changed after sops wrote it`,
        { ...at, fix: "take the file again as sops wrote it, or re-encrypt it with `sops encrypt`" },
      );
    }
    const plaintext = openEncValue(enc, key, `${path.join(":")}:`);
    const typed = plaintext && typePlaintext(plaintext, enc.type);
    if (!typed) {
      throw new IntegrityError(
        `${where}: the value of ${describeKeys(path)} does not verify: the file was changed after sops wrote it`,
        { ...at, fix: "take the file again as sops wrote it" },
      );
    }
    hash.update(typed.macBytes);
    return { kind: "scalar", type: typed.kind, text: typed.text };
  };

  const walk = (node: ImportNode, path: readonly string[], line: number | undefined): ImportNode => {
    if (node.kind === "scalar") return leaf(node, path, line);
    // List items share their list's path: sops' additional data names no index.
    if (node.kind === "list") return { kind: "list", items: node.items.map((item) => walk(item, path, line)) };
    const entries: ImportEntry[] = node.entries.map((e) => ({
      ...e,
      node: walk(e.node, [...path, e.key], e.line ?? line),
    }));
    return { kind: "map", entries };
  };
  const [branch] = file.branches.map((b) => walk(b, [], undefined) as ImportMap);
  checkMac(meta, key, hash.digest("hex").toUpperCase(), source);
  const tree = branch ?? { kind: "map", entries: [] };
  return {
    tree: file.format === "ini" ? liftDefaultSection(tree) : tree,
    openedBy: recipient,
    ...(meta.version !== undefined && { sopsVersion: meta.version }),
  };
}

/** What the MAC hashes for a value sops left in the clear; `false` for one sops cannot hash. */
function macBytesOfClear(node: ImportScalar, format: SopsFormat): string | undefined | false {
  if (node.type === "null") return undefined;
  if (format === "yaml" && node.plain) return goYamlPlainBytes(node.text);
  if (node.type === "boolean") return node.text === "true" ? "True" : "False";
  if (node.type === "number") return format === "json" ? goJsonNumberBytes(node.text) : node.text;
  return node.text;
}

/** INI: the `DEFAULT` section's keys at the top, every other section a map. */
function liftDefaultSection(tree: ImportMap): ImportMap {
  const top: ImportEntry[] = [];
  for (const e of tree.entries) {
    if (e.key === INI_DEFAULT_SECTION && e.node.kind === "map") top.push(...e.node.entries);
    else if (e.node.kind !== "map" || e.node.entries.length > 0) top.push(e);
  }
  return { kind: "map", entries: top };
}

/** Whether sops encrypts the value at `path` (sops.go `shouldBeEncrypted`, comments aside). */
function encryptionRule(meta: SopsMetadata, source: string): (path: readonly string[]) => boolean {
  const re = (name: string, pattern: string | undefined): RegExp | undefined => {
    if (pattern === undefined) return undefined;
    // Go's RE2 and JavaScript agree on the common syntax; RE2's leading (?i) becomes a flag.
    const m = /^\(\?([imsU]+)\)/.exec(pattern);
    const flags = m ? [...new Set((m[1] as string).replace("U", "").split(""))].join("") : "";
    try {
      return new RegExp(m ? pattern.slice(m[0].length) : pattern, `u${flags}`);
    } catch (e) {
      throw new LockstepError(
        "USAGE",
        `${source}: sops' ${name} ${JSON.stringify(pattern)} is not a pattern lockstep can read`,
        {
          file: source,
          fix: "decrypt it with `sops decrypt` and import the plaintext from stdin",
          cause: e,
        },
      );
    }
  };
  const unencryptedRegex = re("unencrypted_regex", meta.unencryptedRegex);
  const encryptedRegex = re("encrypted_regex", meta.encryptedRegex);
  return (path) => {
    let encrypted = true;
    const { unencryptedSuffix: us, encryptedSuffix: es } = meta;
    if (us !== undefined && path.some((k) => k.endsWith(us))) encrypted = false;
    if (es !== undefined) encrypted = path.some((k) => k.endsWith(es));
    if (unencryptedRegex && path.some((k) => unencryptedRegex.test(k))) encrypted = false;
    if (encryptedRegex) encrypted = path.some((k) => encryptedRegex.test(k));
    return encrypted;
  };
}

/**
 * The data key, from the first age entry an identity opens; entries whose
 * recipient is one of the identities' are tried first.
 */
async function openDataKey(
  meta: SopsMetadata,
  options: SopsDecodeOptions,
): Promise<{ key: Uint8Array; recipient: string }> {
  const { source } = options;
  if (meta.groups.length > 1) {
    throw new LockstepError(
      "USAGE",
      `${source} splits its data key over ${meta.groups.length} key groups (Shamir), which lockstep cannot join`,
      {
        file: source,
        fix: "decrypt it with `sops decrypt` and import the plaintext from stdin",
      },
    );
  }
  const ageKeys = meta.groups[0]?.age ?? [];
  if (ageKeys.length === 0) {
    const kinds = meta.groups.flatMap((g) => g.otherKinds).join(", ");
    throw new NoIdentityError(
      `${source} is encrypted to no age recipient (only ${kinds || "none"}); lockstep opens age`,
      {
        file: source,
        fix: "add your age recipient with `sops updatekeys` (after adding it to .sops.yaml), or `sops rotate --add-age age1...`",
      },
    );
  }
  const ours = new Set(options.identities.map((i) => i.recipient));
  const ordered = [...ageKeys.filter((k) => ours.has(k.recipient)), ...ageKeys.filter((k) => !ours.has(k.recipient))];
  for (const entry of ordered) {
    let key: Uint8Array;
    try {
      key = await decryptArmored(entry.enc, options.identities, [entry.recipient], {
        file: source,
        what: `the sops data key for ${entry.recipient}`,
      });
    } catch (e) {
      if (e instanceof LockstepError && e.code === "NO_IDENTITY") continue;
      if (e instanceof LockstepError && e.code === "INTEGRITY") {
        throw new IntegrityError(
          `${source}: the data key sops wrapped for ${entry.recipient} is damaged or was tampered with`,
          {
            file: source,
            fix: "take the file again as sops wrote it",
            cause: e,
          },
        );
      }
      throw e;
    }
    if (key.length !== 32) {
      throw new IntegrityError(`${source}: the data key sops wrapped for ${entry.recipient} is not 32 bytes`, {
        file: source,
        fix: "take the file again as sops wrote it",
      });
    }
    return { key, recipient: entry.recipient };
  }
  const places = options.identityPlaces?.length ? options.identityPlaces.join(", ") : "none found";
  throw new NoIdentityError(`${source}: none of your age identities is a recipient of this sops file`, {
    file: source,
    fix: `its recipients: ${ageKeys.map((k) => k.recipient).join(", ")}; identities tried from: ${places}. Give lockstep a matching key (--identity, LOCKSTEP_AGE_KEY_FILE, SOPS_AGE_KEY_FILE)`,
  });
}

/** Checks the computed MAC against the file's (cmd/sops/common `DecryptTree`). */
function checkMac(meta: SopsMetadata, key: Uint8Array, computed: string, source: string): void {
  const fail = (what: string) =>
    new IntegrityError(`${source}: sops' MAC ${what}: the file was changed after sops wrote it`, {
      file: source,
      fix: "take the file again as sops wrote it; if the change was meant, re-encrypt it with sops first",
    });
  const enc = parseEncValue(meta.mac);
  const aad = goRfc3339(meta.lastModified);
  if (!enc || aad === undefined) throw fail("or its lastmodified is not in sops' form");
  const plaintext = openEncValue(enc, key, aad);
  if (!plaintext) throw fail("does not verify (or lastmodified was changed)");
  if (plaintext.toString("utf8") !== computed) throw fail("does not match the values");
}

/**
 * A `lastmodified` time as Go prints it with `time.RFC3339` after parsing:
 * fractions of a second dropped, a zero offset as `Z`.
 */
function goRfc3339(text: string): string | undefined {
  const m = /^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/.exec(
    text,
  );
  if (!m) return undefined;
  return `${m[1]}${/^[+-]00:00$/.test(m[2] as string) ? "Z" : m[2]}`;
}
