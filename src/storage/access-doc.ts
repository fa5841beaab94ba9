/**
 * Edits of access.yaml as a YAML document, so that its comments and order
 * survive. Loaded on first use by access-file.ts: it brings the `yaml`
 * package.
 */
import { type Document, isMap, isSeq, type YAMLMap, type YAMLSeq } from "yaml";
import type { AccessConfig } from "../core/model.js";

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
}

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
      } else doc.set("groups", doc.createNode({ [group]: seq }));
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
  };
}
