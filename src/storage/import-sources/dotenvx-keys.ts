/**
 * Where dotenvx keeps private keys: `DOTENV_PRIVATE_KEY` (for `.env`) and
 * `DOTENV_PRIVATE_KEY_<ENVIRONMENT>` (for `.env.<environment>`) variables,
 * in the process environment or in a `.env.keys` file beside the `.env`
 * file. A variable may hold several keys separated by commas. The
 * environment wins over the file for the same name, as in dotenvx.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseDotenv } from "../../core/dotenv.js";

/** One `DOTENV_PRIVATE_KEY*` variable: its name, its keys, and where it was found. */
export interface DotenvxPrivateKey {
  readonly name: string;
  /** The hex private keys it holds (a variable may hold several, comma-separated). */
  readonly keys: readonly string[];
  /** `environment` or the `.env.keys` file's path. */
  readonly from: string;
}

/** Options of {@link loadDotenvxKeys}. */
export interface DotenvxKeySources {
  /** The process environment (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** The `.env.keys` file (default: `.env.keys` beside the imported file). */
  readonly keysFile?: string;
}

const PREFIX = "DOTENV_PRIVATE_KEY";

/**
 * Every `DOTENV_PRIVATE_KEY*` variable of the environment and the `.env.keys`
 * file, environment first. A missing `.env.keys` is no error.
 * @throws LockstepError `INVALID_VALUE` for a `.env.keys` that is not dotenv text.
 */
export async function loadDotenvxKeys(envFile: string, sources: DotenvxKeySources = {}): Promise<DotenvxPrivateKey[]> {
  const env = sources.env ?? process.env;
  const found: DotenvxPrivateKey[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(PREFIX) && value) found.push({ name, keys: splitKeys(value), from: "environment" });
  }
  const keysFile = sources.keysFile ?? join(dirname(envFile), ".env.keys");
  const text = await readFile(keysFile, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (sources.keysFile === undefined && (e.code === "ENOENT" || e.code === "ENOTDIR")) return undefined;
    throw e;
  });
  if (text !== undefined) {
    for (const entry of parseDotenv(text, keysFile)) {
      if (!entry.key.startsWith(PREFIX) || entry.value === "") continue;
      if (found.some((k) => k.name === entry.key)) continue;
      found.push({ name: entry.key, keys: splitKeys(entry.value), from: keysFile });
    }
  }
  return found;
}

function splitKeys(value: string): string[] {
  return value
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k !== "");
}
