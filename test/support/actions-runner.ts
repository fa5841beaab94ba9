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
