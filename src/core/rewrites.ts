/**
 * A secret's versions against an earlier state of its manifest (a base
 * revision), with no key: versions are immutable, so a version that keeps
 * its number may change only by a rekey, which re-encrypts it for the
 * readers of today (its recipients become exactly them). Anything else that
 * changes a version's ciphertext or recipients rewrote it: a forged value
 * looks just like this. Versions may also disappear (pruned, or removed by
 * hand) or reappear under another number, where their binding refuses them.
 *
 * Shared by `check --base` (findings) and `diff` (what a change does).
 */
import { recipientKey, sameRecipients } from "./access.js";
import type { SecretManifest, SecretVersion, VersionRecipient } from "./model.js";

/** Why a version that kept its number counts as rewritten. */
export interface RewrittenVersion {
  version: number;
  /** A sentence for the finding (no value, no ciphertext). */
  why: string;
}

/** How a secret's versions changed against the base. */
export interface VersionsAgainstBase {
  /** Versions whose ciphertext and recipients changed, the recipients to exactly today's readers: a rekey. */
  rekeyed: number[];
  /** Versions that kept their number and changed otherwise. */
  rewritten: RewrittenVersion[];
  /** Base versions whose ciphertext now stands under another number of the same secret. */
  renumbered: { from: number; to: number }[];
  /** Base versions that are gone, their ciphertext nowhere in the manifest. */
  removed: number[];
}

/** A ciphertext as compared: armor lines joined, so a re-wrapped armor of the same bytes is the same. */
export function ciphertextKey(ciphertext: string): string {
  return ciphertext.replace(/\s+/g, "");
}

/**
 * Classifies one version that kept its number: unchanged (`undefined`), a
 * rekey, or rewritten (with why).
 * @param readers the recipients of the secret today (from access.yaml), or
 *   `undefined` when access.yaml cannot say (then any change of both the
 *   ciphertext and the recipients passes as a rekey).
 */
export function classifyVersion(
  before: SecretVersion,
  after: SecretVersion,
  readers: readonly VersionRecipient[] | undefined,
): "rekey" | RewrittenVersion | undefined {
  const version = after.version;
  const cipherChanged = ciphertextKey(before.ciphertext ?? "") !== ciphertextKey(after.ciphertext ?? "");
  const recipientsChanged = !sameRecipients(before.recipients ?? [], after.recipients ?? []);
  const dropped = droppedFormer(before, after);
  let result: "rekey" | RewrittenVersion | undefined;
  if (cipherChanged && !recipientsChanged) {
    result = {
      version,
      why: `version ${version}'s ciphertext changed though its recipients did not: a rekey changes both, so this is another ciphertext under the same number`,
    };
  } else if (!cipherChanged && recipientsChanged) {
    result = {
      version,
      why: `version ${version}'s recipients changed but its ciphertext did not: the list no longer says who can decrypt it`,
    };
  } else if (cipherChanged && recipientsChanged) {
    result =
      readers === undefined || sameRecipients(after.recipients ?? [], readers)
        ? "rekey"
        : {
            version,
            why: `version ${version}'s ciphertext and recipients changed, but not to its readers today: not a rekey`,
          };
  }
  if (dropped.length > 0 && (result === undefined || result === "rekey")) {
    return {
      version,
      why: `version ${version} no longer records ${dropped.join(", ")} as former recipients, who could decrypt it and are not recipients now`,
    };
  }
  return result;
}

/** Members a version recorded as former recipients at the base, recorded nowhere now. */
function droppedFormer(before: SecretVersion, after: SecretVersion): string[] {
  const now = new Set([...(after.recipients ?? []), ...(after.formerRecipients ?? [])].map(recipientKey));
  const gone = (before.formerRecipients ?? []).filter((r) => !now.has(recipientKey(r)));
  return [...new Set(gone.map((r) => r.member))].sort();
}

/**
 * Compares a secret's versions with its base manifest.
 * @param readers see {@link classifyVersion}.
 */
export function versionsAgainstBase(
  base: SecretManifest,
  now: SecretManifest,
  readers: readonly VersionRecipient[] | undefined,
): VersionsAgainstBase {
  const out: VersionsAgainstBase = { rekeyed: [], rewritten: [], renumbered: [], removed: [] };
  const baseVersions = base.versions ?? [];
  const nowVersions = now.versions ?? [];
  const baseByCipher = new Map(baseVersions.map((v) => [ciphertextKey(v.ciphertext ?? ""), v.version]));
  const nowCiphers = new Set<string>();
  for (const v of nowVersions) {
    const key = ciphertextKey(v.ciphertext ?? "");
    nowCiphers.add(key);
    const from = baseByCipher.get(key);
    if (from !== undefined && from !== v.version) out.renumbered.push({ from, to: v.version });
  }
  const nowByNumber = new Map<number, SecretVersion>();
  for (const v of nowVersions) if (!nowByNumber.has(v.version)) nowByNumber.set(v.version, v);
  const seen = new Set<number>();
  for (const b of baseVersions) {
    if (seen.has(b.version)) continue;
    seen.add(b.version);
    const a = nowByNumber.get(b.version);
    if (!a) {
      if (!nowCiphers.has(ciphertextKey(b.ciphertext ?? ""))) out.removed.push(b.version);
      continue;
    }
    const c = classifyVersion(b, a, readers);
    if (c === "rekey") out.rekeyed.push(b.version);
    else if (c !== undefined) out.rewritten.push(c);
  }
  const byNumber = (x: number, y: number) => x - y;
  out.rekeyed.sort(byNumber);
  out.removed.sort(byNumber);
  out.rewritten.sort((x, y) => x.version - y.version);
  out.renumbered.sort((x, y) => x.from - y.from);
  return out;
}
