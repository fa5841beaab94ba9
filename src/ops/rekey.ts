/**
 * `rekey`: re-encrypts versions for the readers of today. Values and version
 * numbers stay; who loses access is remembered as `formerRecipients`, since
 * they keep what they could read until a new version replaces it.
 */
import { recipientKey, sameRecipients } from "../core/access.js";
import type { RekeyResult, Repository } from "../repository.js";
import { withFileLock } from "../storage/fs.js";
import { replaceVersionCiphertext } from "./manifest-doc.js";
import { BULK_CONCURRENCY, mapLimit } from "./pool.js";

/**
 * Re-encrypts every version whose recipients differ from the secret's
 * readers today (all secrets, or those named), 16 secrets at a time.
 */
export async function rekeySecrets(repo: Repository, ids?: readonly string[]): Promise<RekeyResult[]> {
  const targets = ids && ids.length > 0 ? ids.map((i) => repo.secretId(i).id) : await repo.files.listSecretIds();
  const rekeyed = await mapLimit(targets, BULK_CONCURRENCY, async (id): Promise<RekeyResult> => {
    const recipients = repo.parsedRecipients(id);
    const file = repo.files.manifestFile(id);
    const done = await withFileLock(repo.files.abs(file), file, async () => {
      const manifest = await repo.readManifest(id);
      const stale = manifest.data.versions.filter((v) => !sameRecipients(v.recipients, recipients.list));
      for (const v of stale) {
        const value = await repo.decryptVersion(id, v, manifest.file);
        const next = await repo.encryptVersion(id, v.version, value, recipients, v.created);
        // Who loses access keeps what they could read: remember them, so check reports the exposure.
        const kept = new Set(next.recipients.map(recipientKey));
        const former = [...v.recipients, ...(v.formerRecipients ?? [])].filter(
          (r, i, all) => !kept.has(recipientKey(r)) && all.findIndex((o) => recipientKey(o) === recipientKey(r)) === i,
        );
        replaceVersionCiphertext(manifest.doc, { ...next, formerRecipients: former });
      }
      if (stale.length > 0) await repo.files.writeDocument(file, manifest.doc);
      return stale.map((v) => v.version);
    });
    return { id, versions: done };
  });
  return rekeyed.filter((r) => r.versions.length > 0);
}
