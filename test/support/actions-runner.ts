/**
 * Test support: GitHub Actions steps run the way the runner runs them, on
 * this machine. A JavaScript action gets its inputs as `INPUT_<NAME>` (the
 * name upper-cased, spaces as `_`, defaults from its action.yml), fresh
 * file-command files per step (`GITHUB_ENV`, `GITHUB_OUTPUT`, `GITHUB_PATH`,
 * `GITHUB_STEP_SUMMARY`), which are read after the step with the runner's
 * rules and carried into the next steps: variables into their environment,
 * paths to the front of PATH. `::add-mask::` commands on stdout register
 * masks, which the log then shows as `***`.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { readGithubEnv } from "./github-env.js";

/** What one step did, as the runner sees it. */
export interface StepResult {
  code: number;
  /** stdout, unmasked (what the process wrote). */
  stdout: string;
  stderr: string;
  /** stdout and stderr as the job's log shows them: every registered mask as `***`. */
  log: string;
  /** The step's `$GITHUB_ENV`, `$GITHUB_OUTPUT` and `$GITHUB_PATH`, as the runner reads them. */
  env: Record<string, string>;
  outputs: Record<string, string>;
  paths: string[];
  /** The raw text of each file command's file (to look for what must not be there). */
  files: { env: string; output: string; path: string; summary: string };
  /** Time from the step's start to its end, in milliseconds. */
  ms: number;
}

/** The state a job carries from step to step. */
export interface JobState {
  /** The runner's temporary folder (RUNNER_TEMP); the step files go under it. */
  runnerTemp: string;
  /** GITHUB_WORKSPACE: where the repository is checked out. */
  workspace: string;
  /** The base environment of every step. */
  baseEnv: NodeJS.ProcessEnv;
  /** Variables written to `$GITHUB_ENV` by earlier steps. */
  env: Record<string, string>;
  /** Folders written to `$GITHUB_PATH` by earlier steps, newest first. */
  paths: string[];
  /** Every value registered with `::add-mask::`. */
  masks: string[];
  /** The job's step summary so far. */
  summary: string;
  steps: number;
}

/** A job's starting state. */
export function newJob(runnerTemp: string, workspace: string, baseEnv: NodeJS.ProcessEnv): JobState {
  return { runnerTemp, workspace, baseEnv, env: {}, paths: [], masks: [], summary: "", steps: 0 };
}

/** The value of `::add-mask::` data, unescaped as the runner does (%0D, %0A, %25). */
function unescapeData(data: string): string {
  return data.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
}

function mask(text: string, masks: readonly string[]): string {
  // Longer masks first, as the runner's secret masker replaces the longest match.
  return [...masks].sort((a, b) => b.length - a.length).reduce((t, m) => (m === "" ? t : t.split(m).join("***")), text);
}

/** Runs one step's process with fresh file-command files, then reads them back into the job. */
async function runStep(
  job: JobState,
  file: string,
  args: readonly string[],
  stepEnv: Record<string, string>,
  cwd: string,
  input?: string,
): Promise<StepResult> {
  job.steps++;
  const dir = join(job.runnerTemp, "_runner_file_commands", `step${job.steps}`);
  await mkdir(dir, { recursive: true });
  const files = {
    env: join(dir, "set_env"),
    output: join(dir, "set_output"),
    path: join(dir, "add_path"),
    summary: join(dir, "step_summary"),
  };
  await Promise.all(Object.values(files).map((f) => writeFile(f, "")));
  const PATH = [...job.paths, job.baseEnv.PATH ?? ""].join(delimiter);
  const env: NodeJS.ProcessEnv = {
    ...job.baseEnv,
    ...job.env,
    ...stepEnv,
    PATH,
    RUNNER_TEMP: job.runnerTemp,
    GITHUB_WORKSPACE: job.workspace,
    GITHUB_ENV: files.env,
    GITHUB_OUTPUT: files.output,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ACTIONS: "true",
    CI: "true",
  };
  const started = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(file, args, { cwd, env });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      child.on("error", reject);
      child.on("close", (c) =>
        resolve({ code: c ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
      );
      child.stdin.on("error", () => {});
      child.stdin.end(input ?? "");
    },
  );
  const ms = performance.now() - started;
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^::add-mask::(.*)$/.exec(line);
    if (m?.[1] !== undefined) job.masks.push(unescapeData(m[1]));
  }
  const text = {
    env: await readFile(files.env, "utf8"),
    output: await readFile(files.output, "utf8"),
    path: await readFile(files.path, "utf8"),
    summary: await readFile(files.summary, "utf8"),
  };
  const stepVars = readGithubEnv(text.env);
  const outputs = readGithubEnv(text.output);
  // The runner reads GITHUB_PATH line by line; each entry goes to the front of PATH.
  const paths = text.path.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (code === 0) {
    Object.assign(job.env, stepVars);
    job.paths.unshift(...[...paths].reverse());
  }
  job.summary += text.summary;
  return {
    code,
    stdout,
    stderr,
    log: mask(`${stdout}${stderr}`, job.masks),
    env: stepVars,
    outputs,
    paths,
    files: text,
    ms,
  };
}

/** The `INPUT_*` variables for a JavaScript action: its action.yml's defaults, then `with`. */
export async function actionInputs(
  actionYml: string,
  withInputs: Record<string, string>,
): Promise<Record<string, string>> {
  const meta = parseYaml(await readFile(actionYml, "utf8")) as {
    inputs?: Record<string, { default?: string }>;
  };
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(meta.inputs ?? {})) {
    if (spec.default !== undefined) values[name] = String(spec.default);
  }
  Object.assign(values, withInputs);
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`INPUT_${k.replace(/ /g, "_").toUpperCase()}`, v]));
}

/**
 * Runs a JavaScript action (`runs.main` of the action.yml in `actionDir`)
 * as a step: Node on its main file, in the workspace, with its inputs.
 */
export async function runActionStep(
  job: JobState,
  actionDir: string,
  withInputs: Record<string, string>,
  stepEnv: Record<string, string> = {},
): Promise<StepResult> {
  const actionYml = join(actionDir, "action.yml");
  if (!existsSync(actionYml)) throw new Error(`no action.yml in ${actionDir}`);
  const meta = parseYaml(await readFile(actionYml, "utf8")) as { runs: { using: string; main: string } };
  if (!/^node\d+$/.test(meta.runs.using)) throw new Error(`${actionYml}: not a JavaScript action`);
  const inputs = await actionInputs(actionYml, withInputs);
  return runStep(job, process.execPath, [join(actionDir, meta.runs.main)], { ...stepEnv, ...inputs }, job.workspace);
}

/** Runs a `run:` step's script with bash, as `shell: bash` does (`bash --noprofile --norc -eo pipefail`). */
export function runScriptStep(
  job: JobState,
  script: string,
  stepEnv: Record<string, string> = {},
  workingDirectory = ".",
): Promise<StepResult> {
  return runStep(
    job,
    "bash",
    ["--noprofile", "--norc", "-eo", "pipefail", "-c", script],
    stepEnv,
    join(job.workspace, workingDirectory),
  );
}

/** What expressions can read: `github`, `inputs`, `secrets`, `steps`, `needs`, `matrix`... as plain objects. */
export type ExpressionContext = Record<string, unknown>;

function lookup(path: string, ctx: ExpressionContext): unknown {
  let v: unknown = ctx;
  for (const key of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/**
 * Evaluates the small part of GitHub's expression language that lockstep's
 * workflows use: context paths, 'string' literals, `==`, `||`, `always()`
 * and `success()`. Anything else throws, so that a template using more
 * fails here rather than being misread.
 */
export function evaluate(expression: string, ctx: ExpressionContext): unknown {
  const e = expression.trim();
  const or = e.split(/\s*\|\|\s*/);
  if (or.length > 1)
    return (
      or.map((x) => evaluate(x, ctx)).find((v) => v !== "" && v !== undefined && v !== null && v !== false) ??
      evaluate(or.at(-1) as string, ctx)
    );
  const eq = /^(.+?)\s*==\s*(.+)$/.exec(e);
  if (eq) return String(evaluate(eq[1] as string, ctx) ?? "") === String(evaluate(eq[2] as string, ctx) ?? "");
  if (e === "always()" || e === "success()") return true;
  const literal = /^'((?:[^']|'')*)'$/.exec(e);
  if (literal) return (literal[1] as string).replace(/''/g, "'");
  if (/^[A-Za-z_][\w-]*(\.[\w-]+)*$/.test(e)) return lookup(e, ctx);
  throw new Error(`expression not supported by the test runner: ${expression}`);
}

/** A string with `${{ }}` expressions replaced by their values (missing ones as ""). */
export function interpolate(text: string, ctx: ExpressionContext): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, x: string) => {
    const v = evaluate(x, ctx);
    return v === undefined || v === null ? "" : String(v);
  });
}

/** A workflow job as the templates write it. */
export interface WorkflowJob {
  environment?: string;
  defaults?: { run?: { "working-directory"?: string } };
  outputs?: Record<string, string>;
  steps: {
    id?: string;
    name?: string;
    if?: string;
    uses?: string;
    run?: string;
    with?: Record<string, string>;
    env?: Record<string, string>;
    "working-directory"?: string;
  }[];
}

/** How {@link runJob} treats `uses:` steps and where secrets come from. */
export interface JobOptions {
  /** Action references (`owner/repo@ref`) and the local folder that holds each one's action.yml. */
  actions: Record<string, string>;
  /** Repository secrets, then each GitHub Environment's own secrets (which win in a job that names it). */
  secrets: Record<string, string>;
  environmentSecrets?: Record<string, Record<string, string>>;
  /** Other contexts: `github`, `inputs`, `needs`. */
  context: ExpressionContext;
  /** Extra steps run after the job's own (e.g. a deploy that records what it got). */
  extraSteps?: WorkflowJob["steps"];
}

/**
 * Runs a job's steps in order as the runner does: `actions/checkout` checks
 * out `with.ref` (the workspace is already a clone), a JavaScript action
 * runs from its local folder, `run:` scripts run with bash in the job's
 * working directory; expressions are evaluated first; a failed step fails
 * the job and skips the rest (unless `if: always()`).
 */
export async function runJob(
  job: JobState,
  spec: WorkflowJob,
  options: JobOptions,
): Promise<{ ok: boolean; steps: (StepResult & { name: string })[]; outputs: Record<string, string> }> {
  const secrets = { ...options.secrets, ...(spec.environment ? options.environmentSecrets?.[spec.environment] : {}) };
  const steps: Record<string, { outputs: Record<string, string> }> = {};
  const results: (StepResult & { name: string })[] = [];
  let ok = true;
  for (const step of [...spec.steps, ...(options.extraSteps ?? [])]) {
    const ctx = { ...options.context, secrets, steps, env: job.env };
    const condition = step.if ?? "success()";
    if (!ok && !/always\(\)/.test(condition)) continue;
    if (!evaluate(condition.replace(/^\$\{\{\s*|\s*\}\}$/g, ""), ctx)) continue;
    const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, interpolate(String(v), ctx)]));
    const withInputs = Object.fromEntries(
      Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(String(v), ctx)]),
    );
    let r: StepResult;
    if (step.uses?.startsWith("actions/checkout@")) {
      const ref = withInputs.ref || String(lookup("github.sha", ctx) ?? "HEAD");
      r = await runScriptStep(job, 'git checkout -q --detach "$REF"', { REF: ref });
    } else if (step.uses !== undefined) {
      const dir = options.actions[step.uses];
      if (dir === undefined) throw new Error(`no local folder for action ${step.uses}`);
      r = await runActionStep(job, dir, withInputs, env);
    } else if (step.run !== undefined) {
      const cwd = step["working-directory"] ?? spec.defaults?.run?.["working-directory"] ?? ".";
      r = await runScriptStep(job, step.run, env, cwd);
    } else {
      throw new Error(`a step with neither uses nor run: ${JSON.stringify(step)}`);
    }
    if (step.id !== undefined) steps[step.id] = { outputs: r.outputs };
    results.push({ ...r, name: step.name ?? step.uses ?? "run" });
    if (r.code !== 0) ok = false;
  }
  const ctx = { ...options.context, secrets, steps };
  const outputs = Object.fromEntries(
    Object.entries(spec.outputs ?? {}).map(([k, v]) => [k, interpolate(String(v), ctx)]),
  );
  return { ok, steps: results, outputs };
}
