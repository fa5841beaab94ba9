/**
 * `member add` and `member rm`: edits of access.yaml that keep its comments
 * and order.
 */
import { isMap, isSeq, type YAMLMap, type YAMLSeq } from "yaml";
import { AgeRecipient } from "../crypto/keys.js";
import { LockstepError, UsageError } from "../errors.js";
import { ACCESS_FILE, type RepositoryFiles } from "../storage/layout.js";

/** Options of {@link addMember}. */
export interface AddMemberOptions {
  /** age recipients; at least one. */
  keys: readonly string[];
  github?: string;
  groups?: readonly string[];
}

/** What `member add` changed. */
export interface AddMemberResult {
  name: string;
  created: boolean;
  addedKeys: string[];
  groups: string[];
}

const NAME = /^[A-Za-z0-9._-]+$/;

/**
 * Adds a member, or more keys to an existing one, and puts it in groups.
 * @throws LockstepError `INVALID_KEY` for a bad recipient.
 */
export async function addMember(
  files: RepositoryFiles,
  name: string,
  options: AddMemberOptions,
): Promise<AddMemberResult> {
  if (!NAME.test(name)) throw new UsageError(`"${name}" is not a valid member name (letters, digits, '.', '_', '-')`);
  if (options.keys.length === 0) throw new UsageError("member add needs at least one --key age1...");
  for (const k of options.keys) AgeRecipient.parse(k);
  return files.withLock(ACCESS_FILE, async () => {
    const access = await files.readAccess();
    const { data } = access;
    const doc = await access.document();
    if (data.groups?.[name] !== undefined) {
      throw new LockstepError("ALREADY_EXISTS", `access.yaml: "${name}" is already a group`, {
        file: ACCESS_FILE,
        fix: "members and groups share one namespace; choose another name",
      });
    }
    const existing = data.members[name];
    const addedKeys = options.keys.filter((k) => !existing?.recipients.includes(k));
    if (existing) {
      const seq = doc.getIn(["members", name, "recipients"], true) as YAMLSeq;
      for (const k of addedKeys) seq.add(doc.createNode(k));
      if (options.github !== undefined) doc.setIn(["members", name, "github"], options.github);
    } else {
      const node = doc.createNode({
        recipients: [...options.keys],
        ...(options.github !== undefined && { github: options.github }),
      }) as YAMLMap;
      const recipients = node.get("recipients", true);
      if (isSeq(recipients)) recipients.flow = true;
      const members = doc.get("members", true);
      if (isMap(members)) {
        members.flow = false;
        members.set(name, node);
      } else doc.set("members", doc.createNode({ [name]: node }));
    }
    const joined: string[] = [];
    for (const g of options.groups ?? []) {
      if (!NAME.test(g)) throw new UsageError(`"${g}" is not a valid group name`);
      if (data.members[g] !== undefined) {
        throw new LockstepError("ALREADY_EXISTS", `access.yaml: "${g}" is a member, not a group`, {
          file: ACCESS_FILE,
        });
      }
      const list = data.groups?.[g];
      if (list?.includes(name)) continue;
      if (list) (doc.getIn(["groups", g], true) as YAMLSeq).add(doc.createNode(name));
      else {
        const groups = doc.get("groups", true);
        const seq = doc.createNode([name]) as YAMLSeq;
        seq.flow = true;
        if (isMap(groups)) {
          groups.flow = false;
          groups.set(g, seq);
        } else doc.set("groups", doc.createNode({ [g]: seq }));
      }
      joined.push(g);
    }
    await files.writeDocument(ACCESS_FILE, doc);
    return { name, created: !existing, addedKeys, groups: joined };
  });
}

/** What `member rm` changed. */
export interface RemoveMemberResult {
  name: string;
  /** Groups and rules it was taken out of, as `groups.platform` or `rules[1].readers`. */
  removedFrom: string[];
}

/**
 * Removes a member and every mention of it in groups and rules. Versions
 * already encrypted to it stay readable by it: `check` reports them, and
 * `rotate` replaces them.
 * @throws LockstepError `UNKNOWN_MEMBER`.
 */
export async function removeMember(files: RepositoryFiles, name: string): Promise<RemoveMemberResult> {
  return files.withLock(ACCESS_FILE, async () => {
    const access = await files.readAccess();
    const { data } = access;
    const doc = await access.document();
    if (data.members[name] === undefined) {
      throw new LockstepError("UNKNOWN_MEMBER", `access.yaml has no member "${name}"`, {
        file: ACCESS_FILE,
        fix: `members are: ${Object.keys(data.members).join(", ") || "none"}`,
      });
    }
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
    await files.writeDocument(ACCESS_FILE, doc);
    return { name, removedFrom };
  });
}
