/**
 * `member ls`: the members of access.yaml, their groups and keys, and what
 * each reads: the rules that make it a reader, the secrets those cover, and
 * those of them it cannot open yet because they await a `rekey`.
 */
import { expandNames, readersOf } from "../core/access.js";
import type { AccessConfig, SecretManifest } from "../core/model.js";
import { liveVersions } from "../core/stages.js";
import { readManifest } from "../storage/manifests.js";
import { BULK_CONCURRENCY, mapLimit } from "./pool.js";
import type { Session } from "./session.js";

/** One member as `member ls` shows it. */
export interface MemberInfo {
  name: string;
  github?: string;
  /** Its age recipients, as access.yaml lists them. */
  recipients: string[];
  /** The groups it belongs to, directly or through other groups, sorted. */
  groups: string[];
  /** The `match` of every rule that makes it a reader. */
  reads: string[];
  /** The `match` of every rule that makes it an approver. */
  approves: string[];
  /** The secrets it is a reader of today, sorted. */
  secrets: string[];
  /** Of those, the ones with a live version not encrypted to every key of its: they need a `rekey` first. */
  awaitingRekey: string[];
}

/** What `member ls` reports. */
export interface MembersReport {
  members: MemberInfo[];
  /** Each group and its members (groups expanded), sorted by name. */
  groups: { name: string; members: string[] }[];
}

/** The groups that hold `member`, directly or through groups of groups. */
function groupsOf(access: AccessConfig, member: string): string[] {
  return Object.keys(access.groups ?? {})
    .filter((g) => expandNames(access, [g]).includes(member))
    .sort();
}

/** The `match` of the rules whose `field` names `member` (or a group holding it). */
function rulesOf(access: AccessConfig, member: string, field: "readers" | "approvers"): string[] {
  return (access.rules ?? []).filter((r) => expandNames(access, r[field] ?? []).includes(member)).map((r) => r.match);
}

/** Whether a live version of `m` lacks one of `keys` among its recipients. */
function lacks(m: SecretManifest, member: string, keys: readonly string[]): boolean {
  const live = liveVersions(m);
  return m.versions.some(
    (v) => live.has(v.version) && keys.some((k) => !v.recipients.some((r) => r.member === member && r.key === k)),
  );
}

/**
 * Every member with its groups, keys and what it reads; every group with
 * its members. Reads manifests' metadata only: no key is needed.
 */
export async function listMembers(session: Session): Promise<MembersReport> {
  const access = session.access;
  const ids = await session.files.listSecretIds();
  const manifests = await readAll(session, ids);
  const members = Object.entries(access.members)
    .map(([name, m]): MemberInfo => {
      const reads = rulesOf(access, name, "readers");
      const secrets = reads.length === 0 ? [] : ids.filter((id) => readersOf(access, id).includes(name));
      return {
        name,
        ...(m.github !== undefined && { github: m.github }),
        recipients: [...m.recipients],
        groups: groupsOf(access, name),
        reads,
        approves: rulesOf(access, name, "approvers"),
        secrets,
        awaitingRekey: secrets.filter((id) => {
          const manifest = manifests.get(id);
          return manifest !== undefined && lacks(manifest, name, m.recipients);
        }),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  const groups = Object.keys(access.groups ?? {})
    .sort()
    .map((name) => ({ name, members: expandNames(access, [name]) }));
  return { members, groups };
}

/**
 * The secrets `member` reads today whose live versions are not encrypted to
 * every key of its yet: what a `rekey` must do before it can read them.
 */
export async function awaitingRekey(session: Session, member: string): Promise<string[]> {
  const access = session.access;
  const keys = access.members[member]?.recipients ?? [];
  const covered = (await session.files.listSecretIds()).filter((id) => readersOf(access, id).includes(member));
  const manifests = await readAll(session, covered);
  return covered.filter((id) => {
    const m = manifests.get(id);
    return m !== undefined && lacks(m, member, keys);
  });
}

/** The manifests of `ids` that can be read (a broken one is `check`'s to report). */
async function readAll(session: Session, ids: readonly string[]): Promise<Map<string, SecretManifest>> {
  const read = await mapLimit(ids, BULK_CONCURRENCY, async (id) => {
    try {
      return [id, (await readManifest(session.files, id))?.data] as const;
    } catch {
      return [id, undefined] as const;
    }
  });
  return new Map(read.flatMap(([id, m]) => (m ? [[id, m] as const] : [])));
}
