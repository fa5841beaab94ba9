/**
 * Edits of access.yaml as a YAML document, so that its comments and order
 * survive. Loaded on first use by access-file.ts: it brings the `yaml`
 * package.
 */
import { type Document, isMap, isScalar, isSeq, Pair, Scalar, type YAMLMap, YAMLSeq } from "yaml";
import type { AccessConfig, AccessRule } from "../core/model.js";

/** The changes an edit of access.yaml can make. Names are checked by the caller. */
export interface AccessEditor {
  /** Adds a member with its recipients (written as a flow list) and GitHub handle. */
  addMember(name: string, recipients: readonly string[], github?: string): void;
  /** Adds recipients to an existing member. */
  addRecipients(name: string, keys: readonly string[]): void;
  /** Sets an existing member's GitHub handle. */
  setGithub(name: string, github: string): void;
  /** Adds a member to a group, made if new. */
  addToGroup(group: string, member: string): void;
  /**
   * Removes a member, and every mention of it in groups and rules; returns
   * where it was mentioned (`groups.platform`, `rules[1].readers`).
   */
  removeMember(name: string): string[];
  /** Appends a rule (readers and approvers as flow lists, the match in double quotes). */
  addRule(rule: AccessRule): void;
  /** Adds names to a list of the rule at `index`, made if absent. */
  addToRule(index: number, field: RuleList, names: readonly string[]): void;
  /** Takes names out of a list of the rule at `index`; a list left empty is removed. */
  removeFromRule(index: number, field: RuleList, names: readonly string[]): void;
  /** Removes the rules at `indexes`. */
  removeRules(indexes: readonly number[]): void;
}

/** The lists of names a rule has. */
export type RuleList = "readers" | "approvers";

/** An editor of `doc`, the document of access.yaml as `data` holds it. */
export function accessEditor(doc: Document, data: AccessConfig): AccessEditor {
  return {
    addMember(name, recipients, github) {
      const node = doc.createNode({
        recipients: [...recipients],
        ...(github !== undefined && { github }),
      }) as YAMLMap;
      const list = node.get("recipients", true);
      if (isSeq(list)) list.flow = true;
      const members = doc.get("members", true);
      if (isMap(members)) {
        members.flow = false;
        members.set(name, node);
      } else doc.set("members", doc.createNode({ [name]: node }));
    },
    addRecipients(name, keys) {
      const seq = doc.getIn(["members", name, "recipients"], true) as YAMLSeq;
      for (const k of keys) seq.add(doc.createNode(k));
    },
    setGithub(name, github) {
      doc.setIn(["members", name, "github"], github);
    },
    addToGroup(group, member) {
      if (data.groups?.[group]) {
        (doc.getIn(["groups", group], true) as YAMLSeq).add(doc.createNode(member));
        return;
      }
      const groups = doc.get("groups", true);
      const seq = doc.createNode([member]) as YAMLSeq;
      seq.flow = true;
      if (isMap(groups)) {
        groups.flow = false;
        groups.set(group, seq);
        return;
      }
      // A new groups: map goes right after members:, where a reader looks for it.
      const node = doc.createNode({ [group]: seq });
      const top = doc.contents;
      const at = isMap(top) ? top.items.findIndex((p) => isScalar(p.key) && p.key.value === "members") : -1;
      if (isMap(top) && at >= 0) top.items.splice(at + 1, 0, new Pair(new Scalar("groups"), node));
      else doc.set("groups", node);
    },
    removeMember(name) {
      doc.deleteIn(["members", name]);
      const removedFrom: string[] = [];
      const dropFrom = (path: (string | number)[], where: string) => {
        const seq = doc.getIn(path, true);
        if (!isSeq(seq)) return;
        const before = seq.items.length;
        seq.items = seq.items.filter((n) => (n as { value?: unknown }).value !== name);
        if (seq.items.length !== before) removedFrom.push(where);
      };
      for (const g of Object.keys(data.groups ?? {})) dropFrom(["groups", g], `groups.${g}`);
      for (const [i] of (data.rules ?? []).entries()) {
        dropFrom(["rules", i, "readers"], `rules[${i}].readers`);
        dropFrom(["rules", i, "approvers"], `rules[${i}].approvers`);
      }
      return removedFrom;
    },
    addRule(rule) {
      const node = doc.createNode({}) as YAMLMap;
      const match = doc.createNode(rule.match) as Scalar;
      match.type = "QUOTE_DOUBLE";
      node.set("match", match);
      for (const field of ["readers", "approvers"] as const) {
        const names = rule[field];
        if (names === undefined || names.length === 0) continue;
        const seq = doc.createNode([...names]) as YAMLSeq;
        seq.flow = true;
        node.set(field, seq);
      }
      const rules = doc.get("rules", true);
      if (isSeq(rules)) {
        rules.flow = false;
        rules.add(node);
        return;
      }
      const seq = new YAMLSeq();
      seq.add(node);
      const key = new Scalar("rules");
      // Comments after the last key (init's words on rules) go with the rules, above them.
      if (doc.comment) {
        key.commentBefore = doc.comment;
        key.spaceBefore = true;
        doc.comment = null;
      }
      if (isMap(doc.contents)) doc.contents.items.push(new Pair(key, seq));
      else doc.set("rules", seq);
    },
    addToRule(index, field, names) {
      const seq = doc.getIn(["rules", index, field], true);
      if (isSeq(seq)) {
        for (const n of names) seq.add(doc.createNode(n));
        return;
      }
      const fresh = doc.createNode([...names]) as YAMLSeq;
      fresh.flow = true;
      doc.setIn(["rules", index, field], fresh);
    },
    removeFromRule(index, field, names) {
      const seq = doc.getIn(["rules", index, field], true);
      if (!isSeq(seq)) return;
      seq.items = seq.items.filter((n) => !names.includes(String((n as { value?: unknown }).value)));
      if (seq.items.length === 0) doc.deleteIn(["rules", index, field]);
    },
    removeRules(indexes) {
      const rules = doc.get("rules", true);
      if (!isSeq(rules)) return;
      const drop = new Set(indexes);
      rules.items = rules.items.filter((_, i) => !drop.has(i));
      if (rules.items.length > 0 || !isMap(doc.contents)) return;
      // No rules left: no `rules: []` either (a person adding a rules: block by hand would write it twice).
      const at = doc.contents.items.findIndex((p) => isScalar(p.key) && p.key.value === "rules");
      const [pair] = doc.contents.items.splice(at, 1);
      const words = isScalar(pair?.key) ? pair.key.commentBefore : undefined;
      if (words) doc.comment = doc.comment ? `${words}\n${doc.comment}` : words;
    },
  };
}
