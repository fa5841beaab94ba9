/**
 * `rule add`: an access rule in access.yaml, or more names for the rule of
 * that match, without editing YAML by hand. The file keeps its comments and
 * layout; the names must be members or groups, and the match must be able
 * to match a secret.
 */
import type { AccessConfig } from "../core/model.js";
import { checkRuleMatch, checkRuleNames, type ReadersChange, readersChanges } from "../core/rules.js";
import { UsageError } from "../errors.js";
import { editAccess } from "../storage/access-file.js";
import { ACCESS_FILE } from "../storage/layout.js";
import { commitIfAsked, ensureCanCommit } from "./commit.js";
import type { Session } from "./session.js";

/** Options of {@link addRule} and `removeRule`. */
export interface RuleOptions {
  /** Members or groups who read what the rule matches. */
  readers?: readonly string[];
  /** Members or groups who approve changes to it (CODEOWNERS). */
  approvers?: readonly string[];
  /** Commit access.yaml with a message saying what changed. */
  commit?: boolean;
}

/** What `rule add` or `rule rm` did to the rules of one match. */
export interface RuleChangeResult {
  match: string;
  /**
   * `created`: a new rule; `updated`: names added to or taken from the rule
   * of that match; `removed`: no rule of that match is left; `unchanged`:
   * it already said so.
   */
  change: "created" | "updated" | "removed" | "unchanged";
  /** The rule's readers and approvers now (empty once removed). */
  readers: string[];
  approvers: string[];
  /** Names added to the rule (add) or taken from it (rm). */
  names: { readers: string[]; approvers: string[] };
  /** The rule's line in access.yaml (not for a removed rule). */
  line?: number;
  /** Secrets whose readers changed: their versions wait for `rekey`. */
  readersChanged: ReadersChange[];
  /** With `commit`: the commit that recorded it. */
  commit?: string;
}

/** Names without repeats, in the order given. */
export function uniqueNames(names: readonly string[] | undefined): string[] {
  return [...new Set(names ?? [])];
}

/**
 * Adds a rule, or adds names to the rule whose match is `match`.
 * @throws UsageError for no names or a match that can match no secret;
 *   LockstepError `UNKNOWN_MEMBER` for a name that is neither member nor
 *   group (with the near name); `NOT_COMMITTED` with `commit`.
 */
export async function addRule(session: Session, options: RuleOptions & { match: string }): Promise<RuleChangeResult> {
  const { match } = options;
  const readers = uniqueNames(options.readers);
  const approvers = uniqueNames(options.approvers);
  if (readers.length + approvers.length === 0) {
    throw new UsageError("rule add needs readers or approvers", {
      fix: `lockstep rule add "${match}" --readers NAME[,NAME...] [--approvers NAME[,NAME...]]`,
    });
  }
  checkRuleMatch(match, Object.keys(session.config.environments));
  if (options.commit) await ensureCanCommit(session, [ACCESS_FILE]);
  const edited = await editAccess(session.files, (data, edit) => {
    checkRuleNames(data, [...readers, ...approvers]);
    const rules = data.rules ?? [];
    const index = rules.findIndex((r) => r.match === match);
    const rule = rules[index];
    if (rule === undefined) {
      edit.addRule({ match, ...(readers.length > 0 && { readers }), ...(approvers.length > 0 && { approvers }) });
      return { before: data, index: rules.length, names: { readers, approvers }, created: true };
    }
    const names = {
      readers: readers.filter((n) => !(rule.readers ?? []).includes(n)),
      approvers: approvers.filter((n) => !(rule.approvers ?? []).includes(n)),
    };
    if (names.readers.length > 0) edit.addToRule(index, "readers", names.readers);
    if (names.approvers.length > 0) edit.addToRule(index, "approvers", names.approvers);
    return { before: data, index, names, created: false };
  });
  await session.reloadAccess();
  const result = await ruleResult(session, match, edited.before, edited.index, edited.names);
  const change = edited.created
    ? "created"
    : edited.names.readers.length + edited.names.approvers.length > 0
      ? "updated"
      : "unchanged";
  return commitIfAsked(
    session,
    options.commit && change !== "unchanged",
    { ...result, change },
    [ACCESS_FILE],
    commitMessage("rule add", { ...result, change }),
  );
}

/** The parts of a result every rule change shares: the rule now, its line, and whose reading changed. */
export async function ruleResult(
  session: Session,
  match: string,
  before: AccessConfig,
  index: number | undefined,
  names: RuleChangeResult["names"],
): Promise<Omit<RuleChangeResult, "change">> {
  const after = session.access;
  const rule = index === undefined ? undefined : after.rules?.[index];
  const ids = await session.files.listSecretIds();
  const line = rule === undefined ? undefined : await session.accessFile().lineOf(["rules", index as number]);
  return {
    match,
    readers: rule?.readers ?? [],
    approvers: rule?.approvers ?? [],
    names,
    ...(line !== undefined && { line }),
    readersChanged: readersChanges(before, after, ids),
  };
}

/** `lockstep rule add: "production/**" readers +bob`, and the secrets whose readers changed. */
export function commitMessage(command: string, r: RuleChangeResult): string {
  const sign = command === "rule add" ? "+" : "-";
  const listed = (field: "readers" | "approvers") =>
    r.names[field].length > 0 ? [`${field} ${r.names[field].map((n) => `${sign}${n}`).join(" ")}`] : [];
  const what = r.change === "removed" ? ["removed"] : [...listed("readers"), ...listed("approvers")];
  const body = r.readersChanged.map(
    (c) =>
      `${c.id}: ${[...c.gained.map((m) => `+${m}`), ...c.lost.map((m) => `-${m}`)].join(" ")}${c.unreadable ? " (no reader left)" : ""}`,
  );
  const rekey =
    r.readersChanged.length > 0
      ? ["", "Readers changed for these secrets; their versions are re-encrypted by `lockstep rekey`:", ...body]
      : [];
  return `lockstep ${command}: "${r.match}" ${what.join("; ")}\n${rekey.join("\n")}\n`;
}
