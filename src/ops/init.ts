/**
 * `init`: a new secrets repository, lockstep.yaml, access.yaml and secrets/.
 */
import { join, resolve } from "node:path";
import { isSecretId } from "../core/ids.js";
import type { ProjectConfig } from "../core/model.js";
import { LockstepError, UsageError } from "../errors.js";
import {
  ensureDir,
  pathExists,
  readTextIfExists,
  removeFile,
  writeFileAtomic,
  writeFileExclusive,
} from "../storage/fs.js";
import { ensureGitRepository } from "../storage/git.js";
import { ACCESS_FILE, CONFIG_FILE, RepositoryFiles, SECRETS_DIR } from "../storage/layout.js";
import { checkWorkflow, DEFAULT_ACTION, deployWorkflow, rolloutWorkflow } from "../templates/github.js";
import { setupGitAt } from "./setup-git.js";

/** Options of {@link initRepository}. */
export interface InitOptions {
  /** The folder to initialize (default: the working directory). */
  dir?: string;
  /** Environment names (default: staging and production). */
  environments?: readonly string[];
  /** Also write GitHub Actions workflows under .github/workflows/. */
  github?: boolean;
  /** The lockstep action the workflows use (`owner/repo/.github/actions/lockstep@ref`). */
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
  files: string[];
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

function accessText(envs: readonly string[]): string {
  const example = envs
    .map((e) => `#   - match: "${e}/**"\n#     readers: [platform, ci-${e}]\n#     approvers: [platform]`)
    .join("\n");
  return `# Who may read and approve which secrets.
# Add members with: lockstep member add NAME --key age1... [--group G]
members: {}
groups: {}
# Rules are globs over secret ids (* within a segment, ** across); a secret's
# readers are those of every rule that matches it. For example:
# rules:
${example}
rules: []
`;
}

/** Writes the three workflows; refuses, before writing any, if one exists. */
async function writeWorkflows(root: string, config: ProjectConfig, action: string): Promise<string[]> {
  const workflows: [string, string][] = [
    ["lockstep-check.yml", checkWorkflow(action)],
    ["lockstep-deploy.yml", deployWorkflow(config, action)],
    ["lockstep-rollout.yml", rolloutWorkflow(action)],
  ];
  for (const [name] of workflows) {
    if (await pathExists(join(root, ".github", "workflows", name))) {
      throw new LockstepError("ALREADY_EXISTS", `.github/workflows/${name} already exists; refusing to overwrite it`, {
        file: `.github/workflows/${name}`,
        fix: "move it away to write the current templates",
      });
    }
  }
  const written: string[] = [];
  for (const [name, text] of workflows) {
    const rel = `.github/workflows/${name}`;
    await writeFileExclusive(join(root, ".github", "workflows", name), text, 0o644, rel);
    written.push(rel);
  }
  return written;
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
    // An existing repository: add the workflows, from its own environments and stages.
    const config = (await new RepositoryFiles(root).readConfig()).data;
    const files = await writeWorkflows(root, config, options.action ?? DEFAULT_ACTION);
    return { root, files, gitInitialized: false };
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
  if (options.github) {
    const config: ProjectConfig = {
      environments: Object.fromEntries(envs.map((e) => [e, { stages: [{ name: "canary" }, { name: "stable" }] }])),
    };
    files.push(...(await writeWorkflows(root, config, options.action ?? DEFAULT_ACTION)));
  }
  const gitInitialized = await ensureGitRepository(root);
  if (options.mergeDriver === undefined) return { root, files, gitInitialized };
  const merge = await setupGitAt(new RepositoryFiles(root), { command: options.mergeDriver });
  files.push(merge.attributes.file);
  return { root, files, gitInitialized, mergeDriver: merge.driver.command };
}
