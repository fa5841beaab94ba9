/**
 * Test support: a throwaway PostgreSQL cluster per test file (see
 * postgres-cluster.js). Suites skip, saying why, only when PostgreSQL is not
 * installed on a developer's machine; under CI (`CI` set) a missing
 * PostgreSQL fails them, since .ci/run installs it.
 */
import { afterAll, beforeAll, describe } from "vitest";
import { type Cluster, findPostgresBin, startCluster } from "./postgres-cluster.js";

export type { Cluster };

/** The folder of initdb and pg_ctl, if PostgreSQL is installed. */
export const POSTGRES_BIN = findPostgresBin();

const skip = POSTGRES_BIN === undefined && !process.env.CI;

/**
 * `describe`, skipped with a message in its title when PostgreSQL's binaries
 * are missing outside CI.
 */
export function describeWithPostgres(name: string, body: () => void): void {
  const title = skip
    ? `${name} (skipped: PostgreSQL's initdb and pg_ctl not found; apt-get install postgresql, or set LOCKSTEP_PG_BIN)`
    : name;
  describe.skipIf(skip)(title, body);
}

/**
 * Starts a cluster before the suite's tests and stops it after them.
 * Returns a getter: the cluster exists once the tests run.
 */
export function usePostgres(): () => Cluster {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);
  return () => {
    if (!cluster) throw new Error("the PostgreSQL cluster did not start");
    return cluster;
  };
}
