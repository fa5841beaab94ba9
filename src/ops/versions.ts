/**
 * Versions of a secret as ciphertexts: who a new version is encrypted to,
 * and encrypting and decrypting one, bound to its secret and number (see
 * core/envelope.ts).
 */
import { matchingRules, readersOf, recipientsFor } from "../core/access.js";
import { utf8Text } from "../core/bytes.js";
import { openEnvelopeBytes, sealEnvelope } from "../core/envelope.js";
import type { SecretVersion, VersionRecipient } from "../core/model.js";
import { type AgeIdentity, AgeRecipient, decryptArmored, encryptArmored, recipientText } from "../crypto/index.js";
import { LockstepError, NoIdentityError } from "../errors.js";
import type { Session } from "./session.js";

/** The readers of a secret as recipients: as the manifest lists them, and parsed. */
export interface Recipients {
  list: VersionRecipient[];
  keys: AgeRecipient[];
}

/**
 * The recipients of a new version of `id`: its readers' keys today.
 * @throws LockstepError `NO_READERS`, `INVALID_KEY`.
 */
export function recipientsOf(session: Session, id: string): Recipients {
  const list = recipientsFor(session.access, id);
  const keys = list.map((r) => {
    try {
      return AgeRecipient.parse(r.key);
    } catch (e) {
      throw new LockstepError("INVALID_KEY", `access.yaml: member ${r.member} has an invalid recipient`, {
        file: "access.yaml",
        fix: `replace it with the member's age1... public key (\`lockstep member add ${r.member} --key age1...\`)`,
        cause: e,
      });
    }
  });
  return { list, keys };
}

/**
 * Encrypts a value (bytes, or text as its UTF-8 bytes) as version `version`
 * of `id`, bound to it (`created`: default now).
 */
export async function encryptVersion(
  session: Session,
  id: string,
  version: number,
  value: Uint8Array | string,
  recipients: Recipients,
  created?: string,
): Promise<SecretVersion> {
  const ciphertext = await encryptArmored(sealEnvelope({ id, version, value }), recipients.keys);
  return {
    version,
    created:
      created ??
      session
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z"),
    recipients: recipients.list,
    ciphertext,
  };
}

/**
 * Decrypts one version of `id` (in `file`), checks its binding, and returns
 * the value's bytes, exactly.
 * @throws NoIdentityError (exit 3) saying whom the version is encrypted to
 *   and which rules decide its readers today; IntegrityError (exit 4).
 */
export async function decryptVersion(
  session: Session,
  id: string,
  v: SecretVersion,
  file: string,
): Promise<Uint8Array> {
  if (v.mergedFrom !== undefined) {
    throw new LockstepError(
      "CONFLICT",
      `${id} version ${v.version} is unfinished: a merge renumbered it from ${v.mergedFrom} without a key to re-encrypt it`,
      { file, fix: `lockstep resolve ${id} (with the key of one of: ${v.recipients.map((r) => r.member).join(", ")})` },
    );
  }
  return openVersion(session, id, v, v.version, file);
}

/** Decrypts `v` expecting its plaintext bound to `id` and `bound`; the value's bytes. */
async function openVersion(
  session: Session,
  id: string,
  v: SecretVersion,
  bound: number,
  file: string,
): Promise<Uint8Array> {
  const identities = await session.identities();
  let bytes: Uint8Array;
  try {
    bytes = await decryptArmored(
      v.ciphertext,
      identities,
      v.recipients.map((r) => r.key),
      { file, what: `${id} version ${bound}` },
    );
  } catch (e) {
    if (!(e instanceof NoIdentityError) || identities.length === 0) throw e;
    throw await notARecipient(session, id, v, identities, e);
  }
  return openEnvelopeBytes(bytes, { id, version: bound }, file);
}

/**
 * {@link decryptVersion} for callers that need text (a credential handed to
 * a rotation hook or a database).
 * @throws LockstepError `UNREPRESENTABLE_VALUE` when the value is not UTF-8 text; what {@link decryptVersion} throws.
 */
export async function decryptVersionText(
  session: Session,
  id: string,
  v: SecretVersion,
  file: string,
): Promise<string> {
  const text = utf8Text(await decryptVersion(session, id, v, file));
  if (text === undefined) {
    throw new LockstepError("UNREPRESENTABLE_VALUE", `${id} version ${v.version}: the value is not UTF-8 text`, {
      file,
      fix: "a credential that rotation hands on must be text; set it as text",
    });
  }
  return text;
}

/**
 * A version renumbered by a merge (`mergedFrom`), re-encrypted bound to its
 * new number, for the same recipients; its date stays.
 * @throws NoIdentityError (exit 3), IntegrityError (exit 4), LockstepError `INVALID_KEY`.
 */
export async function rebindVersion(
  session: Session,
  id: string,
  v: SecretVersion,
  file: string,
): Promise<SecretVersion> {
  const { mergedFrom, ...rest } = v;
  const value = await openVersion(session, id, v, mergedFrom ?? v.version, file);
  const keys = v.recipients.map((r) => {
    try {
      return AgeRecipient.parse(r.key);
    } catch (e) {
      throw new LockstepError("INVALID_KEY", `${id} version ${v.version} lists an invalid recipient of ${r.member}`, {
        file,
        cause: e,
      });
    }
  });
  const next = await encryptVersion(session, id, v.version, value, { list: v.recipients, keys }, v.created);
  return { ...rest, recipients: next.recipients, ciphertext: next.ciphertext };
}

/**
 * Why none of `identities` opens version `v` of `id`, and the way to get
 * access: whom the version is encrypted to, the rules that decide its
 * readers today (with their lines) and who they are, and whether the
 * identities are a member's, a reader's (then a `rekey` is missing) or
 * no one's.
 */
async function notARecipient(
  session: Session,
  id: string,
  v: SecretVersion,
  identities: readonly AgeIdentity[],
  cause: NoIdentityError,
): Promise<NoIdentityError> {
  const access = session.access;
  const keys = new Set(identities.flatMap((i) => (i.recipient === undefined ? [] : [i.recipient])));
  const me = Object.entries(access.members)
    .filter(([, m]) => m.recipients.some((r) => keys.has(r) || keys.has(recipientText(r))))
    .map(([name]) => name);
  const readers = readersOf(access, id);
  const rules = await Promise.all(
    matchingRules(access, id).map(async ({ rule, index }) => {
      const line = await session.accessFile().lineOf(["rules", index]);
      const where = line === undefined ? "access.yaml" : `access.yaml:${line}`;
      return `${where}: rule "${rule.match}" reads ${(rule.readers ?? []).join(", ") || "nobody"}`;
    }),
  );
  const to = [...new Set(v.recipients.map((r) => r.member))].join(", ");
  const decided = rules.length === 0 ? "no rule of access.yaml matches it" : rules.join("; ");
  const rule = matchingRules(access, id)[0]?.rule.match ?? `${id.split("/")[0]}/**`;
  const rekey = `then a reader runs \`lockstep rekey ${id}\``;
  const fix =
    me.length === 0
      ? `your key is no member's: ask for \`lockstep member add NAME --key age1...\` and \`lockstep rule add "${rule}" --readers NAME\`, ${rekey}`
      : me.some((m) => readers.includes(m))
        ? `${me.join(", ")} reads it today, but this version was encrypted before: ${rekey.replace("then a", "a")}`
        : `${me.join(", ")} is not among its readers: \`lockstep rule add "${rule}" --readers ${me[0]}\` (reviewed by its approvers), ${rekey}`;
  return new NoIdentityError(
    `${id} version ${v.version}: none of your identities (${[...new Set(identities.map((i) => i.source))].join(", ")}) is a recipient; it is encrypted to ${to}. Readers today: ${readers.join(", ") || "none"} (${decided})`,
    { ...(cause.file !== undefined && { file: cause.file }), fix, cause },
  );
}
