/**
 * Access rules resolved to people: who reads and who approves a secret.
 * Pure functions over a validated access.yaml.
 */
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
  const recipients = readers.flatMap((member) =>
    (access.members[member]?.recipients ?? []).map((key) => ({ member, key })),
  );
  if (recipients.length === 0) {
    throw new LockstepError("NO_READERS", `${id} has no readers: no rule in access.yaml gives it one`, {
      file: "access.yaml",
      fix: `add a rule whose match covers ${id}, with readers, e.g.\n  - match: "${id.split("/")[0]}/**"\n    readers: [platform]`,
    });
  }
  return recipients;
}

/** A recipient as one string, for sets and comparisons. */
export function recipientKey(r: VersionRecipient): string {
  return `${r.member}\u0000${r.key}`;
}

/** Whether two recipient lists name the same member-key pairs (order aside). */
export function sameRecipients(a: readonly VersionRecipient[], b: readonly VersionRecipient[]): boolean {
  const sa = new Set(a.map(recipientKey));
  return sa.size === new Set(b.map(recipientKey)).size && b.every((r) => sa.has(recipientKey(r)));
}
