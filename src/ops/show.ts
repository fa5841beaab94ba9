/**
 * `show`: a secret's metadata, readers and versions; never a value or a
 * ciphertext.
 */
import { approversOf, readersOf } from "../core/access.js";
import type { SecretType, VersionRecipient } from "../core/model.js";
import type { Session } from "./session.js";

/** A secret's metadata, as `ls` and `show` report it (never a value). */
export interface SecretInfo {
  id: string;
  file: string;
  description?: string;
  type: SecretType;
  schema?: string;
  env?: string;
  consumers?: string[];
  latest: number;
  stages: Record<string, number>;
  readers: string[];
  approvers: string[];
  versions: { version: number; created: string; recipients: VersionRecipient[] }[];
}

/**
 * A secret's metadata, readers and versions.
 * @throws LockstepError `INVALID_ID`, `UNKNOWN_SECRET`.
 */
export async function showSecret(session: Session, options: { id: string }): Promise<SecretInfo> {
  const sid = session.secretId(options.id);
  const manifest = await session.manifest(sid.id);
  const m = manifest.data;
  return {
    id: sid.id,
    file: manifest.file,
    ...(m.description !== undefined && { description: m.description }),
    type: m.type ?? "string",
    ...(m.schema !== undefined && { schema: m.schema }),
    ...(m.env !== undefined && { env: m.env }),
    ...(m.consumers !== undefined && { consumers: m.consumers }),
    latest: Math.max(...m.versions.map((v) => v.version)),
    stages: m.stages,
    readers: readersOf(session.access, sid.id),
    approvers: approversOf(session.access, sid.id),
    versions: m.versions.map((v) => ({ version: v.version, created: v.created, recipients: v.recipients })),
  };
}
