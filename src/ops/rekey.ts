/**
 * `rekey`: re-encrypts versions for the readers of today. Values and version
 * numbers stay; who loses access is remembered as `formerRecipients`, since
 * they keep what they could read until a new version replaces it.
 */
import { recipientKey, sameRecipients } from "../core/access.js";
import { openEnvelope } from "../core/envelope.js";
import type { SecretManifest, SecretVersion } from "../core/model.js";
import { addRecipientsArmored } from "../crypto/age.js";
import { withCryptoWorkers } from "../crypto/workers.js";
import type { RekeyResult, Repository } from "../repository.js";
import { rewriteManifest } from "../storage/manifest-emit.js";
import type { YamlFile } from "../storage/yaml-file.js";
import { replaceVersionCiphertext } from "./manifest-doc.js";
import { BULK_CONCURRENCY, mapLimit } from "./pool.js";

/**
 * Re-encrypts every version whose recipients differ from the secret's
 * readers today (all secrets, or those named), 16 secrets at a time,
 * holding the repository's bulk lock.
 */
export async function rekeySecrets(repo: Repository, ids?: readonly string[]): Promise<RekeyResult[]> {
  const targets = ids && ids.length > 0 ? ids.map((i) => repo.secretId(i).id) : await repo.files.listSecretIds();
  // Without an identity, nothing goes to threads; a version that needs one says so.
  const identities = await repo.loadIdentities().catch(() => []);
  const plans = targets.map((id) => ({ id, recipients: repo.parsedRecipients(id) }));
  // At most, every version is encrypted anew to all its readers.
  const stanzas = plans.reduce((n, p) => n + p.recipients.keys.length, 0);
  const rekeyed = await repo.files.withBulkLock(() =>
    withCryptoWorkers(stanzas, identities, () => rekeyAll(repo, plans)),
  );
  return rekeyed.filter((r) => r.versions.length > 0);
}

type Recipients = ReturnType<Repository["parsedRecipients"]>;

function rekeyAll(repo: Repository, plans: readonly { id: string; recipients: Recipients }[]): Promise<RekeyResult[]> {
  return mapLimit(plans, BULK_CONCURRENCY, async ({ id, recipients }): Promise<RekeyResult> => {
    const file = repo.files.manifestFile(id);
    const done = await repo.files.withLock(file, async () => {
      const manifest = await repo.readManifest(id);
      const stale = manifest.data.versions.filter((v) => !sameRecipients(v.recipients, recipients.list));
      const updates = new Map<number, SecretVersion>();
      const removed = new Set<string>();
      for (const v of stale) {
        const next = await reencrypt(repo, id, v, recipients, manifest.file);
        // Who loses access keeps what they could read: remember them, so check reports the exposure.
        const kept = new Set(next.recipients.map(recipientKey));
        const former = [...v.recipients, ...(v.formerRecipients ?? [])].filter(
          (r, i, all) => !kept.has(recipientKey(r)) && all.findIndex((o) => recipientKey(o) === recipientKey(r)) === i,
        );
        updates.set(v.version, { ...next, formerRecipients: former });
        for (const r of v.recipients) if (!kept.has(recipientKey(r))) removed.add(r.member);
      }
      if (updates.size > 0) await writeRekeyed(repo, manifest, updates);
      return { versions: stale.map((v) => v.version), removed: [...removed].sort() };
    });
    return { id, ...done };
  });
}

/**
 * One version for new recipients. When readers were only added, the file
 * keeps its file key and payload and gains a stanza per new reader (one
 * X25519 operation each, not one per reader); when anyone leaves, the value
 * is encrypted anew under a fresh file key. Either way the value is
 * decrypted and its binding checked first.
 */
async function reencrypt(
  repo: Repository,
  id: string,
  v: SecretVersion,
  recipients: Recipients,
  file: string,
): Promise<SecretVersion> {
  const identities = await repo.loadIdentities();
  const order = v.recipients.map((r) => r.key);
  const added = await addRecipientsArmored(v.ciphertext, identities, order, recipients.keys);
  if (added) {
    openEnvelope(added.plaintext, { id, version: v.version }, file);
    return { version: v.version, created: v.created, recipients: recipients.list, ciphertext: added.armored };
  }
  const value = await repo.decryptVersion(id, v, file);
  return repo.encryptVersion(id, v.version, value, recipients, v.created);
}

/** Writes the new ciphertexts: as lockstep writes a manifest, or through the Document API if edited by hand. */
async function writeRekeyed(
  repo: Repository,
  manifest: YamlFile<SecretManifest>,
  updates: ReadonlyMap<number, SecretVersion>,
): Promise<void> {
  const versions = manifest.data.versions.map((v) => {
    const u = updates.get(v.version);
    if (!u) return v;
    const { formerRecipients: _, ...rest } = v;
    const former = u.formerRecipients ?? [];
    // Key order as the Document edit leaves it: existing keys in place, a new one last, an empty list gone.
    return {
      ...(former.length > 0 ? v : rest),
      recipients: u.recipients,
      ciphertext: u.ciphertext,
      ...(former.length > 0 && { formerRecipients: former }),
    };
  });
  const text = rewriteManifest(manifest, { ...manifest.data, versions });
  if (text !== undefined) return repo.files.writeText(manifest.file, text);
  const doc = await manifest.document();
  for (const u of updates.values()) replaceVersionCiphertext(doc, u);
  return repo.files.writeDocument(manifest.file, doc);
}
