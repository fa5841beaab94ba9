/**
 * `lockstep check --base REV`: the rules that compare the working tree with
 * a base revision (the pull request's target branch). Versions are
 * immutable, so a version that exists at the base may change only by a
 * rekey for today's readers; one that was rewritten, renumbered, moved to
 * another secret or removed is a finding. With `--decrypt`, every version
 * re-encrypted under its number must still hold the value it held at the
 * base. See core/rewrites.ts for the comparison itself.
 */
import { openEnvelope } from "../core/envelope.js";
import { type Finding, finding } from "../core/findings.js";
import type { SecretManifest, SecretVersion, VersionRecipient } from "../core/model.js";
import { ciphertextKey, versionsAgainstBase } from "../core/rewrites.js";
import { type AgeIdentity, decryptArmored, withCryptoWorkers } from "../crypto/index.js";
import { LockstepError } from "../errors.js";
import type { YamlFile } from "../storage/yaml-file.js";
import { lineOf } from "./check-manifest.js";
import { BULK_CONCURRENCY, mapLimit } from "./pool.js";
import type { Session } from "./session.js";
import { snapshotAt } from "./snapshot.js";

/** What the base comparison needs of the rest of `check`. */
export interface BaseCheckInput {
  /** The base revision. */
  rev: string;
  /** The working tree's valid manifests. */
  manifests: readonly { id: string; m: YamlFile<SecretManifest> }[];
  /** The recipients a secret's versions must have today, when access.yaml says (throws for a secret with no readers). */
  recipientsOf: ((id: string) => VersionRecipient[]) | undefined;
  /** With `--decrypt`: the identities to open both sides with. */
  identities?: readonly AgeIdentity[];
}

/** One version to decrypt on both sides. */
interface ValueJob {
  id: string;
  m: YamlFile<SecretManifest>;
  index: number;
  before: SecretVersion;
  after: SecretVersion;
}

/**
 * Compares the working tree's manifests with the base revision and adds
 * the findings to `out`.
 * @returns with identities: the versions none of them could open on both sides.
 * @throws UsageError for an unknown revision; GitError.
 */
export async function checkAgainstBase(session: Session, input: BaseCheckInput, out: Finding[]): Promise<number> {
  const base = await snapshotAt(session.files, input.rev);
  const where = new Map<string, { id: string; version: number }>();
  for (const [id, m] of base.manifests) {
    for (const v of Array.isArray(m.versions) ? m.versions : []) {
      if (typeof v?.ciphertext === "string") where.set(ciphertextKey(v.ciphertext), { id, version: v.version });
    }
  }
  const present = new Set(input.manifests.map((x) => x.id));
  const moved = new Set<string>();
  const jobs: ValueJob[] = [];
  for (const { id, m } of input.manifests) {
    const file = m.file;
    for (const [i, v] of m.data.versions.entries()) {
      const from = where.get(ciphertextKey(v.ciphertext));
      if (!from || from.id === id) continue;
      moved.add(from.id);
      out.push(
        finding("manifest-moved", {
          file,
          id,
          ...(await lineOf(m, ["versions", i])),
          message: `version ${v.version}'s ciphertext is ${from.id} version ${from.version} at ${input.rev}: moved or copied by hand, it stays bound to ${from.id} (get and export refuse it, exit 4)`,
          fix: `to rename a secret: \`lockstep mv ${from.id} ${id}\` (re-encrypts every version for the new id); a stray copy: remove it`,
        }),
      );
    }
    const before = base.manifests.get(id);
    if (!before || !Array.isArray(before.versions)) continue;
    let readers: VersionRecipient[] | undefined;
    try {
      readers = input.recipientsOf?.(id);
    } catch {
      readers = undefined; // no readers: reported as no-readers
    }
    const cmp = versionsAgainstBase(before, m.data, readers);
    const indexOf = (n: number) => m.data.versions.findIndex((v) => v.version === n);
    for (const r of cmp.rewritten) {
      out.push(
        finding("version-rewritten", {
          file,
          id,
          ...(await lineOf(m, ["versions", indexOf(r.version)])),
          message: `${r.why} (against ${input.rev})`,
          fix: `versions are immutable: restore version ${r.version} as it is at ${input.rev} (\`git checkout ${input.rev} -- ${file}\`, then redo the intended change), and add a new value with \`lockstep set\``,
        }),
      );
    }
    for (const r of cmp.renumbered) {
      out.push(
        finding("version-renumbered", {
          file,
          id,
          ...(await lineOf(m, ["versions", indexOf(r.to)])),
          message: `version ${r.to} holds the ciphertext of version ${r.from} at ${input.rev}: bound to version ${r.from}, it is refused as version ${r.to} (exit 4)`,
          fix: `restore the versions as they are at ${input.rev} (\`git checkout ${input.rev} -- ${file}\`); a new version is added with \`lockstep set\`, which numbers and encrypts it`,
        }),
      );
    }
    if (cmp.removed.length > 0) {
      out.push(
        finding("version-removed", {
          file,
          id,
          ...(await lineOf(m, ["versions"])),
          message: `version${cmp.removed.length === 1 ? "" : "s"} ${cmp.removed.join(", ")} of ${id} ${cmp.removed.length === 1 ? "is" : "are"} gone against ${input.rev} (Git history still holds ${cmp.removed.length === 1 ? "it" : "them"})`,
          fix: `if that was not a deliberate prune, restore ${file} from ${input.rev}`,
        }),
      );
    }
    if (input.identities) {
      const baseByNumber = new Map(before.versions.map((v) => [v.version, v]));
      for (const n of [...cmp.rekeyed, ...cmp.rewritten.map((r) => r.version)]) {
        const b = baseByNumber.get(n);
        const index = indexOf(n);
        const a = m.data.versions[index];
        if (b && a) jobs.push({ id, m, index, before: b, after: a });
      }
    }
  }
  for (const [id, m] of base.manifests) {
    if (present.has(id) || moved.has(id) || !Array.isArray(m.versions)) continue;
    out.push(
      finding("version-removed", {
        file: session.files.manifestFile(id),
        id,
        message: `${id} is deleted against ${input.rev}, with its versions ${m.versions.map((v) => v.version).join(", ")} (Git history still holds them)`,
        fix: `if that was not meant, restore it: \`git checkout ${input.rev} -- ${session.files.manifestFile(id)}\``,
      }),
    );
  }
  return input.identities ? compareValues(jobs, input.identities, input.rev, out) : 0;
}

/** Decrypts each job's version at the base and now; a different value is a finding. Returns the jobs left unopened. */
async function compareValues(
  jobs: readonly ValueJob[],
  identities: readonly AgeIdentity[],
  rev: string,
  out: Finding[],
): Promise<number> {
  let unopened = 0;
  const open = async (id: string, v: SecretVersion, file: string) => {
    const bytes = await decryptArmored(
      v.ciphertext,
      identities,
      (v.recipients ?? []).map((r) => r.key),
      { file, what: `${id} version ${v.version}` },
    );
    return openEnvelope(bytes, { id, version: v.version }, file);
  };
  await withCryptoWorkers(() =>
    mapLimit(jobs, BULK_CONCURRENCY, async (job) => {
      let before: string;
      let after: string;
      try {
        before = await open(job.id, job.before, `${job.m.file} at ${rev}`);
        after = await open(job.id, job.after, job.m.file);
      } catch (e) {
        if (e instanceof LockstepError && (e.code === "NO_IDENTITY" || e.code === "INTEGRITY")) {
          // Unopened on one side; an integrity failure of the working tree's side is check --decrypt's finding.
          if (e.code === "NO_IDENTITY") unopened++;
          return;
        }
        throw e;
      }
      if (before === after) return;
      out.push(
        finding("version-rewritten", {
          file: job.m.file,
          id: job.id,
          ...(await lineOf(job.m, ["versions", job.index])),
          message: `version ${job.after.version} decrypts to another value than at ${rev}: versions are immutable, a new value is a new version`,
          fix: `restore version ${job.after.version} from ${rev} (\`git checkout ${rev} -- ${job.m.file}\`), and add the new value with \`lockstep set\``,
        }),
      );
    }),
  );
  return unopened;
}
