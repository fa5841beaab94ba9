/**
 * `init`: a new secrets repository, lockstep.yaml, access.yaml and secrets/.
 */
import { dirname, join, relative, resolve, sep } from "node:path";
import { deployPlan } from "../core/deploy-plan.js";
import { isSecretId } from "../core/ids.js";
import type { AccessConfig, ProjectConfig } from "../core/model.js";
import { LockstepError, UsageError } from "../errors.js";
import {
  ensureDir,
  pathExists,
  readTextIfExists,
  removeFile,
  writeFileAtomic,
  writeFileExclusive,
} from "../storage/fs.js";
import { codeownersPlace, defaultBranch, ensureGitRepository, workTreeRoot } from "../storage/git.js";
import { ACCESS_FILE, CONFIG_FILE, RepositoryFiles, SECRETS_DIR } from "../storage/layout.js";
import { checkWorkflow, DEFAULT_ACTION, deployWorkflow, rolloutWorkflow, WORKFLOW_FILES } from "../templates/github.js";
import { setupGitAt } from "./setup-git.js";

/** Options of {@link initRepository}. */
export interface InitOptions {
  /** The folder to initialize (default: the working directory). */
  dir?: string;
  /** Environment names (default: staging and production). */
  environments?: readonly string[];
  /** Also write GitHub Actions workflows under the git root's .github/workflows/. */
  github?: boolean;
  /** The lockstep action the workflows use (default {@link DEFAULT_ACTION}: `OWNER/REPO@vMAJOR`). */
  action?: string;
  /**
   * How git starts lockstep: when given, the merge driver for manifests is
   * set up as `setup-git` does (.gitattributes and the git configuration).
   */
  mergeDriver?: string;
}

/** What `init` wrote. */
export interface InitResult {
  root: string;
  /** Files written, relative to `root` (workflows may be at the git root, above it). */
  files: string[];
  /** Workflows that existed and were kept as they were. */
  kept: string[];
  /** What the user should know: deploy jobs and the secrets they need, stages left without one. */
  notes: string[];
  gitInitialized: boolean;
  /** The merge driver command set up in the git configuration, if it was. */
  mergeDriver?: string;
}

function configText(envs: readonly string[]): string {
  const body = envs
    .map(
      (e) => `  ${e}:
    stages:                    # rollout order: the first stage gets new versions first
      - name: canary
        consumers: []          # apps deployed from this stage, e.g. [api-canary]
      - name: stable
        consumers: []`,
    )
    .join("\n");
  return `# lockstep secrets repository: environments, their stages and consumers.
environments:
${body}
rotation:
  maxAge: 90d                  # default for secrets that set none
`;
}

/**
 * access.yaml as `init` writes it: members only, and a word on rules. No
 * `rules: []`: a person who appends a `rules:` block by hand would write the
 * key twice, which YAML refuses. The example command works as written once
 * the members it names exist (the README's Quick start makes them).
 */
function accessText(envs: readonly string[]): string {
  const env = envs.includes("production") ? "production" : (envs[0] as string);
  return `# Who may read and approve which secrets.
# Add members with: lockstep member add NAME --key age1... [--group GROUP]
members: {}

# Rules: a glob over secret ids (* within a segment, ** across) and the members
# or groups who read and approve what it matches; a secret's readers are those
# of every rule that matches it. Add them with lockstep rule add, e.g.
#   lockstep rule add "${env}/**" --readers platform,ci-${env} --approvers platform
`;
}

/** What `init --github` wrote, kept and could not write. */
interface WorkflowsResult {
  written: string[];
  kept: string[];
  notes: string[];
}

/**
 * Writes the workflows into the git repository's `.github/workflows/` (the
 * git root's, when the secrets repository is a folder of a larger one):
 * the check always; deploy and rollout when some stage has a CI reader.
 * A workflow that exists is kept, never overwritten.
 * @throws LockstepError `ALREADY_EXISTS` when every workflow to write exists.
 */
async function writeWorkflows(
  root: string,
  config: ProjectConfig,
  access: AccessConfig,
  ids: Record<string, string[]>,
  action: string,
): Promise<WorkflowsResult> {
  const place = await codeownersPlace(root, await workTreeRoot(root));
  const top = dirname(dirname(place.file));
  const options = { action, branch: await defaultBranch(top), folder: place.prefix };
  const plan = deployPlan(config, access, ids);
  const notes = plan.skipped.map(
    (s) => `no deploy job for ${s.env} stage ${s.stage}: ${s.reason} (see README, GitHub set-up)`,
  );
  const workflows: [string, string][] = [[WORKFLOW_FILES.check, checkWorkflow(options)]];
  if (plan.jobs.length > 0) {
    workflows.push([WORKFLOW_FILES.deploy, deployWorkflow(plan.jobs, options)]);
    workflows.push([WORKFLOW_FILES.rollout, rolloutWorkflow(options)]);
    for (const j of plan.jobs) {
      notes.push(`deploy job ${j.name}: GitHub Environment ${j.name}, secret ${j.secret} = ${j.member}'s key`);
    }
  } else {
    notes.push(
      "no deploy or rollout workflow: add a CI member (ci-ENV) as a reader, then run `lockstep init --github` again",
    );
  }
  const written: string[] = [];
  const kept: string[] = [];
  const rel = (name: string) =>
    relative(root, join(top, ".github", "workflows", name))
      .split(sep)
      .join("/");
  for (const [name, text] of workflows) {
    const file = join(top, ".github", "workflows", name);
    if (await pathExists(file)) kept.push(rel(name));
    else {
      await writeFileExclusive(file, text, 0o644, rel(name));
      written.push(rel(name));
    }
  }
  if (written.length === 0) {
    throw new LockstepError("ALREADY_EXISTS", `${kept.join(", ")} already exist; refusing to overwrite them`, {
      file: kept[0] as string,
      fix: "move them away to write the current templates",
    });
  }
  return { written, kept, notes };
}

/** Each environment's secret ids. */
async function secretIds(files: RepositoryFiles, config: ProjectConfig): Promise<Record<string, string[]>> {
  const envs = Object.keys(config.environments);
  return Object.fromEntries(await Promise.all(envs.map(async (e) => [e, await files.listSecretIds(e)] as const)));
}

/** What git must never commit: lockstep's locks, and temporary files of writes a kill -9 cut short. */
export const IGNORED = [".lockstep/", "*.tmp"];

/** Adds {@link IGNORED}'s patterns to the root's .gitignore (made if missing), keeping what it holds. */
async function ignoreWorkFiles(root: string): Promise<void> {
  const path = join(root, ".gitignore");
  const text = (await readTextIfExists(path)) ?? "";
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  const missing = IGNORED.filter((p) => !have.has(p));
  if (missing.length === 0) return;
  const head = text === "" || text.endsWith("\n") ? text : `${text}\n`;
  await writeFileAtomic(path, `${head}# lockstep: locks and temporary files\n${missing.join("\n")}\n`);
}

/**
 * Writes a new secrets repository's files; never overwrites one. Makes the
 * folder a git repository if it is not inside one. With `github` in an
 * existing repository, writes only the workflows.
 * @throws LockstepError `ALREADY_EXISTS` if lockstep.yaml or access.yaml exists.
 */
export async function initRepository(options: InitOptions = {}): Promise<InitResult> {
  const root = resolve(options.dir ?? process.cwd());
  const envs =
    options.environments && options.environments.length > 0 ? options.environments : ["staging", "production"];
  for (const e of envs) {
    if (!isSecretId(`${e}/x`))
      throw new UsageError(`"${e}" is not a valid environment name (letters, digits, '.', '_', '-')`);
  }
  if (new Set(envs).size !== envs.length) throw new UsageError("an environment is named twice");
  if (options.github && (await pathExists(join(root, CONFIG_FILE)))) {
    // An existing repository: add the workflows, from its own environments, stages and readers.
    const files = new RepositoryFiles(root);
    const [config, access] = await Promise.all([files.readConfig(), files.readAccess()]);
    const w = await writeWorkflows(
      root,
      config.data,
      access.data,
      await secretIds(files, config.data),
      options.action ?? DEFAULT_ACTION,
    );
    return { root, files: w.written, kept: w.kept, notes: w.notes, gitInitialized: false };
  }
  await ensureDir(root);
  // All or nothing: should a write fail (a full disk), what init wrote goes again, so that a rerun
  // does not refuse with "already exists".
  const created: string[] = [];
  const create = async (rel: string, text: string) => {
    await writeFileExclusive(join(root, rel), text, 0o644, rel);
    created.push(rel);
  };
  try {
    await create(CONFIG_FILE, configText(envs));
    await create(ACCESS_FILE, accessText(envs));
    await ensureDir(join(root, SECRETS_DIR));
    await create(`${SECRETS_DIR}/.gitkeep`, "").catch((e: unknown) => {
      if ((e as LockstepError).code !== "ALREADY_EXISTS") throw e;
    });
    await ignoreWorkFiles(root);
  } catch (e) {
    await Promise.all(created.map((rel) => removeFile(join(root, rel))));
    throw e;
  }
  const files = [CONFIG_FILE, ACCESS_FILE, `${SECRETS_DIR}/`, ".gitignore"];
  // Before the workflows, which go to the git root and follow its branch.
  const gitInitialized = await ensureGitRepository(root);
  const result: InitResult = { root, files, kept: [], notes: [], gitInitialized };
  if (options.github) {
    const config: ProjectConfig = {
      environments: Object.fromEntries(envs.map((e) => [e, { stages: [{ name: "canary" }, { name: "stable" }] }])),
    };
    const w = await writeWorkflows(root, config, { members: {} }, {}, options.action ?? DEFAULT_ACTION);
    files.push(...w.written);
    result.kept = w.kept;
    result.notes = w.notes;
  }
  if (options.mergeDriver === undefined) return result;
  const merge = await setupGitAt(new RepositoryFiles(root), { command: options.mergeDriver });
  files.push(merge.attributes.file);
  return { ...result, mergeDriver: merge.driver.command };
}
