/**
 * The lockstep GitHub Action (`action.yml` at the repository's root), a
 * JavaScript action: scripts/bundle-action.js bundles this file, with
 * lockstep's library and `@actions/core`, into `action/index.cjs`, which is
 * committed, so a job runs it on the runner's own Node with nothing to
 * install or build. The whole CLI is bundled beside it (`action/lockstep.cjs`)
 * and put on PATH for later steps.
 *
 * The key (input `age-key`) lives in this process's memory only: it is
 * masked, taken out of the process's environment, handed to the library as
 * an in-memory identity source, and written nowhere: not to `$GITHUB_ENV`,
 * `$GITHUB_OUTPUT`, `$GITHUB_PATH` nor the PATH wrapper.
 */
import { chmod, mkdir, stat, writeFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import * as core from "@actions/core";
import type { ExportFormat, ExportToResult, Repository } from "./lib.js";

/**
 * lockstep's library (from action/lockstep.cjs, about 1 MB), loaded only
 * by a step that exports: install-only steps never parse it.
 */
const library = () => import("./lib.js");

/** The action's inputs, validated. */
export interface ActionInputs {
  installOnly: boolean;
  /** The age identity text (`AGE-SECRET-KEY-1...` lines); empty with `installOnly`. */
  ageKey: string;
  environment: string;
  stage?: string;
  consumer?: string;
  format: ExportFormat;
  out?: string;
  workingDirectory: string;
}

/** One problem with an input: what the `::error` annotation says. */
export interface InputProblem {
  input: string;
  message: string;
}

const optional = (name: string): string | undefined => core.getInput(name) || undefined;

/**
 * Reads and checks the inputs (from `INPUT_*`, as the runner passes them).
 * Every problem is returned, not just the first; no value of `age-key` is
 * ever part of a message.
 */
export async function readInputs(): Promise<{ inputs?: ActionInputs; problems: InputProblem[] }> {
  const problems: InputProblem[] = [];
  const problem = (input: string, message: string) => problems.push({ input, message });
  // As core.getBooleanInput reads booleans (YAML 1.2's core schema), with an empty input as false.
  const installOnlyText = core.getInput("install-only") || "false";
  const installOnly = ["true", "True", "TRUE"].includes(installOnlyText);
  if (!installOnly && !["false", "False", "FALSE"].includes(installOnlyText)) {
    problem("install-only", 'install-only must be "true" or "false"');
  }
  const ageKey = core.getInput("age-key");
  const environment = core.getInput("environment");
  const stage = optional("stage");
  const consumer = optional("consumer");
  const format = core.getInput("format") || "github";
  const out = optional("out");
  const workingDirectory = resolve(
    process.env.GITHUB_WORKSPACE ?? process.cwd(),
    core.getInput("working-directory") || ".",
  );
  if (
    !(await stat(workingDirectory).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    problem(
      "working-directory",
      `working-directory ${workingDirectory} is not a folder (check out the repository first)`,
    );
  }
  if (!installOnly) {
    const { EXPORT_FORMATS, parseSecretId } = await library();
    const isEnvironmentName = (e: string) => {
      try {
        return !e.includes("/") && parseSecretId(`${e}/x`) !== undefined;
      } catch {
        return false;
      }
    };
    if (ageKey === "") {
      problem(
        "age-key",
        "age-key is empty: pass the CI member's key from a secret; is that secret set for this job's GitHub Environment, or the repository?",
      );
    } else if (!/^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/m.test(ageKey)) {
      problem(
        "age-key",
        "age-key holds no age identity (a line AGE-SECRET-KEY-1...): store the whole identity file, or its key line, as the secret",
      );
    }
    if (environment === "")
      problem("environment", "environment is required (the lockstep environment to export, e.g. production)");
    else if (!isEnvironmentName(environment)) {
      problem(
        "environment",
        `environment "${environment}" is not an environment name (letters, digits, '.', '_', '-')`,
      );
    }
    if (stage !== undefined && consumer !== undefined) problem("consumer", "give stage or consumer, not both");
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
      problem("format", `format "${format}" is not one of ${EXPORT_FORMATS.join(", ")}`);
    } else if (format === "github" && !process.env.GITHUB_ENV) {
      problem("format", "format github writes to $GITHUB_ENV, which the runner did not set");
    } else if (format !== "github" && out === undefined) {
      problem("out", `format ${format} needs out (a path outside the repository): values never go to the job's log`);
    }
  } else if (ageKey !== "") {
    problem("age-key", "install-only takes no age-key: leave the key out of jobs that export nothing");
  }
  if (problems.length > 0) return { problems };
  return {
    problems,
    inputs: {
      installOnly,
      ageKey,
      environment,
      ...(stage !== undefined && { stage }),
      ...(consumer !== undefined && { consumer }),
      format: format as ExportFormat,
      ...(out !== undefined && { out }),
      workingDirectory,
    },
  };
}

/**
 * Puts `lockstep` on PATH for the job's later steps: a wrapper that runs
 * the bundled CLI on this very Node (the runner's own), so the job's Node,
 * whatever it is, stays as it was. Returns the wrapper's folder.
 */
export async function installCli(actionDir: string): Promise<string> {
  const bin = join(process.env.RUNNER_TEMP ?? process.cwd(), "lockstep-bin");
  await mkdir(bin, { recursive: true });
  const cli = join(actionDir, "lockstep.cjs");
  await writeFile(join(bin, "lockstep"), `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`);
  await chmod(join(bin, "lockstep"), 0o755);
  await writeFile(join(bin, "lockstep.cmd"), `@"${process.execPath}" "${cli}" %*\r\n`);
  core.addPath(bin);
  return bin;
}

/**
 * Every part of every value between CR, LF or CRLF (where the runner's log
 * splits lines), masked before anything else can reach the log.
 */
function maskValues(values: readonly string[], maskedParts: (value: string) => string[]): void {
  for (const v of values) for (const part of maskedParts(v)) core.setSecret(part);
}

/** What the step exported: where from, and which secret and version each variable holds. */
type Exported = Pick<ExportToResult, "env" | "stage" | "secrets">;

/**
 * Exports the selected values in `inputs.format`; returns what was
 * exported, without values. For `github` the values come back in memory
 * (as JSON, through the library's `stdout` callback), to be masked and
 * exported by @actions/core; other formats go to `out`, with the library's
 * own checks (outside the working tree, mode 0600).
 */
export async function exportValues(repo: Repository, inputs: ActionInputs): Promise<Exported> {
  const selector = {
    ...(inputs.stage !== undefined && { stage: inputs.stage }),
    ...(inputs.consumer !== undefined && { consumer: inputs.consumer }),
  };
  if (inputs.format !== "github") {
    return repo.exportTo(inputs.environment, {
      ...selector,
      format: inputs.format,
      out: resolve(inputs.workingDirectory, inputs.out as string),
    });
  }
  let json = "";
  const result = await repo.exportTo(inputs.environment, {
    ...selector,
    format: "json",
    stdout: (text) => {
      json += text;
    },
  });
  const values = JSON.parse(json) as Record<string, string>;
  const { githubEnvTexts, maskedParts } = await library();
  // Names the runner refuses or overrides, and NUL (JSON carries it, an environment does not), are coded errors.
  const texts = githubEnvTexts(
    result.secrets.map((s) => ({ name: s.name, id: s.id, value: Buffer.from(values[s.name] ?? "", "utf8") })),
  );
  maskValues(texts, maskedParts);
  // $GITHUB_ENV is the runner's own file, outside the workspace: @actions/core appends to it.
  for (const [i, s] of result.secrets.entries()) core.exportVariable(s.name, texts[i]);
  return result;
}

/** The step summary: which secret and version each variable came from; never a value. */
async function summarize(inputs: ActionInputs, r: Exported): Promise<void> {
  const where = inputs.format === "github" ? "the job's environment ($GITHUB_ENV, masked)" : `\`${inputs.out}\``;
  await core.summary
    .addHeading(`lockstep: ${r.env} at stage ${r.stage}`, 3)
    .addRaw(
      `${r.secrets.length} secret${r.secrets.length === 1 ? "" : "s"}${inputs.consumer ? ` for consumer ${inputs.consumer}` : ""} exported to ${where}.`,
      true,
    )
    .addTable([
      [
        { data: "variable", header: true },
        { data: "secret", header: true },
        { data: "version", header: true },
      ],
      ...r.secrets.map((s) => [s.name, s.id, String(s.version)]),
    ])
    .write();
}

/** Runs the action: validates the inputs, puts lockstep on PATH, exports. */
export async function run(actionDir: string): Promise<void> {
  const key = process.env["INPUT_AGE-KEY"] ?? "";
  for (const line of key.split(/\r?\n/)) if (line.trim() !== "") core.setSecret(line.trim());
  const { inputs, problems } = await readInputs();
  // Nothing started from here on (git, worker threads) inherits the key.
  delete process.env["INPUT_AGE-KEY"];
  if (!inputs) {
    for (const p of problems) core.error(p.message, { title: `lockstep action: input ${p.input}` });
    core.setFailed(
      `the lockstep action's inputs are invalid (${problems.length} problem${problems.length === 1 ? "" : "s"})`,
    );
    return;
  }
  await installCli(actionDir);
  if (inputs.installOnly) {
    core.info("lockstep is on PATH for the next steps");
    return;
  }
  let root = inputs.workingDirectory;
  const { isLockstepError, openRepository } = await library();
  try {
    const repo = await openRepository({
      dir: inputs.workingDirectory,
      // The key, in memory only: never read from, or put in, any process's environment.
      env: { LOCKSTEP_AGE_KEY: inputs.ageKey },
      onWarning: (message) => core.warning(message),
    });
    root = repo.root;
    const result = await exportValues(repo, inputs);
    core.setOutput("stage", result.stage);
    core.setOutput("names", result.secrets.map((s) => s.name).join(" "));
    core.info(`Exported ${result.secrets.length} secrets of ${result.env} at stage ${result.stage}`);
    if (process.env.GITHUB_STEP_SUMMARY) await summarize(inputs, result);
  } catch (e) {
    if (!isLockstepError(e)) throw e;
    // Annotations name files from the workspace, where the runner looks for them.
    const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
    const rel = e.file === undefined ? undefined : relative(workspace, resolve(root, e.file)).split(sep).join("/");
    core.error(`${e.message}${e.fix ? ` (fix: ${e.fix})` : ""}`, {
      title: `lockstep: ${e.code}`,
      ...(rel !== undefined && { file: rel }),
      ...(e.line !== undefined && { startLine: e.line }),
    });
    core.setFailed(`lockstep could not export ${inputs.environment}`);
  }
}
