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
 * folder would collide with a manifest) or is `.git` in any case, with
 * trailing dots or not (git refuses such a path, `.git.` too, as NTFS
 * drops the dots: git's `verify_path` and `is_ntfs_dotgit`), so the secret
 * would never be committed.
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
  if (segments.some((s) => /^\.git\.*$/i.test(s))) {
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

/**
 * The name under which a folder lands on a case-insensitive file system
 * (macOS, Windows): lower case, and (Windows) without trailing dots. A
 * manifest's name ends in `.yaml`, so only its case folds.
 */
function foldedFolder(segment: string): string {
  return segment.toLowerCase().replace(/\.+$/, "");
}

/** Two ids whose manifests (or folders on the way) are one file on a case-insensitive checkout. */
export interface IdCollision {
  /** The id that collides with `other`. */
  id: string;
  other: string;
  /** The colliding path, as the first id spells it: `secrets/production/DB` or the whole manifest. */
  path: string;
}

/**
 * Pairs of ids that collide on macOS and Windows checkouts: their manifests
 * (`secrets/<id>.yaml`), or folders on the way to them, differ only by case
 * or trailing dots. There, one checkout holds only one of them, and a write
 * to one lands in the other.
 */
export function idCollisions(ids: readonly string[]): IdCollision[] {
  const seen = new Map<string, { id: string; spelled: string }>();
  const out: IdCollision[] = [];
  const reported = new Set<string>();
  for (const id of ids) {
    const segments = id.split("/");
    for (let n = 1; n <= segments.length; n++) {
      const spelled = segments.slice(0, n).join("/");
      // A folder of a segment and a manifest of that segment (`x/` and `x.yaml`) do not collide: the key says which.
      const last = n === segments.length;
      const folders = segments.slice(0, last ? n - 1 : n).map(foldedFolder);
      const key = last ? `f:${[...folders, segments[n - 1]?.toLowerCase()].join("/")}` : `d:${folders.join("/")}`;
      const first = seen.get(key);
      if (!first) {
        seen.set(key, { id, spelled });
        continue;
      }
      if (first.spelled === spelled) continue;
      const pair = `${first.id}\u0000${id}`;
      if (!reported.has(pair)) {
        reported.add(pair);
        out.push({ id, other: first.id, path: `secrets/${spelled}${last ? ".yaml" : ""}` });
      }
      break;
    }
  }
  return out;
}
