/**
 * Access rules as `lockstep rule add`, `rule rm` and `rule ls` see them:
 * whether a rule's match can ever match a secret, whether the names it gives
 * exist, and whose reading a change of rules changes. Pure functions over a
 * validated access.yaml.
 */
import { LockstepError, UsageError } from "../errors.js";
import { expandNames, readersOf, unknownNameFix } from "./access.js";
import type { AccessConfig } from "./model.js";
import { fixWithSuggestion } from "./suggest.js";

/** Glob characters: a segment with one of them is a pattern, not a name. */
const GLOB = /[*?[\]]/;
/** The characters of an id, and a glob's. */
const MATCH = /^[A-Za-z0-9._\-*?[\]!/]+$/;

/**
 * Checks a rule's match before it is written: globs over ids, whose first
 * segment, when written out, is an environment of lockstep.yaml (a rule for
 * `prod/**` where the environment is `production` would match nothing,
 * silently). A manifest's path (`secrets/production/**`, `... .yaml`) is
 * refused with the glob it meant.
 * @throws UsageError naming the glob it meant, or the near environment.
 */
export function checkRuleMatch(match: string, environments: readonly string[]): void {
  const segments = match.split("/");
  if (!MATCH.test(match) || segments.some((s) => s === "")) {
    throw new UsageError(`"${match}" is not a glob over secret ids`, {
      fix: 'a rule matches ids: segments of letters, digits, ".", "_", "-", with * (one segment), ** (any) or ?, e.g. "production/**"',
    });
  }
  const [first = "", ...rest] = segments;
  const meant =
    first === "secrets" && rest.length > 0 && !environments.includes("secrets")
      ? rest.join("/")
      : /\.yaml$/i.test(match)
        ? match.replace(/\.yaml$/i, "")
        : undefined;
  if (meant !== undefined) {
    throw new UsageError(`"${match}" is a path of manifests: a rule matches ids`, {
      fix: `ids leave out secrets/ and .yaml: did you mean "${meant.replace(/\.yaml$/i, "")}"?`,
    });
  }
  if (!GLOB.test(first) && !environments.includes(first)) {
    const glob = (env: string) => `"${[env, ...rest].join("/")}"`;
    throw new UsageError(`"${match}" can match no secret: lockstep.yaml has no environment "${first}"`, {
      fix: fixWithSuggestion(first, environments, `environments are: ${environments.join(", ")}`, glob),
    });
  }
}

/**
 * Checks that every name is a member or a group.
 * @throws LockstepError `UNKNOWN_MEMBER` for the first that is neither, with the near name or `member add`.
 */
export function checkRuleNames(access: AccessConfig, names: readonly string[]): void {
  for (const name of names) {
    const unknown: { name: string; where: string }[] = [];
    expandNames(access, [name], unknown);
    if (unknown.some((u) => u.name === name)) {
      throw new LockstepError("UNKNOWN_MEMBER", `"${name}" is neither a member nor a group of access.yaml`, {
        file: "access.yaml",
        fix: unknownNameFix(name, access),
      });
    }
  }
}

/** A secret whose readers a change of access.yaml changes. */
export interface ReadersChange {
  id: string;
  /** Members who read it now and did not before. */
  gained: string[];
  /** Members who read it before and no longer do. */
  lost: string[];
  /** Whether nobody reads it any more. */
  unreadable: boolean;
}

/** For each of `ids`, who starts and stops reading it between two versions of access.yaml. */
export function readersChanges(before: AccessConfig, after: AccessConfig, ids: readonly string[]): ReadersChange[] {
  return ids.flatMap((id) => {
    const was = readersOf(before, id);
    const now = readersOf(after, id);
    const gained = now.filter((m) => !was.includes(m));
    const lost = was.filter((m) => !now.includes(m));
    return gained.length === 0 && lost.length === 0 ? [] : [{ id, gained, lost, unreadable: now.length === 0 }];
  });
}
