/**
 * `ls`: every secret's metadata, never a value.
 */
import type { Session } from "./session.js";
import { type SecretInfo, showSecret } from "./show.js";

/**
 * Metadata of every secret (of one environment), sorted by id.
 * @throws LockstepError `INVALID_ID` for an environment lockstep.yaml does not define.
 */
export async function listSecrets(session: Session, options: { env?: string } = {}): Promise<SecretInfo[]> {
  if (options.env !== undefined) session.environment(options.env);
  const ids = await session.secretIds(options.env);
  return Promise.all(ids.map((id) => showSecret(session, { id })));
}
