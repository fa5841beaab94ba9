/** Secret ids: `<env>/<path>`, segments of `[A-Za-z0-9._-]`. */
import { LockstepError } from "../errors.js";

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** A parsed, valid secret id. */
export interface SecretId {
  /** The whole id, `production/db/password`. */
  readonly id: string;
  /** The first segment, an environment of lockstep.yaml. */
  readonly env: string;
  /** The rest, `db/password`. */
  readonly path: string;
}

/**
 * Parses a secret id. Whether its environment exists is the repository's
 * business; this checks only the form: no segment ends in `.yaml` (its
 * folder would collide with a manifest) or is `.git` (git holds no such
 * folder, so the secret would never be committed).
 * @throws LockstepError `INVALID_ID`.
 */
export function parseSecretId(id: string): SecretId {
  const segments = id.split("/");
  const bad = segments.find((s) => !SEGMENT.test(s) || s === "." || s === "..");
  if (segments.length < 2 || bad !== undefined) {
    throw new LockstepError("INVALID_ID", `"${id}" is not a secret id`, {
      fix: "a secret id is <env>/<path>, segments of letters, digits, '.', '_' and '-', e.g. production/db/password",
    });
  }
  const yaml = segments.findIndex((s) => /\.yaml$/i.test(s));
  if (yaml >= 0) {
    // `production/x.yaml/y` would need a folder where production/x's manifest is (x.yaml).
    const meant = segments.map((s) => s.replace(/\.yaml$/i, "")).join("/");
    throw new LockstepError("INVALID_ID", `"${id}" is not a secret id: a segment may not end in .yaml`, {
      fix:
        yaml === segments.length - 1
          ? `the id leaves out the manifest's .yaml: ${meant}`
          : "a manifest is <segment>.yaml, so a folder of that name would collide with it: rename the segment",
    });
  }
  if (segments.some((s) => s.toLowerCase() === ".git")) {
    throw new LockstepError("INVALID_ID", `"${id}" is not a secret id: git cannot hold a .git folder`, {
      fix: "choose another name for that segment",
    });
  }
  const [env, ...rest] = segments as [string, ...string[]];
  return { id, env, path: rest.join("/") };
}

/** Whether `s` is a valid secret id. */
export function isSecretId(s: string): boolean {
  try {
    parseSecretId(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * The variable name a secret exports as, when its manifest sets none: the
 * path upper-cased, every character outside `[A-Z0-9]` as `_`.
 */
export function defaultEnvName(path: string): string {
  return path.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}
