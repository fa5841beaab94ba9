/**
 * `rekey`: re-encrypts versions for the readers of today. Values and version
 * numbers stay; who loses access is remembered as `formerRecipients`, since
 * they keep what they could read until a new version replaces it.
 */
import { recipientKey, sameRecipients } from "../core/access.js";
import { openEnvelopeBytes } from "../core/envelope.js";
import { assertRecordedId, assertVersionList } from "../core/manifest-integrity.js";
import type { SecretVersion } from "../core/model.js";
import { addRecipientsArmored, withCryptoWorkers } from "../crypto/index.js";
import { NoIdentityError } from "../errors.js";
import { replaceManifestVersions } from "../storage/manifests.js";
import { commitChange, ensureCanCommit } from "./commit.js";
import { BULK_CONCURRENCY, mapLimit } from "./pool.js";
import type { Session } from "./session.js";
import { decryptVersion, encryptVersion, type Recipients, recipientsOf } from "./versions.js";

/** What `rekey` re-encrypted, and what it could not. */
export interface RekeyResult {
  id: string;
  versions: number[];
  /** Members who could read one of these versions before, and no longer can through it. */
  removed: string[];
  /**
   * Versions that need a rekey which none of this process's identities can
   * open: left as they were, with the members who can rekey them (those the
   * version is encrypted to, readers today first).
   */
  skipped?: { version: number; canRekey: string[] }[];
  /** With `commit`: the commit that recorded the rekey (the same for every secret). */
  commit?: string;
}

/**
 * Re-encrypts every version whose recipients differ from the secret's
 * readers today (all secrets, or those named), 16 secrets at a time,
 * holding the repository's bulk lock. A version that none of this
 * process's identities opens is left as it is and listed in `skipped`
 * with who can rekey it; everything else is still done. Returns the
 * secrets that changed or were skipped. With `commit`, the manifests that
 * changed are committed in one commit.
 * @throws LockstepError `NOT_COMMITTED` with `commit` (before anything is
 *   written when git cannot commit or a target manifest has uncommitted changes).
 */
export async function rekeySecrets(
  session: Session,
  options: { ids?: readonly string[]; commit?: boolean } = {},
): Promise<RekeyResult[]> {
  const targets =
    options.ids && options.ids.length > 0 ? options.ids.map((i) => session.secretId(i).id) : await session.secretIds();
  if (options.commit)
    await ensureCanCommit(
      session,
      targets.map((id) => session.files.manifestFile(id)),
    );
  const results = await rekeyOnly(session, targets);
  const changed = results.filter((r) => r.versions.length > 0);
  if (!options.commit || changed.length === 0) return results;
  const body = changed.map(
    (r) =>
      `${r.id}: version${r.versions.length === 1 ? "" : "s"} ${[...r.versions].sort((a, b) => a - b).join(", ")}${r.removed.length > 0 ? ` (no longer: ${r.removed.join(", ")})` : ""}`,
  );
  const n = changed.length;
  const message = `lockstep rekey: ${n} secret${n === 1 ? "" : "s"} re-encrypted to their readers\n\n${body.join("\n")}\n`;
  const hash = await commitChange(
    session,
    changed.map((r) => session.files.manifestFile(r.id)),
    message,
  );
  return results.map((r) => (r.versions.length > 0 ? { ...r, commit: hash } : r));
}

async function rekeyOnly(session: Session, targets: readonly string[]): Promise<RekeyResult[]> {
  const plans = targets.map((id) => ({ id, recipients: recipientsOf(session, id) }));
  // The worker pool sizes itself from the work it sees (src/crypto/workers.ts). An identity that
  // cannot be used here (an encrypted file and no terminal) fails every version before any write.
  const rekeyed = await session.files.withBulkLock(() => withCryptoWorkers(() => rekeyAll(session, plans)));
  return rekeyed.filter((r) => r.versions.length > 0 || (r.skipped?.length ?? 0) > 0);
}

function rekeyAll(session: Session, plans: readonly { id: string; recipients: Recipients }[]): Promise<RekeyResult[]> {
  return mapLimit(plans, BULK_CONCURRENCY, async ({ id, recipients }): Promise<RekeyResult> => {
    const file = session.files.manifestFile(id);
    const done = await session.files.withLock(file, async () => {
      const manifest = await session.manifest(id);
      // Versions are replaced by number: two of one number, or bound elsewhere, would be merged into one silently.
      assertRecordedId(id, manifest.data, manifest.file);
      assertVersionList(id, manifest.data, manifest.file);
      const stale = manifest.data.versions.filter((v) => !sameRecipients(v.recipients, recipients.list));
      const updates = new Map<number, SecretVersion>();
      const removed = new Set<string>();
      const skipped: { version: number; canRekey: string[] }[] = [];
      for (const v of stale) {
        let next: SecretVersion;
        try {
          next = await reencrypt(session, id, v, recipients, manifest.file);
        } catch (e) {
          if (!(e instanceof NoIdentityError)) throw e;
          skipped.push({ version: v.version, canRekey: whoCanOpen(v, recipients) });
          continue;
        }
        // Who loses access keeps what they could read: remember them, so check reports the exposure.
        const kept = new Set(next.recipients.map(recipientKey));
        const former = [...v.recipients, ...(v.formerRecipients ?? [])].filter(
          (r, i, all) => !kept.has(recipientKey(r)) && all.findIndex((o) => recipientKey(o) === recipientKey(r)) === i,
        );
        updates.set(v.version, { ...next, formerRecipients: former });
        for (const r of v.recipients) if (!kept.has(recipientKey(r))) removed.add(r.member);
      }
      if (updates.size > 0) await replaceManifestVersions(session.files, manifest, updates);
      return {
        versions: [...updates.keys()],
        removed: [...removed].sort(),
        ...(skipped.length > 0 && { skipped }),
      };
    });
    return { id, ...done };
  });
}

/** The members a version is encrypted to, those still readers first: who can open it to rekey it. */
export function whoCanOpen(v: SecretVersion, readers: Recipients): string[] {
  const members = [...new Set(v.recipients.map((r) => r.member))];
  const today = new Set(readers.list.map((r) => r.member));
  return [...members.filter((m) => today.has(m)), ...members.filter((m) => !today.has(m))];
}

/**
 * One version for new recipients. When readers were only added, the file
 * keeps its file key and payload and gains a stanza per new reader (one
 * X25519 operation each, not one per reader); when anyone leaves, the value
 * is encrypted anew under a fresh file key. Either way the value is
 * decrypted and its binding checked first.
 */
async function reencrypt(
  session: Session,
  id: string,
  v: SecretVersion,
  recipients: Recipients,
  file: string,
): Promise<SecretVersion> {
  const identities = await session.identities();
  const order = v.recipients.map((r) => r.key);
  const added = await addRecipientsArmored(v.ciphertext, identities, order, recipients.keys);
  if (added) {
    openEnvelopeBytes(added.plaintext, { id, version: v.version }, file);
    return { version: v.version, created: v.created, recipients: recipients.list, ciphertext: added.armored };
  }
  const value = await decryptVersion(session, id, v, file);
  return encryptVersion(session, id, v.version, value, recipients, v.created);
}
