/**
 * Where a process's identities come from, in order, the first that is set:
 * `--identity` files, `LOCKSTEP_AGE_KEY` (the key text, for CI), the file
 * named by `LOCKSTEP_AGE_KEY_FILE`, `$XDG_CONFIG_HOME/lockstep/identity.txt`;
 * then sops' own locations, so a sops user's key works as it is:
 * `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, sops' `age/keys.txt` in the user's
 * configuration folder (sops' `keys.txt` lookup, getsops/sops
 * age/keysource.go).
 *
 * An identity file may be an age identity file, an SSH private key, or
 * either encrypted with a passphrase; a passphrase is asked on the terminal.
 */
import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { type AgeIdentity, type KeyPrompts, parseIdentityFile } from "../crypto/index.js";
import { NoIdentityError } from "../errors.js";

/**
 * Every environment variable {@link loadIdentities} reads a key or a key's
 * path from. `exec` removes them all from its child's environment: the
 * child gets the values of its stage, never a key that opens other versions.
 */
export const IDENTITY_ENV_VARS: readonly string[] = [
  "LOCKSTEP_AGE_KEY",
  "LOCKSTEP_AGE_KEY_FILE",
  "SOPS_AGE_KEY",
  "SOPS_AGE_KEY_FILE",
];

/** Where to look for identities. */
export interface IdentitySources {
  /** Identity files given explicitly (`--identity`). */
  files?: readonly string[];
  /** The environment to read the variables and `XDG_CONFIG_HOME` from. */
  env?: NodeJS.ProcessEnv;
  /** Told of key files that others can read. */
  onWarning?: (message: string) => void;
  /** Who to ask for a passphrase or PIN (default: the terminal, when lockstep runs in one). */
  prompts?: KeyPrompts;
}

/** The default identity file: `$XDG_CONFIG_HOME/lockstep/identity.txt`. */
export function defaultIdentityFile(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(config, "lockstep", "identity.txt");
}

/**
 * sops' default key file: `age/keys.txt` in `$XDG_CONFIG_HOME/sops`, else in
 * the user's configuration folder as Go's `os.UserConfigDir` gives it
 * (`~/.config`, `~/Library/Application Support` on macOS, `%AppData%` on Windows).
 */
export function sopsIdentityFile(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME || homedir();
  const config =
    env.XDG_CONFIG_HOME ||
    (process.platform === "darwin"
      ? join(home, "Library", "Application Support")
      : process.platform === "win32"
        ? env.AppData || join(home, "AppData", "Roaming")
        : join(home, ".config"));
  return join(config, "sops", "age", "keys.txt");
}

/**
 * Loads the identities of the first source that is set (see the module's
 * comment for the order). A default file that does not exist is skipped.
 * @throws NoIdentityError if no source is set, listing every source tried;
 *   LockstepError `INVALID_KEY` for a bad file, `PASSPHRASE_REQUIRED` for an
 *   encrypted one with nobody to ask.
 */
export async function loadIdentities(sources: IdentitySources = {}): Promise<AgeIdentity[]> {
  const env = sources.env ?? process.env;
  const read = (path: string) => readIdentityFile(path, sources);
  const parse = (text: string, name: string) =>
    parseIdentityFile(text, name, { ...(sources.prompts && { prompts: sources.prompts }) });
  if (sources.files && sources.files.length > 0) {
    const all: AgeIdentity[] = [];
    for (const f of sources.files) all.push(...(await read(f)));
    return all;
  }
  if (env.LOCKSTEP_AGE_KEY) return parse(env.LOCKSTEP_AGE_KEY, "LOCKSTEP_AGE_KEY");
  if (env.LOCKSTEP_AGE_KEY_FILE) return read(env.LOCKSTEP_AGE_KEY_FILE);
  const own = defaultIdentityFile(env);
  if (await exists(own)) return read(own);
  if (env.SOPS_AGE_KEY) return parse(env.SOPS_AGE_KEY, "SOPS_AGE_KEY");
  if (env.SOPS_AGE_KEY_FILE) return read(env.SOPS_AGE_KEY_FILE);
  const sops = sopsIdentityFile(env);
  if (await exists(sops)) return read(sops);
  const tried = [
    "--identity (not given)",
    "LOCKSTEP_AGE_KEY (not set)",
    "LOCKSTEP_AGE_KEY_FILE (not set)",
    `${own} (no such file)`,
    "SOPS_AGE_KEY (not set)",
    "SOPS_AGE_KEY_FILE (not set)",
    `${sops} (no such file)`,
  ];
  throw new NoIdentityError(
    `no age identity: none given, and none in lockstep's or sops' places (tried: ${tried.join(", ")})`,
    {
      fix: `pass --identity FILE (an age identity file or an SSH private key), set LOCKSTEP_AGE_KEY or LOCKSTEP_AGE_KEY_FILE, or run \`lockstep keygen -o ${own}\``,
    },
  );
}

/** Whether a default file is there to read; anything but "no such file" is for reading to report. */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== "ENOENT" && code !== "ENOTDIR";
  }
}

async function readIdentityFile(path: string, sources: IdentitySources): Promise<AgeIdentity[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new NoIdentityError(`cannot read identity file ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, {
      file: path,
      fix: "check the path, or make a key with `lockstep keygen -o FILE`",
      cause: e,
    });
  }
  // Parsed first: a public key given by mistake gets its own error, not advice to chmod it.
  const identities = await parseIdentityFile(bytes, path, { ...(sources.prompts && { prompts: sources.prompts }) });
  const mode = (await stat(path)).mode;
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    sources.onWarning?.(
      `identity file ${path} can be read by others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    );
  }
  return identities;
}
