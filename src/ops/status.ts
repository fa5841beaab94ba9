/**
 * `status`: per environment, each secret's versions by stage, pending
 * promotions and rotation due, and each consumer's lag.
 */
import { type ConsumerStatus, consumerStatus, type SecretStatus, secretStatus } from "../core/status.js";
import type { Session } from "./session.js";

/** The status of one environment. */
export interface EnvironmentStatus {
  env: string;
  secrets: SecretStatus[];
  consumers: ConsumerStatus[];
}

/**
 * Status of every secret and consumer, per environment (or of one).
 * @throws LockstepError `INVALID_ID` for an environment lockstep.yaml does not define.
 */
export async function rolloutStatus(session: Session, options: { env?: string } = {}): Promise<EnvironmentStatus[]> {
  const config = session.config;
  const now = session.now();
  const envs = options.env === undefined ? Object.keys(config.environments) : [session.environment(options.env).name];
  return Promise.all(
    envs.map(async (name) => {
      const environment = session.environment(name).config;
      const ids = await session.secretIds(name);
      const manifests = await Promise.all(ids.map(async (id) => ({ id, manifest: (await session.manifest(id)).data })));
      const secrets = manifests.map(({ id, manifest }) => secretStatus(id, environment, config, manifest, now));
      const consumers = consumerStatus(
        environment,
        manifests.map((s, i) => ({ ...s, latest: (secrets[i] as SecretStatus).latest })),
      );
      return { env: name, secrets, consumers };
    }),
  );
}
