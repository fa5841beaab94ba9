/**
 * What a manifest must be as a whole before any of its versions is
 * decrypted or published, checked with no key:
 *
 * - its list of versions: numbers unique, newest first. A merge that kept
 *   both sides of a conflict can leave two versions 3, or versions out of
 *   order; then "version 3" and "the newest" mean nothing sure, and lockstep
 *   refuses to pick one;
 * - its place: the id it records (`id:`) is the one its path names. A
 *   manifest moved or copied by hand (`git mv`) still holds ciphertexts
 *   bound to its old id, which `get` would refuse only after decrypting.
 */
import { IntegrityError } from "../errors.js";
import type { SecretManifest, SecretVersion } from "./model.js";

/** What is wrong with a manifest's list of versions. */
export interface VersionListProblem {
  /** `duplicate`: two versions share a number; `order`: the list is not newest first. */
  kind: "duplicate" | "order";
  /** The version number concerned. */
  version: number;
  /** Index in `versions` of the (second) entry concerned. */
  index: number;
  message: string;
}

/**
 * The problems of a manifest's version list: numbers used twice, and
 * versions that are not in descending order (lockstep writes the newest
 * first). Empty when the list is sound.
 */
export function versionListProblems(manifest: Pick<SecretManifest, "versions">): VersionListProblem[] {
  const problems: VersionListProblem[] = [];
  const seen = new Set<number>();
  let previous: number | undefined;
  for (const [index, v] of manifest.versions.entries()) {
    if (seen.has(v.version)) {
      problems.push({
        kind: "duplicate",
        version: v.version,
        index,
        message: `version ${v.version} appears more than once`,
      });
    } else if (previous !== undefined && v.version > previous) {
      problems.push({
        kind: "order",
        version: v.version,
        index,
        message: `version ${v.version} comes after version ${previous}: versions must be listed newest first`,
      });
    }
    seen.add(v.version);
    previous = v.version;
  }
  return problems;
}

/** The highest version number of a manifest (the newest version), whatever the list's order. */
export function newestVersionNumber(manifest: Pick<SecretManifest, "versions">): number {
  let max = 0;
  for (const v of manifest.versions) if (v.version > max) max = v.version;
  return max;
}

/**
 * Refuses a manifest whose version list is not sound, before any version of
 * it is decrypted or published: with two versions of one number, which one
 * is "version 3" is for the file's order to decide, and an attacker's.
 * @throws IntegrityError (exit 4) naming the file and the fix.
 */
export function assertVersionList(id: string, manifest: Pick<SecretManifest, "versions">, file: string): void {
  const [first] = versionListProblems(manifest);
  if (!first) return;
  throw new IntegrityError(`${id}: ${first.message}; refusing to choose between versions`, {
    file,
    fix:
      first.kind === "duplicate"
        ? "a merge probably kept both sides: keep one version per number (renumber the other above the highest, re-encrypted for its new number: `lockstep resolve` or `lockstep set`), then run `lockstep check`"
        : "list the versions newest first (highest number at the top), then run `lockstep check`",
  });
}

/**
 * The newest version (highest number) of a sound manifest, or the version
 * numbered `n`.
 * @throws IntegrityError if the manifest is misplaced or its list is not sound ({@link assertRecordedId}, {@link assertVersionList}).
 */
export function pickVersion(
  id: string,
  manifest: Pick<SecretManifest, "id" | "versions">,
  file: string,
  n?: number,
): SecretVersion | undefined {
  assertRecordedId(id, manifest, file);
  assertVersionList(id, manifest, file);
  const wanted = n ?? newestVersionNumber(manifest);
  return manifest.versions.find((v) => v.version === wanted);
}

/** The fix for a manifest that stands where its recorded id does not. */
export function misplacedFix(recorded: string, id: string): string {
  return `to rename a secret, move it back (\`git mv secrets/${id}.yaml secrets/${recorded}.yaml\`) and run \`lockstep mv ${recorded} ${id}\`, which re-encrypts every version for its new id; a stray copy: remove it`;
}

/**
 * Refuses a manifest that records another id than the one its path names
 * (moved or copied by hand). A manifest that records none (written before
 * ids were recorded) passes: its ciphertexts' binding still holds.
 * @throws IntegrityError (exit 4) naming both ids and the way to rename.
 */
export function assertRecordedId(id: string, manifest: Pick<SecretManifest, "id">, file: string): void {
  if (manifest.id === undefined || manifest.id === id) return;
  throw new IntegrityError(`${file} records the secret ${manifest.id}, not ${id}: it was moved or copied by hand`, {
    file,
    fix: misplacedFix(manifest.id, id),
  });
}
