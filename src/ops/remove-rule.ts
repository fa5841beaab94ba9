/**
 * `rule rm`: the rule of a match out of access.yaml, or some of its names.
 * The file keeps its comments and layout.
 */
import { closestName, fixWithSuggestion } from "../core/suggest.js";
import { LockstepError } from "../errors.js";
import { editAccess } from "../storage/access-file.js";
import { ACCESS_FILE } from "../storage/layout.js";
import { commitMessage, type RuleChangeResult, type RuleOptions, ruleResult, uniqueNames } from "./add-rule.js";
import { commitIfAsked, ensureCanCommit } from "./commit.js";
import type { Session } from "./session.js";

/**
 * Removes the rules whose match is `match` or, given names, takes those
 * names out of them (a rule left with neither readers nor approvers goes).
 * @throws LockstepError `UNKNOWN_RULE` when no rule has that match, or
 *   `UNKNOWN_MEMBER` when the rule does not name one of the names (each
 *   with the near one); `NOT_COMMITTED` with `commit`.
 */
export async function removeRule(
  session: Session,
  options: RuleOptions & { match: string },
): Promise<RuleChangeResult> {
  const { match } = options;
  const readers = uniqueNames(options.readers);
  const approvers = uniqueNames(options.approvers);
  if (options.commit) await ensureCanCommit(session, [ACCESS_FILE]);
  const edited = await editAccess(session.files, (data, edit) => {
    const rules = data.rules ?? [];
    const indexes = rules.flatMap((r, i) => (r.match === match ? [i] : []));
    if (indexes.length === 0) {
      const matches = rules.map((r) => r.match);
      throw new LockstepError("UNKNOWN_RULE", `access.yaml has no rule for "${match}"`, {
        file: ACCESS_FILE,
        fix: fixWithSuggestion(
          match,
          matches,
          matches.length > 0 ? `rules match: ${matches.map((m) => `"${m}"`).join(", ")}` : "access.yaml has no rules",
          (m) => `"${m}"`,
        ),
      });
    }
    if (readers.length + approvers.length === 0) {
      edit.removeRules(indexes);
      return { before: data, index: undefined, names: { readers: [], approvers: [] }, removed: true };
    }
    // Names come out of every rule of that match; each name must be in one of them.
    for (const [field, names] of [
      ["readers", readers],
      ["approvers", approvers],
    ] as const) {
      const listed = indexes.flatMap((i) => rules[i]?.[field] ?? []);
      for (const n of names) {
        if (listed.includes(n)) continue;
        const near = closestName(n, listed);
        throw new LockstepError("UNKNOWN_MEMBER", `the rule for "${match}" has no ${field.slice(0, -1)} "${n}"`, {
          file: ACCESS_FILE,
          fix: `${near === undefined ? "" : `did you mean ${near}? `}its ${field}: ${listed.join(", ") || "none"}`,
        });
      }
      for (const i of indexes) edit.removeFromRule(i, field, names);
    }
    // A rule left naming nobody would only confuse: it goes.
    const empty = indexes.filter((i) => {
      const r = rules[i];
      const left = (f: "readers" | "approvers", names: string[]) => (r?.[f] ?? []).filter((n) => !names.includes(n));
      return left("readers", readers).length + left("approvers", approvers).length === 0;
    });
    if (empty.length > 0) edit.removeRules(empty);
    const kept = indexes.filter((i) => !empty.includes(i));
    const index = kept[0] === undefined ? undefined : kept[0] - empty.filter((e) => e < (kept[0] as number)).length;
    return { before: data, index, names: { readers, approvers }, removed: kept.length === 0 };
  });
  await session.reloadAccess();
  const result = await ruleResult(session, match, edited.before, edited.index, edited.names);
  const done = { ...result, change: edited.removed ? ("removed" as const) : ("updated" as const) };
  return commitIfAsked(session, options.commit, done, [ACCESS_FILE], commitMessage("rule rm", done));
}
