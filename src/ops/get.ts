/**
 * `get`: one version's value, decrypted and checked against its binding.
 */
import { utf8Text } from "../core/bytes.js";
import { pickVersion } from "../core/manifest-integrity.js";
import { stageNames, versionAtStage } from "../core/stages.js";
import { LockstepError } from "../errors.js";
import type { Session } from "./session.js";
import { decryptVersion } from "./versions.js";

/** Which version `get` reads: a number, or the one a stage points at (default: the newest). */
export interface GetOptions {
  version?: number;
  stage?: string;
}

/** A value `get` read, and which version it is. */
export interface SecretRead {
  id: string;
  /** The value's bytes, exactly as stored. */
  value: Uint8Array;
  version: number;
  /** Whether it is the newest version. */
  newest: boolean;
  /** Every stage of the secret's environment and the version it points at, in rollout order. */
  stages: { stage: string; version: number | undefined }[];
}

/**
 * Decrypts a version of a secret (default: the newest, the highest number), checks its binding,
 * and returns the value's bytes, exactly as stored.
 * @throws LockstepError `UNKNOWN_SECRET`, `UNKNOWN_VERSION`, `UNKNOWN_STAGE`; NoIdentityError (exit 3); IntegrityError (exit 4), also when two versions share a number or the list is not newest first.
 */
export async function getSecretBytes(session: Session, options: GetOptions & { id: string }): Promise<Uint8Array> {
  return (await readSecret(session, options)).value;
}

/**
 * As {@link getSecretBytes}, with the version read and where the stages are,
 * for a person to know what they got (`get` on a terminal).
 */
export async function readSecret(session: Session, options: GetOptions & { id: string }): Promise<SecretRead> {
  const sid = session.secretId(options.id);
  const manifest = await session.manifest(sid.id);
  let n = options.version;
  if (options.stage !== undefined) n = versionAtStage(sid.environment, manifest.data, options.stage, sid.id);
  const v = pickVersion(sid.id, manifest.data, manifest.file, n);
  if (!v) {
    throw new LockstepError("UNKNOWN_VERSION", `${sid.id} has no version ${n}`, {
      file: manifest.file,
      fix: `versions are: ${manifest.data.versions.map((x) => x.version).join(", ")}`,
    });
  }
  const value = await decryptVersion(session, sid.id, v, manifest.file);
  const stages = stageNames(sid.environment).map((stage) => ({ stage, version: manifest.data.stages[stage] }));
  const newest = Math.max(...manifest.data.versions.map((x) => x.version));
  return { id: sid.id, value, version: v.version, newest: v.version === newest, stages };
}

/**
 * {@link getSecretBytes} as text.
 * @throws LockstepError `UNREPRESENTABLE_VALUE` when the value is not UTF-8 text; what {@link getSecretBytes} throws.
 */
export async function getSecret(session: Session, options: GetOptions & { id: string }): Promise<string> {
  const bytes = await getSecretBytes(session, options);
  const text = utf8Text(bytes);
  if (text === undefined) {
    throw new LockstepError("UNREPRESENTABLE_VALUE", `${options.id}: the value is not UTF-8 text`, {
      fix: "read it as bytes: Repository.getBytes, or `lockstep get`, which writes the exact bytes",
    });
  }
  return text;
}
