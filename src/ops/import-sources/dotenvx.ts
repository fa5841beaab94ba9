/**
 * Decrypts a dotenvx-encrypted `.env` file, as dotenvx does
 * (dotenvx/dotenvx src/lib: conventions/keynames.js,
 * helpers/cryptography/decryptKeyValue.js; the ECIES part is eciesjs, the
 * library dotenvx itself uses, with its default secp256k1 settings).
 *
 * - A value `encrypted:BASE64` is an ECIES ciphertext of the value's UTF-8
 *   bytes to the file's key pair; other values are plaintext already.
 * - The file names its public key in a `DOTENV_PUBLIC_KEY[_ENV]` line; the
 *   private key is the variable of the same name with `PRIVATE` for
 *   `PUBLIC` (else named after the file: `.env` -> `DOTENV_PRIVATE_KEY`,
 *   `.env.production` -> `DOTENV_PRIVATE_KEY_PRODUCTION`). A key is used
 *   only if its public key is the file's, so a key from another variable
 *   that matches serves too.
 * - `DOTENV_PUBLIC_KEY*` and `DOTENV_PRIVATE_KEY*` lines are dotenvx's own,
 *   never values to import.
 * - dotenvx expands `${VAR}` and `$(command)` in values when it runs a
 *   program; an import keeps the text as written.
 */
import { basename } from "node:path";
import { parseDotenv } from "../../core/dotenv.js";
import type { ImportEntry, ImportMap } from "../../core/import-tree.js";
import { IntegrityError, LockstepError, NoIdentityError } from "../../errors.js";
import type { DotenvxPrivateKey } from "../../storage/import-sources/dotenvx-keys.js";

/** Options of {@link decodeDotenvx}. */
export interface DotenvxDecodeOptions {
  /** The file's path or name: its name picks the key's name when the file names none. */
  readonly source: string;
  /** The `DOTENV_PRIVATE_KEY*` variables found (see storage/import-sources/dotenvx-keys.ts). */
  readonly privateKeys: readonly DotenvxPrivateKey[];
}

/** A key that was not imported, and why. */
export interface DotenvxSkipped {
  readonly key: string;
  readonly reason: string;
}

/** A decrypted dotenvx file. */
export interface DotenvxDecoded {
  /** The variables, in file order, values decrypted. */
  readonly tree: ImportMap;
  /** The private key variable used (`undefined` when no value was encrypted). */
  readonly keyName?: string;
  /** Where that key was found: `environment` or a `.env.keys` path. */
  readonly keyFrom?: string;
  /** dotenvx's own lines, left out. */
  readonly skipped: DotenvxSkipped[];
}

const ENCRYPTED = "encrypted:";

/**
 * The private key variable dotenvx reads for a file (keynames.js): the
 * file's `DOTENV_PUBLIC_KEY*` name with `PRIVATE`, else one from the file name.
 */
export function dotenvxKeyName(fileName: string, publicKeyName?: string): string {
  if (publicKeyName !== undefined) return publicKeyName.replace("DOTENV_PUBLIC_KEY", "DOTENV_PRIVATE_KEY");
  let name = basename(fileName).toLowerCase();
  if (name.startsWith(".env") && name.endsWith(".txt")) name = name.slice(0, -4);
  if (name === ".env") return "DOTENV_PRIVATE_KEY";
  const parts = name.split(".").slice(2);
  const environment =
    parts.length === 0
      ? name.replace(".env", "development")
      : parts.length === 1
        ? parts[0]
        : parts.slice(0, 2).join("_");
  return `DOTENV_PRIVATE_KEY_${(environment as string).toUpperCase()}`;
}

/**
 * Decrypts every `encrypted:` value of a dotenvx file.
 * @throws NoIdentityError when no private key for the file is found, or
 *   (for a file naming no public key) none opens its values;
 *   IntegrityError for a value that the file's own key does not open;
 *   LockstepError `INVALID_KEY` for a private key that is not one,
 *   `INVALID_VALUE` for a line that is not dotenv.
 */
export async function decodeDotenvx(text: string, options: DotenvxDecodeOptions): Promise<DotenvxDecoded> {
  const { source } = options;
  const lines = parseDotenv(text, source);
  const publicLine = lines.find((e) => e.key.startsWith("DOTENV_PUBLIC_KEY"));
  const keyName = dotenvxKeyName(source, publicLine?.key);
  const skipped: DotenvxSkipped[] = [];
  const data = lines.filter((e) => {
    if (e.key.startsWith("DOTENV_PUBLIC_KEY")) skipped.push({ key: e.key, reason: "dotenvx's public key" });
    else if (e.key.startsWith("DOTENV_PRIVATE_KEY")) skipped.push({ key: e.key, reason: "a dotenvx private key" });
    else return true;
    return false;
  });
  const encrypted = data.filter((e) => e.value.startsWith(ENCRYPTED));
  const entries = (values: Map<string, string>): ImportMap => ({
    kind: "map",
    entries: data.map(
      (e): ImportEntry => ({
        key: e.key,
        line: e.line,
        node: { kind: "scalar", type: "string", text: values.get(e.key) ?? e.value },
      }),
    ),
  });
  if (encrypted.length === 0) return { tree: entries(new Map()), skipped };

  const ecies = await import("eciesjs");
  const candidates = chooseKeys(options.privateKeys, keyName, publicLine?.value, source, ecies);
  const values = new Map<string, string>();
  for (const e of encrypted) {
    const ciphertext = Buffer.from(e.value.slice(ENCRYPTED.length), "base64");
    let plaintext: string | undefined;
    for (const c of candidates) {
      plaintext = open(ecies, c.key, ciphertext);
      if (plaintext !== undefined) break;
    }
    if (plaintext === undefined) {
      const at = { file: source, line: e.line };
      if (publicLine !== undefined) {
        throw new IntegrityError(
          `${source}:${e.line}: the value of ${e.key} does not open with the file's own key: it is damaged or was tampered with`,
          { ...at, fix: "take the file again from where dotenvx wrote it" },
        );
      }
      throw new NoIdentityError(`${source}:${e.line}: ${keyName} does not open the value of ${e.key}`, {
        ...at,
        fix: `set ${keyName} to the key that encrypted this file (see its .env.keys)`,
      });
    }
    values.set(e.key, plaintext);
  }
  const used = candidates[0] as { name: string; from: string };
  return { tree: entries(values), keyName: used.name, keyFrom: used.from, skipped };
}

type Ecies = typeof import("eciesjs");

interface Candidate {
  name: string;
  from: string;
  key: string;
}

/** The private keys to try: those whose public key is the file's, the named variable's first. */
function chooseKeys(
  found: readonly DotenvxPrivateKey[],
  keyName: string,
  publicKey: string | undefined,
  source: string,
  ecies: Ecies,
): Candidate[] {
  const ordered = [...found.filter((k) => k.name === keyName), ...found.filter((k) => k.name !== keyName)];
  const all = ordered.flatMap((k) => k.keys.map((key) => ({ name: k.name, from: k.from, key })));
  const wanted = publicKey?.trim().toLowerCase();
  const matching = all.filter((c) => {
    if (wanted === undefined) return c.name === keyName;
    let pub: string;
    try {
      pub = ecies.PrivateKey.fromHex(c.key).publicKey.toHex(true);
    } catch (e) {
      if (c.name !== keyName) return false;
      throw new LockstepError("INVALID_KEY", `${c.name} (from ${c.from}) is not a dotenvx private key`, {
        ...(c.from !== "environment" && { file: c.from }),
        fix: "a dotenvx private key is 64 hex digits, as `dotenvx encrypt` wrote it to .env.keys",
        cause: e,
      });
    }
    return pub === wanted;
  });
  if (matching.length === 0) {
    const looked =
      found.length === 0
        ? `${keyName} is neither set nor in .env.keys`
        : found.some((k) => k.name === keyName)
          ? `${keyName} is set, but its public key is not the file's`
          : `${keyName} is not set; ${found.map((k) => k.name).join(", ")} ${found.length === 1 ? "is" : "are"} for other files`;
    throw new NoIdentityError(`${source}: no private key opens this dotenvx file (${looked})`, {
      file: source,
      fix: `set ${keyName} in the environment, or put the .env.keys that dotenvx wrote beside ${basename(source)}`,
    });
  }
  return matching;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function open(ecies: Ecies, key: string, ciphertext: Buffer): string | undefined {
  try {
    return utf8.decode(ecies.decrypt(key, ciphertext));
  } catch {
    return undefined;
  }
}
