/**
 * Access rules resolved to people: who reads and who approves a secret.
 * Pure functions over a validated access.yaml.
 */
import { recipientText } from "../crypto/index.js";
import { LockstepError } from "../errors.js";
import { globMatches } from "./glob.js";
import type { AccessConfig, AccessRule, VersionRecipient } from "./model.js";

/** A name in a rule or group that is neither a member nor a group. */
export interface UnknownName {
  name: string;
  /** Where it is named: `rules[2].readers` or `groups.platform`. */
  where: string;
}

/**
 * Expands member and group names to member names, sorted. Groups may name
 * groups; a cycle is cut, not followed forever.
 */
export function expandNames(
  access: AccessConfig,
  names: readonly string[],
  unknown?: UnknownName[],
  where = "",
): string[] {
  const out = new Set<string>();
  const seen = new Set<string>();
  const visit = (name: string, at: string): void => {
    if (name in access.members) {
      out.add(name);
    } else if (access.groups && name in access.groups) {
      if (seen.has(name)) return;
      seen.add(name);
      for (const n of access.groups[name] ?? []) visit(n, `groups.${name}`);
    } else {
      unknown?.push({ name, where: at });
    }
  };
  for (const n of names) visit(n, where);
  return [...out].sort();
}

/** The rules whose `match` covers `id`, with their index in access.yaml. */
export function matchingRules(access: AccessConfig, id: string): { rule: AccessRule; index: number }[] {
  return (access.rules ?? []).flatMap((rule, index) => (globMatches(rule.match, id) ? [{ rule, index }] : []));
}

/** The members who may read `id`: every matching rule's readers, groups expanded, sorted. */
export function readersOf(access: AccessConfig, id: string): string[] {
  return expandNames(
    access,
    matchingRules(access, id).flatMap(({ rule }) => rule.readers ?? []),
  );
}

/** The members who approve changes to `id`, likewise. */
export function approversOf(access: AccessConfig, id: string): string[] {
  return expandNames(
    access,
    matchingRules(access, id).flatMap(({ rule }) => rule.approvers ?? []),
  );
}

/**
 * The recipients a new version of `id` is encrypted to, in stanza order:
 * readers by name, each member's keys in the order access.yaml lists them.
 * @throws LockstepError `NO_READERS` if no rule gives the secret a reader.
 */
export function recipientsFor(access: AccessConfig, id: string): VersionRecipient[] {
  const readers = readersOf(access, id);
  // As a version records them: an SSH key without its comment, and each key once per member.
  const recipients = readers.flatMap((member) => {
    const keys = (access.members[member]?.recipients ?? []).map(recipientText);
    return (keys.length > 1 ? [...new Set(keys)] : keys).map((key) => ({ member, key }));
  });
  if (recipients.length === 0) {
    throw new LockstepError("NO_READERS", `${id} has no readers: no rule in access.yaml gives it one`, {
      file: "access.yaml",
      fix: `add a rule whose match covers ${id}, with readers, e.g.\n  - match: "${id.split("/")[0]}/**"\n    readers: [platform]`,
    });
  }
  return recipients;
}

/**
 * {@link recipientsFor} over many ids of one access.yaml, as bulk commands
 * need it: ids that match the same rules share one answer (the same array),
 * worked out once.
 */
export function recipientsResolver(access: AccessConfig): (id: string) => VersionRecipient[] {
  const byRules = new Map<string, VersionRecipient[]>();
  return (id) => {
    const rules = matchingRules(access, id)
      .map((r) => r.index)
      .join(",");
    let list = byRules.get(rules);
    if (!list) {
      list = recipientsFor(access, id); // throws NO_READERS, naming the id, every time
      byRules.set(rules, list);
    }
    return list;
  };
}

/** A recipient as one string, for sets and comparisons. */
export function recipientKey(r: VersionRecipient): string {
  return `${r.member}\u0000${r.key}`;
}

const keySets = new WeakMap<readonly VersionRecipient[], ReadonlySet<string>>();

/** The member-key pairs of a list, as a set: remembered per list, since bulk commands compare many versions with one. */
export function recipientKeys(list: readonly VersionRecipient[]): ReadonlySet<string> {
  let set = keySets.get(list);
  if (!set) {
    set = new Set(list.map(recipientKey));
    keySets.set(list, set);
  }
  return set;
}

/** Whether two recipient lists name the same member-key pairs (order aside). */
export function sameRecipients(a: readonly VersionRecipient[], b: readonly VersionRecipient[]): boolean {
  // The usual case, and the cheap one: the same pairs in the same order.
  if (a.length === b.length && a.every((r, i) => r.member === b[i]?.member && r.key === b[i]?.key)) return true;
  const sb = recipientKeys(b);
  const sa = new Set(a.map(recipientKey));
  if (sa.size !== sb.size) return false;
  for (const k of sa) if (!sb.has(k)) return false;
  return true;
}
