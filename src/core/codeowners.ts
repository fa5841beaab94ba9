/**
 * CODEOWNERS from access rules: each secret's manifest is owned by its
 * approvers' GitHub handles, so GitHub requires their review for every
 * change to it; lockstep.yaml and access.yaml by the approvers of all rules
 * (or the members of an `admins` group).
 */
import { approversOf, expandNames } from "./access.js";
import type { AccessConfig } from "./model.js";

/** Where the file lives. */
export const CODEOWNERS_FILE = ".github/CODEOWNERS";

function handles(access: AccessConfig, members: readonly string[]): string[] {
  return members.flatMap((m) => {
    const gh = access.members[m]?.github;
    return gh === undefined ? [] : [`@${gh}`];
  });
}

function rulePattern(prefix: string, match: string): string {
  return match.endsWith("*") ? `/${prefix}secrets/${match}` : `/${prefix}secrets/${match}.yaml`;
}

/**
 * The CODEOWNERS text. Rule lines come first, as a fallback for secrets
 * added later; then one line per secret with the union of its approvers
 * (CODEOWNERS takes the last matching line, not the union). `prefix` is
 * the secrets repository's folder in the git repository (`""` at its top,
 * else ending in `/`): CODEOWNERS paths start at the git root. `realPaths`
 * gives, for a manifest reached through a link inside the repository, the
 * path it really has (repository-relative): its owners own that path too,
 * where git records its changes.
 */
export function renderCodeowners(
  access: AccessConfig,
  secretIds: readonly string[],
  prefix = "",
  realPaths: ReadonlyMap<string, string> = new Map(),
): string {
  const lines = [
    "# Written by `lockstep codeowners --write` from access.yaml; do not edit by hand.",
    "# Changes to a secret need the review of its approvers.",
    "",
  ];
  const admins = access.groups?.admins
    ? expandNames(access, ["admins"])
    : expandNames(
        access,
        (access.rules ?? []).flatMap((r) => r.approvers ?? []),
      );
  const adminHandles = handles(access, admins);
  for (const rule of access.rules ?? []) {
    const h = handles(access, expandNames(access, rule.approvers ?? []));
    if (h.length > 0) lines.push(`${rulePattern(prefix, rule.match)} ${h.join(" ")}`);
  }
  for (const id of secretIds) {
    const h = handles(access, approversOf(access, id));
    if (h.length === 0) continue;
    lines.push(`/${prefix}secrets/${id}.yaml ${h.join(" ")}`);
    // A manifest reached through a link: a change lands at its real path, which needs the same owners.
    const real = realPaths.get(id);
    if (real !== undefined) lines.push(`/${prefix}${real} ${h.join(" ")}`);
  }
  if (adminHandles.length > 0) {
    lines.push(`/${prefix}lockstep.yaml ${adminHandles.join(" ")}`, `/${prefix}access.yaml ${adminHandles.join(" ")}`);
    lines.push(`${`/${CODEOWNERS_FILE}`} ${adminHandles.join(" ")}`);
  }
  return `${lines.join("\n")}\n`;
}
