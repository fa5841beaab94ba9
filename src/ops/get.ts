/**
 * `get`: one version's value, decrypted and checked against its binding.
 */
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
  value: string;
  version: number;
  /** Whether it is the newest version. */
  newest: boolean;
  /** Every stage of the secret's environment and the version it points at, in rollout order. */
  stages: { stage: string; version: number | undefined }[];
}

/**
 * Decrypts a version of a secret (default: the newest) and checks its binding.
 * @throws LockstepError `UNKNOWN_SECRET`, `UNKNOWN_VERSION`, `UNKNOWN_STAGE`; NoIdentityError (exit 3), IntegrityError (exit 4).
 */
export async function getSecret(session: Session, options: GetOptions & { id: string }): Promise<string> {
  return (await readSecret(session, options)).value;
}

/**
 * As {@link getSecret}, with the version read and where the stages are, for
 * a person to know what they got (`get` on a terminal).
 */
export async function readSecret(session: Session, options: GetOptions & { id: string }): Promise<SecretRead> {
  const sid = session.secretId(options.id);
  const manifest = await session.manifest(sid.id);
  let n = options.version;
  if (options.stage !== undefined) n = versionAtStage(sid.environment, manifest.data, options.stage, sid.id);
  const v = n === undefined ? manifest.data.versions[0] : manifest.data.versions.find((x) => x.version === n);
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
