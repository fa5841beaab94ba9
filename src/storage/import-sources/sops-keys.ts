/**
 * Where sops looks for a user's age identities (getsops/sops
 * age/keysource.go, `loadIdentities`): every one of these that is set is
 * read, and all their keys are tried.
 *
 * - `SOPS_AGE_KEY`: the keys themselves, several to a line allowed;
 * - `SOPS_AGE_KEY_FILE`: a key file;
 * - the user's config directory's `sops/age/keys.txt`: `$XDG_CONFIG_HOME`
 *   (else `~/.config`) on Linux and, where set, on macOS; else
 *   `~/Library/Application Support` on macOS and `%AppData%` on Windows.
 *
 * Not read: `SOPS_AGE_KEY_CMD` (lockstep runs no command a variable names)
 * and SSH keys (`SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `~/.ssh/id_ed25519`),
 * which lockstep's age support does not cover; plugin identities
 * (`AGE-PLUGIN-...`) are passed over.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { type AgeIdentity, parseIdentityFile } from "../../crypto/index.js";
import { NoIdentityError } from "../../errors.js";

/** Identities found in sops' places, and which places held them. */
export interface SopsIdentities {
  readonly identities: AgeIdentity[];
  /** The places read, for messages: variable names and file paths. */
  readonly places: string[];
  /** Places sops would also read that lockstep does not (set but unsupported). */
  readonly unsupported: string[];
}

/** sops' default key file: `<user config dir>/sops/age/keys.txt`. */
export function sopsDefaultKeyFile(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const home = env.HOME || homedir();
  let config: string | undefined;
  if (platform === "win32") config = env.AppData || env.APPDATA;
  else if (platform === "darwin") config = env.XDG_CONFIG_HOME || join(home, "Library", "Application Support");
  else config = env.XDG_CONFIG_HOME || join(home, ".config");
  return config ? join(config, "sops", "age", "keys.txt") : undefined;
}

/**
 * Reads the age identities of every place sops reads them from.
 * @throws LockstepError `INVALID_KEY` for a key that is not a valid age
 *   identity; `NO_IDENTITY` for a `SOPS_AGE_KEY_FILE` that cannot be read.
 */
export async function loadSopsIdentities(env: NodeJS.ProcessEnv = process.env): Promise<SopsIdentities> {
  const identities: AgeIdentity[] = [];
  const places: string[] = [];
  const unsupported = ["SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE", "SOPS_AGE_SSH_PRIVATE_KEY_CMD"].filter(
    (name) => env[name] !== undefined,
  );
  const add = async (text: string, place: string) => {
    const keys = await parseSopsKeys(text, place);
    if (keys.length > 0) places.push(place);
    identities.push(...keys);
  };
  if (env.SOPS_AGE_KEY !== undefined) {
    // sops splits this variable's lines (but comments) at white space: several keys to a line.
    const lines = env.SOPS_AGE_KEY.split(/\r?\n/).flatMap((line) => (line.startsWith("#") ? [] : line.split(/\s+/)));
    await add(lines.join("\n"), "SOPS_AGE_KEY");
  }
  if (env.SOPS_AGE_KEY_FILE !== undefined) {
    const path = env.SOPS_AGE_KEY_FILE;
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      throw new NoIdentityError(
        `cannot read SOPS_AGE_KEY_FILE ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
        {
          file: path,
          fix: "point SOPS_AGE_KEY_FILE at your age key file, or unset it",
          cause: e,
        },
      );
    }
    await add(text, path);
  }
  const fallback = sopsDefaultKeyFile(env);
  if (fallback !== undefined) {
    const text = await readFile(fallback, "utf8").catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT" || e.code === "ENOTDIR") return undefined;
      throw e;
    });
    if (text !== undefined) await add(text, fallback);
  }
  return { identities, places, unsupported };
}

/** The X25519 and post-quantum identities of a key text, plugin lines passed over. */
async function parseSopsKeys(text: string, place: string): Promise<AgeIdentity[]> {
  const lines = text.split(/\r?\n/).map((line) => (line.startsWith("AGE-PLUGIN-") ? "" : line));
  if (!lines.some((line) => line.trim() !== "" && !line.trim().startsWith("#"))) return [];
  return parseIdentityFile(lines.join("\n"), place);
}
