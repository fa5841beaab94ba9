/**
 * `rule ls`: the access rules of access.yaml, each with its line, the
 * members its names come to, and how many secrets it matches; or, for one
 * secret, the rules that decide who reads it.
 */
import { approversOf, expandNames, matchingRules, readersOf, type UnknownName } from "../core/access.js";
import { globMatches } from "../core/glob.js";
import type { Session } from "./session.js";

/** One rule of access.yaml. */
export interface RuleInfo {
  /** Its place in the `rules:` list, from 0. */
  index: number;
  /** Its line in access.yaml. */
  line?: number;
  match: string;
  readers: string[];
  approvers: string[];
  /** The members its readers come to, groups expanded. */
  readingMembers: string[];
  /** Names that are neither a member nor a group. */
  unknown: string[];
  /** How many secrets it matches today. */
  secrets: number;
}

/** What `rule ls` shows. */
export interface RulesReport {
  rules: RuleInfo[];
  /** With an id: the secret, and who its rules make its readers and approvers. */
  secret?: { id: string; readers: string[]; approvers: string[] };
}

/**
 * The rules of access.yaml (with `id`: those that match it, and the readers
 * and approvers they give it).
 * @throws LockstepError `INVALID_ID` for a bad id (a manifest's path stands for its id).
 */
export async function listRules(session: Session, options: { id?: string } = {}): Promise<RulesReport> {
  const access = session.access;
  const sid = options.id === undefined ? undefined : session.secretId(options.id);
  const ids = await session.files.listSecretIds();
  const rules =
    sid === undefined ? (access.rules ?? []).map((rule, index) => ({ rule, index })) : matchingRules(access, sid.id);
  const infos = await Promise.all(
    rules.map(async ({ rule, index }): Promise<RuleInfo> => {
      const unknown: UnknownName[] = [];
      const readingMembers = expandNames(access, rule.readers ?? [], unknown);
      expandNames(access, rule.approvers ?? [], unknown);
      const line = await session.accessFile().lineOf(["rules", index]);
      return {
        index,
        ...(line !== undefined && { line }),
        match: rule.match,
        readers: rule.readers ?? [],
        approvers: rule.approvers ?? [],
        readingMembers,
        unknown: [...new Set(unknown.map((u) => u.name))],
        secrets: ids.filter((id) => globMatches(rule.match, id)).length,
      };
    }),
  );
  if (sid === undefined) return { rules: infos };
  return {
    rules: infos,
    secret: { id: sid.id, readers: readersOf(access, sid.id), approvers: approversOf(access, sid.id) },
  };
}
