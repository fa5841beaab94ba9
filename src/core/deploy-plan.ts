/**
 * Which deploy jobs `init --github` writes: one per environment and stage
 * that a CI member can export, each naming its GitHub Environment and the
 * repository or environment secret that holds that member's key. Pure: the
 * caller reads the files.
 *
 * The naming scheme, which the README's GitHub set-up follows:
 * - a CI member is a member named `ci` or `ci-<anything>`;
 * - the job and its GitHub Environment are both `<env>-<stage>`
 *   (`production-canary`), characters outside `[A-Za-z0-9_-]` as `-`;
 * - the key is in the secret `LOCKSTEP_AGE_KEY_<MEMBER>`, the member's name
 *   upper-cased with every character outside `[A-Z0-9]` as `_`
 *   (`ci-production` -> `LOCKSTEP_AGE_KEY_CI_PRODUCTION`).
 */
import { expandNames } from "./access.js";
import { globMatches } from "./glob.js";
import type { AccessConfig, ProjectConfig } from "./model.js";

/** One deploy job: a stage of an environment, exported with a CI member's key. */
export interface DeployJob {
  env: string;
  stage: string;
  /** The job's id and its GitHub Environment's name. */
  name: string;
  /** The CI member whose key the job uses. */
  member: string;
  /** The GitHub secret that holds that key. */
  secret: string;
  consumers: string[];
}

/** A stage that gets no job, and why. */
export interface SkippedStage {
  env: string;
  stage: string;
  reason: string;
}

/** The deploy jobs, in each environment's rollout order, and the stages left out. */
export interface DeployPlan {
  jobs: DeployJob[];
  skipped: SkippedStage[];
}

/** Whether a member is a CI member: named `ci` or `ci-...`. */
export function isCiMember(name: string): boolean {
  return name === "ci" || name.startsWith("ci-");
}

/** A job's id and GitHub Environment name for a stage. */
export function deployJobName(env: string, stage: string): string {
  return `${env}-${stage}`.replace(/[^A-Za-z0-9_-]/g, "-");
}

/** The GitHub secret that holds a member's key. */
export function keySecretName(member: string): string {
  return `LOCKSTEP_AGE_KEY_${member.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** The members a rule's readers name, groups expanded. */
function ruleReaders(access: AccessConfig, readers: readonly string[] | undefined): string[] {
  return expandNames(access, readers ?? []);
}

/**
 * The CI members that can export every secret of `env`: readers of each of
 * its secrets; with no secret yet, readers of a rule whose first segment
 * covers the environment (`production/**`, `**`, `*`...).
 */
export function ciReadersOf(access: AccessConfig, env: string, ids: readonly string[]): string[] {
  const ci = Object.keys(access.members).filter(isCiMember);
  const rules = access.rules ?? [];
  const readsId = (member: string, id: string) =>
    rules.some((r) => globMatches(r.match, id) && ruleReaders(access, r.readers).includes(member));
  if (ids.length > 0) return ci.filter((m) => ids.every((id) => readsId(m, id))).sort();
  const coversEnv = (match: string) => {
    const first = match.split("/")[0] as string;
    return first.startsWith("**") || globMatches(first, env);
  };
  return ci.filter((m) => rules.some((r) => coversEnv(r.match) && ruleReaders(access, r.readers).includes(m))).sort();
}

/**
 * The deploy jobs for every environment and stage. Each stage's member is
 * the most specific CI reader: `ci-<env>-<stage>`, then `ci-<env>`, then
 * the first by name. `ids` lists each environment's secret ids.
 */
export function deployPlan(
  config: ProjectConfig,
  access: AccessConfig,
  ids: Readonly<Record<string, readonly string[]>>,
): DeployPlan {
  const jobs: DeployJob[] = [];
  const skipped: SkippedStage[] = [];
  for (const [env, e] of Object.entries(config.environments)) {
    const readers = ciReadersOf(access, env, ids[env] ?? []);
    for (const stage of e.stages) {
      const member =
        [`ci-${env}-${stage.name}`, `ci-${env}`].find((m) => readers.includes(m)) ?? (readers[0] as string | undefined);
      if (member === undefined) {
        skipped.push({
          env,
          stage: stage.name,
          reason: `no CI member (ci or ci-...) reads every secret of ${env}`,
        });
        continue;
      }
      jobs.push({
        env,
        stage: stage.name,
        name: deployJobName(env, stage.name),
        member,
        secret: keySecretName(member),
        consumers: stage.consumers ?? [],
      });
    }
  }
  return { jobs, skipped };
}
