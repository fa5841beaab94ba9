/**
 * The one entry of `import`'s input: a file's text, plain (dotenv, JSON,
 * YAML) or encrypted by sops or dotenvx, read into an {@link ImportMap}
 * with what the summary should say about it. Plain input that is still
 * encrypted (sops' `ENC[...]` values or metadata, dotenvx's `encrypted:`
 * values) is refused, never imported as values.
 */
import { basename } from "node:path";
import { readDotenv } from "../../core/dotenv.js";
import { assertNotEncrypted, type ImportMap, type SkippedKey } from "../../core/import-tree.js";
import type { AgeIdentity } from "../../crypto/index.js";
import { LockstepError } from "../../errors.js";
import { loadDotenvxKeys } from "../../storage/import-sources/dotenvx-keys.js";
import { loadSopsIdentities } from "../../storage/import-sources/sops-keys.js";
import { readJsonTree, readYamlTree } from "../../storage/import-sources/yaml-json.js";
import { decodeDotenvx } from "./dotenvx.js";
import { decodeSops } from "./sops.js";
import { type SopsFormat, sopsFormatOf } from "./sops-file.js";

/** A tool whose encrypted files import decrypts. */
export type ImportFrom = "sops" | "dotenvx";

/** Input formats: `ini` only for sops files. */
export type ImportInputFormat = "dotenv" | "json" | "yaml" | "ini";

/** Options of {@link readImportSource}. */
export interface ImportSourceOptions {
  /** The tool that encrypted the file, if one did. */
  readonly from?: ImportFrom;
  /** The format; by default from the file name (`.json`, `.yaml`/`.yml`, `.ini`), else dotenv. */
  readonly format?: ImportInputFormat;
  /** The input's name for messages, and for the conventions that go by it (dotenvx's key name). */
  readonly source: string;
  /** The file's path, when the input is a file: dotenvx's `.env.keys` is looked for beside it. */
  readonly path?: string;
  /** The environment to read `SOPS_AGE_KEY*` and `DOTENV_PRIVATE_KEY*` from. */
  readonly env?: NodeJS.ProcessEnv;
  /** lockstep's own identities (tried before sops' places); a rejection with NO_IDENTITY counts as none. */
  readonly identities?: () => Promise<readonly AgeIdentity[]>;
  /** dotenvx's `.env.keys` file, when not beside the input. */
  readonly dotenvxKeysFile?: string;
  /** A plain .env: expand references as dotenv-expand does (default: keep them, and warn). */
  readonly expand?: boolean;
  /** Receives notices that do not stop the import; never a value. */
  readonly onWarning?: (message: string) => void;
}

/** An input, read and decrypted. */
export interface ImportSource {
  readonly tree: ImportMap;
  /** The format it was read as. */
  readonly format: ImportInputFormat;
  /** Its keys are variables (dotenv-shaped): each must be a valid variable name. */
  readonly variables: boolean;
  /** Keys left out (tools' own entries), for the summary. */
  readonly skipped: SkippedKey[];
  /** What was used to open it, for the summary: `sops 3.8.1 file, opened by age1...`. */
  readonly notes: string[];
}

/** The format an input is read as, when none is given. */
export function importFormatOf(name: string | undefined, from?: ImportFrom): ImportInputFormat {
  if (name === undefined) return "dotenv";
  if (from === "dotenvx") return "dotenv";
  return sopsFormatOf(name) ?? "dotenv";
}

/**
 * Reads (and for `from`, decrypts and verifies) an import's input.
 * @throws LockstepError `USAGE` for a format the tool does not write;
 *   `INVALID_VALUE` for input that is not in its format or is still
 *   encrypted; the decoders' `NO_IDENTITY` and `INTEGRITY` errors.
 */
export async function readImportSource(text: string, options: ImportSourceOptions): Promise<ImportSource> {
  const { source, from } = options;
  const format = options.format ?? importFormatOf(options.path ?? source, from);
  const env = options.env ?? process.env;
  if (from === "sops") {
    const { identities, places } = await sopsIdentities(options, env);
    const decoded = await decodeSops(text, {
      format: format as SopsFormat,
      source,
      identities,
      identityPlaces: places,
    });
    return {
      tree: decoded.tree,
      format,
      variables: format === "dotenv",
      skipped: [],
      notes: [
        `sops ${decoded.sopsVersion ? `${decoded.sopsVersion} ` : ""}file, MAC verified, opened by ${decoded.openedBy}`,
      ],
    };
  }
  if (from === "dotenvx") {
    if (format !== "dotenv") {
      throw new LockstepError("USAGE", `dotenvx encrypts .env files; --format ${format} does not apply`, {
        fix: "drop --format, or use --from sops for a sops file",
      });
    }
    const privateKeys = await loadDotenvxKeys(options.path ?? source, {
      env,
      ...(options.dotenvxKeysFile !== undefined && { keysFile: options.dotenvxKeysFile }),
    });
    const decoded = await decodeDotenvx(text, { source: options.path ?? source, privateKeys });
    return {
      tree: decoded.tree,
      format,
      variables: true,
      skipped: decoded.skipped.map((s) => ({ keys: [s.key], reason: s.reason })),
      notes:
        decoded.keyName === undefined
          ? ["dotenvx file with no encrypted value"]
          : [
              `dotenvx file, opened with ${decoded.keyName} from ${decoded.keyFrom === "environment" ? "the environment" : basename(decoded.keyFrom ?? "")}`,
            ],
    };
  }
  let tree: ImportMap;
  if (format === "json") tree = await readJsonTree(text, source);
  else if (format === "yaml") tree = await readYamlTree(text, source);
  else if (format === "dotenv") {
    // npm dotenv's reading, with references reported (or expanded): see core/dotenv.ts.
    const { entries, warnings } = readDotenv(text, source, { expand: options.expand === true });
    for (const w of warnings) options.onWarning?.(w);
    tree = {
      kind: "map",
      entries: entries.map((e) => ({
        key: e.key,
        line: e.line,
        node: { kind: "scalar", type: "string", text: e.value },
      })),
    };
  } else {
    throw new LockstepError("USAGE", `--format ${format} is read only from sops files`, {
      fix: "add --from sops, or use dotenv, json or yaml",
    });
  }
  assertNotEncrypted(tree, source);
  return { tree, format, variables: format === "dotenv", skipped: [], notes: [] };
}

/** lockstep's identities, then those of sops' places. */
async function sopsIdentities(
  options: ImportSourceOptions,
  env: NodeJS.ProcessEnv,
): Promise<{ identities: AgeIdentity[]; places: string[] }> {
  const identities: AgeIdentity[] = [];
  const places: string[] = [];
  if (options.identities) {
    try {
      const own = await options.identities();
      identities.push(...own);
      places.push(...new Set(own.map((i) => i.source)));
    } catch (e) {
      if (!(e instanceof LockstepError && e.code === "NO_IDENTITY")) throw e;
    }
  }
  const sops = await loadSopsIdentities(env);
  identities.push(...sops.identities);
  places.push(...sops.places);
  return { identities, places };
}
