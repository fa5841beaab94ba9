/**
 * `member add`: a member of access.yaml, or more keys for one, and the
 * groups it belongs to. The file keeps its comments and order.
 */
import { AgeRecipient, recipientText } from "../crypto/index.js";
import { LockstepError, UsageError } from "../errors.js";
import { editAccess } from "../storage/access-file.js";
import { ACCESS_FILE } from "../storage/layout.js";
import { commitIfAsked, ensureCanCommit } from "./commit.js";
import { awaitingRekey } from "./list-members.js";
import { type RekeyResult, rekeySecrets } from "./rekey.js";
import type { Session } from "./session.js";

/** Options of {@link addMember}. */
export interface AddMemberOptions {
  /** age recipients; at least one. */
  keys: readonly string[];
  /** GitHub user name, for CODEOWNERS. */
  github?: string;
  /** Groups to add the member to, made if new. */
  groups?: readonly string[];
  /** Also rekey the secrets it now reads, so that it can open them (needs a reader's key). */
  rekey?: boolean;
  /** Commit access.yaml (and, with `rekey`, the manifests it rekeyed) with a message saying what changed. */
  commit?: boolean;
}

/** What `member add` changed. */
export interface AddMemberResult {
  name: string;
  created: boolean;
  addedKeys: string[];
  /** Groups it joined (not those it was in already). */
  groups: string[];
  /**
   * Secrets it reads now whose live versions are not encrypted to its keys
   * yet: it cannot open them until a `rekey` (left after `rekey` only where
   * none of our identities could open them).
   */
  needsRekey: string[];
  /** With `rekey`: what the rekey did. */
  rekeyed?: RekeyResult[];
  /** With `commit`: the commit that recorded it. */
  commit?: string;
}

/** Member and group names. */
export const MEMBER_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * Adds a member, or more keys to an existing one, and puts it in groups.
 * @throws UsageError for a bad name; LockstepError `INVALID_KEY` for a bad recipient, `ALREADY_EXISTS` for a name
 * taken by a group (or a group name taken by a member), or a key another member holds (an SSH key's comment aside).
 */
export async function addMember(
  session: Session,
  options: AddMemberOptions & { name: string },
): Promise<AddMemberResult> {
  const { name } = options;
  if (!MEMBER_NAME.test(name)) {
    throw new UsageError(`"${name}" is not a valid member name (letters, digits, '.', '_', '-')`);
  }
  if (options.keys.length === 0) throw new UsageError("member add needs at least one --key age1...");
  for (const k of options.keys) AgeRecipient.parse(k);
  if (options.commit) {
    // With rekey, any manifest may be rewritten: none may carry changes of its own into the commit.
    const manifests = options.rekey ? (await session.secretIds()).map((id) => session.files.manifestFile(id)) : [];
    await ensureCanCommit(session, [ACCESS_FILE, ...manifests]);
  }
  const result = await editAccess(session.files, (data, edit): Omit<AddMemberResult, "needsRekey"> => {
    if (data.groups?.[name] !== undefined) {
      throw new LockstepError("ALREADY_EXISTS", `access.yaml: "${name}" is already a group`, {
        file: ACCESS_FILE,
        fix: "members and groups share one namespace; choose another name",
      });
    }
    for (const k of options.keys) {
      const text = recipientText(k);
      const holder = Object.entries(data.members).find(
        ([other, m]) => other !== name && m.recipients.some((r) => recipientText(r) === text),
      )?.[0];
      if (holder !== undefined) {
        throw new LockstepError("ALREADY_EXISTS", `access.yaml: member ${holder} already holds this key`, {
          file: ACCESS_FILE,
          fix: `a key belongs to one member: whoever holds it reads as both, and removing one leaves it a reader; give ${name} a key of its own (\`lockstep keygen\`)`,
        });
      }
    }
    const existing = data.members[name];
    const held = new Set(existing?.recipients.map(recipientText));
    const addedKeys = options.keys.filter((k) => !held.has(recipientText(k)));
    if (existing) {
      edit.addRecipients(name, addedKeys);
      if (options.github !== undefined) edit.setGithub(name, options.github);
    } else {
      edit.addMember(name, options.keys, options.github);
    }
    const joined: string[] = [];
    for (const g of options.groups ?? []) {
      if (!MEMBER_NAME.test(g)) throw new UsageError(`"${g}" is not a valid group name`);
      if (data.members[g] !== undefined) {
        throw new LockstepError("ALREADY_EXISTS", `access.yaml: "${g}" is a member, not a group`, {
          file: ACCESS_FILE,
        });
      }
      if (data.groups?.[g]?.includes(name)) continue;
      edit.addToGroup(g, name);
      joined.push(g);
    }
    return { name, created: !existing, addedKeys, groups: joined };
  });
  await session.reloadAccess();
  const changed = result.created || result.addedKeys.length > 0 || result.groups.length > 0;
  const what = [
    ...(!result.created && result.addedKeys.length > 0 ? [`${result.addedKeys.length} new key(s)`] : []),
    ...(result.groups.length > 0 ? [`groups: ${result.groups.join(", ")}`] : []),
  ];
  const needsRekey = await awaitingRekey(session, name);
  let done: AddMemberResult = { ...result, needsRekey };
  if (options.rekey && needsRekey.length > 0) {
    const rekeyed = await rekeySecrets(session, { ids: needsRekey });
    done = { ...result, needsRekey: await awaitingRekey(session, name), rekeyed };
  }
  const rekeyedFiles = (done.rekeyed ?? [])
    .filter((r) => r.versions.length > 0)
    .map((r) => session.files.manifestFile(r.id));
  if (rekeyedFiles.length > 0) what.push(`rekeyed ${rekeyedFiles.length} secret(s)`);
  const message = `lockstep member add: ${result.created ? "" : "updated "}${name}${what.length > 0 ? ` (${what.join("; ")})` : ""}\n`;
  const paths = [...(changed ? [ACCESS_FILE] : []), ...rekeyedFiles];
  return commitIfAsked(session, options.commit, done, paths, message);
}
