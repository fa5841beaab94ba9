/**
 * Where a process's age identities come from, in order: `--identity` files,
 * else `LOCKSTEP_AGE_KEY` (the key text, for CI), else the file named by
 * `LOCKSTEP_AGE_KEY_FILE`, else `$XDG_CONFIG_HOME/lockstep/identity.txt`.
 */
import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { type AgeIdentity, parseIdentityFile } from "../crypto/index.js";
import { LockstepError, NoIdentityError } from "../errors.js";

/**
 * Every environment variable {@link loadIdentities} reads a key or a key's
 * path from. `exec` removes them all from its child's environment: the
 * child gets the values of its stage, never a key that opens other versions.
 */
export const IDENTITY_ENV_VARS: readonly string[] = ["LOCKSTEP_AGE_KEY", "LOCKSTEP_AGE_KEY_FILE"];

/** Where to look for identities. */
export interface IdentitySources {
  /** Identity files given explicitly (`--identity`). */
  files?: readonly string[];
  /** The environment to read `LOCKSTEP_AGE_KEY*` and `XDG_CONFIG_HOME` from. */
  env?: NodeJS.ProcessEnv;
  /** Told of key files that others can read. */
  onWarning?: (message: string) => void;
}

/** The default identity file: `$XDG_CONFIG_HOME/lockstep/identity.txt`. */
export function defaultIdentityFile(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(config, "lockstep", "identity.txt");
}

/**
 * Loads the identities of the first source that is set.
 * @throws NoIdentityError if no source is set; LockstepError `INVALID_KEY` for a bad file.
 */
export async function loadIdentities(sources: IdentitySources = {}): Promise<AgeIdentity[]> {
  const env = sources.env ?? process.env;
  if (sources.files && sources.files.length > 0) {
    const all: AgeIdentity[] = [];
    for (const f of sources.files) all.push(...(await readIdentityFile(f, sources.onWarning)));
    return all;
  }
  if (env.LOCKSTEP_AGE_KEY) return parseIdentityFile(env.LOCKSTEP_AGE_KEY, "LOCKSTEP_AGE_KEY");
  if (env.LOCKSTEP_AGE_KEY_FILE) return readIdentityFile(env.LOCKSTEP_AGE_KEY_FILE, sources.onWarning);
  const fallback = defaultIdentityFile(env);
  try {
    return await readIdentityFile(fallback, sources.onWarning);
  } catch (e) {
    if (e instanceof LockstepError && e.code === "NO_IDENTITY") {
      throw new NoIdentityError("no age identity: none given, and no default identity file", {
        fix: `pass --identity FILE, set LOCKSTEP_AGE_KEY or LOCKSTEP_AGE_KEY_FILE, or run \`lockstep keygen -o ${fallback}\``,
      });
    }
    throw e;
  }
}

async function readIdentityFile(path: string, onWarning?: (m: string) => void): Promise<AgeIdentity[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new NoIdentityError(`cannot read identity file ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, {
      file: path,
      fix: "check the path, or make a key with `lockstep keygen -o FILE`",
      cause: e,
    });
  }
  const mode = (await stat(path)).mode;
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    onWarning?.(
      `identity file ${path} can be read by others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    );
  }
  return parseIdentityFile(text, path);
}
