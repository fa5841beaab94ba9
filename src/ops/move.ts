/**
 * `mv`: gives a secret another id. Every version's plaintext binds it to its
 * id (core/envelope.ts), so every version is decrypted and encrypted anew,
 * bound to the new id, for the new id's readers; numbers, dates and stages
 * stay, and the manifest records where it came from (`renamedFrom`), which
 * `diff` and `audit` show as a rename.
 */
import { recipientKey } from "../core/access.js";
import type { SecretVersion } from "../core/model.js";
import { stageNames } from "../core/stages.js";
import { LockstepError, NoIdentityError } from "../errors.js";
import { moveManifest, readManifest } from "../storage/manifests.js";
import { commitWritten, ensureCanCommit } from "./commit.js";
import type { Session } from "./session.js";
import { decryptVersion, encryptVersion, recipientsOf } from "./versions.js";

/** Options of {@link moveSecret}. */
export interface MoveOptions {
  /** Commit the rename (the old manifest's removal and the new one). */
  commit?: boolean;
}

/** What `mv` did. */
export interface MoveResult {
  from: string;
  to: string;
  /** The new manifest, repository-relative. */
  file: string;
  versions: number[];
  stages: Record<string, number>;
  /** Members that could read the old id's versions and are not readers of the new id (they keep what they could read). */
  formerReaders: string[];
  commit?: string;
}

/**
 * Renames a secret, re-encrypting every version bound to the new id.
 * Nothing is written unless every version could be.
 * @throws LockstepError `ALREADY_EXISTS`, `UNKNOWN_SECRET`, `USAGE` (environments with other stages), `NO_READERS`; NoIdentityError (exit 3) naming who can do it; IntegrityError.
 */
export async function moveSecret(
  session: Session,
  options: MoveOptions & { from: string; to: string },
): Promise<MoveResult> {
  const src = session.secretId(options.from);
  const dst = session.secretId(options.to);
  if (src.id === dst.id) throw new LockstepError("USAGE", `${src.id} is already its id`);
  const srcStages = stageNames(src.environment);
  const dstStages = stageNames(dst.environment);
  if (srcStages.join(",") !== dstStages.join(",")) {
    throw new LockstepError(
      "USAGE",
      `${src.id} cannot move to ${dst.id}: its stages (${srcStages.join(", ")}) are not those of ${dst.env} (${dstStages.join(", ")})`,
      { fix: `create it in ${dst.env} with \`lockstep set ${dst.id}\` instead` },
    );
  }
  const recipients = recipientsOf(session, dst.id);
  const from = session.files.manifestFile(src.id);
  const to = session.files.manifestFile(dst.id);
  const [first, second] = [from, to].sort();
  if (options.commit) await ensureCanCommit(session);
  const result = await session.files.withLock(first as string, () =>
    session.files.withLock(second as string, async (): Promise<MoveResult> => {
      if (await readManifest(session.files, dst.id)) {
        throw new LockstepError("ALREADY_EXISTS", `${dst.id} exists already`, {
          file: to,
          fix: `choose another id, or delete it first (\`lockstep rm ${dst.id}\`)`,
        });
      }
      const m = await session.manifest(src.id);
      const updates = new Map<number, SecretVersion>();
      const kept = new Set(recipients.list.map(recipientKey));
      const formerReaders = new Set<string>();
      for (const v of m.data.versions) {
        let value: Uint8Array;
        try {
          value = await decryptVersion(session, src.id, v, from);
        } catch (e) {
          if (!(e instanceof NoIdentityError)) throw e;
          const members = new Set(m.data.versions.flatMap((x) => x.recipients.map((r) => r.member)));
          const can = [...members].filter((n) =>
            m.data.versions.every((x) => x.recipients.some((r) => r.member === n)),
          );
          throw new NoIdentityError(
            `mv must decrypt every version of ${src.id} to bind it to ${dst.id}, and none of your identities opens version ${v.version}; nothing was written`,
            {
              file: from,
              fix: `ask someone who reads every version to run it: ${can.sort().join(", ") || "no member reads them all; rekey first"}`,
              cause: e,
            },
          );
        }
        const next = await encryptVersion(session, dst.id, v.version, value, recipients, v.created);
        const former = [...v.recipients, ...(v.formerRecipients ?? [])].filter(
          (r, i, all) => !kept.has(recipientKey(r)) && all.findIndex((o) => recipientKey(o) === recipientKey(r)) === i,
        );
        for (const r of v.recipients) if (!kept.has(recipientKey(r))) formerReaders.add(r.member);
        updates.set(v.version, { ...next, formerRecipients: former });
      }
      await moveManifest(session.files, m, dst.id, updates);
      return {
        from: src.id,
        to: dst.id,
        file: to,
        versions: m.data.versions.map((v) => v.version).sort((a, b) => a - b),
        stages: m.data.stages,
        formerReaders: [...formerReaders].sort(),
      };
    }),
  );
  if (!options.commit) return result;
  const commit = await commitWritten(
    session,
    [from, to],
    `lockstep mv: ${src.id} -> ${dst.id}\n\nEvery version re-encrypted, bound to the new id.\n`,
  );
  return commit === undefined ? result : { ...result, commit };
}
