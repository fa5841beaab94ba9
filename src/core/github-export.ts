/**
 * The `github` export: `::add-mask::` workflow commands for stdout, and
 * entries for the `$GITHUB_ENV` file, following the Actions runner
 * (github.com/actions/runner, read at commit 258d6c85):
 *
 * - src/Runner.Worker/FileCommandManager.cs (`EnvFileKeyValuePairs`) reads
 *   `$GITHUB_ENV` line by line (LF; CRLF on Windows): `NAME=value`, or
 *   `NAME<<DELIMITER`, the value's lines, and a line that is exactly the
 *   delimiter. An unknown line fails the whole file. `SetEnvFileCommand`
 *   refuses `NODE_OPTIONS` (in any case) with an annotation, and skips it.
 * - src/Runner.Worker/Handlers/ScriptHandler.cs sets `GITHUB_*` (the keys
 *   allowed in src/Runner.Worker/GitHubContext.cs) and `RUNNER_*`
 *   (src/Runner.Worker/RunnerContext.cs, filled in JobRunner.cs,
 *   JobExtension.cs and TempDirectoryManager.cs) after the env context, so a
 *   value given those names never reaches the step.
 * - src/Runner.Sdk/ProcessInvoker.cs reads a step's output with
 *   `StreamReader.ReadLine`, which ends a line at CR, LF or CRLF, and the
 *   secret masker (src/Sdk/DTLogging/Logging/SecretMasker.cs) masks within a
 *   line: a value is masked only if each part between line breaks is.
 * - src/Runner.Common/ActionCommand.cs unescapes a command's data: `%0D`,
 *   `%0A`, then `%25`. src/Runner.Worker/ActionCommandManager.cs ignores (with
 *   a warning) an `::add-mask::` of only white space.
 *
 * test/support/github-runner.ts ports these rules to check the output.
 */
import { randomUUID } from "node:crypto";
import { LockstepError } from "../errors.js";
import { type ExportEntry, entryText } from "./export-entry.js";

/** Names `$GITHUB_ENV` refuses (`SetEnvFileCommand._setEnvBlockList`), compared case-insensitively. */
const REFUSED = ["NODE_OPTIONS"];

/** `GitHubContext._contextEnvAllowlist`: each becomes `GITHUB_<KEY>`, set by the runner over any value. */
const GITHUB_CONTEXT = [
  "action_path",
  "action_ref",
  "action_repository",
  "action",
  "actor",
  "actor_id",
  "api_url",
  "artifacts",
  "artifacts_list",
  "base_ref",
  "env",
  "event_name",
  "event_path",
  "graphql_url",
  "head_ref",
  "job",
  "output",
  "path",
  "ref_name",
  "ref_protected",
  "ref_type",
  "ref",
  "repository",
  "repository_id",
  "repository_owner",
  "repository_owner_id",
  "retention_days",
  "run_attempt",
  "run_id",
  "run_number",
  "server_url",
  "sha",
  "state",
  "step_summary",
  "triggering_actor",
  "workflow",
  "workflow_ref",
  "workflow_sha",
  "workspace",
];

/** The runner context's keys (`SetRunnerContext` calls): each becomes `RUNNER_<KEY>`, set over any value. */
const RUNNER_CONTEXT = ["arch", "debug", "environment", "name", "os", "temp", "tool_cache", "workspace"];

const OVERRIDDEN = new Set([
  ...GITHUB_CONTEXT.map((k) => `GITHUB_${k.toUpperCase()}`),
  ...RUNNER_CONTEXT.map((k) => `RUNNER_${k.toUpperCase()}`),
]);

/** Why the runner would not give a step variable `name` the value, or `undefined`. */
export function githubNameProblem(name: string): string | undefined {
  if (REFUSED.some((r) => r.toLowerCase() === name.toLowerCase())) {
    return `the Actions runner refuses to set ${REFUSED.find((r) => r.toLowerCase() === name.toLowerCase())} from $GITHUB_ENV`;
  }
  if (OVERRIDDEN.has(name))
    return `the Actions runner sets ${name} itself in every step, over any value from $GITHUB_ENV`;
  return undefined;
}

/**
 * .NET's `Char.IsWhiteSpace` (categories Zs, Zl and Zp, U+0009..U+000D and
 * U+0085), which `string.IsNullOrWhiteSpace` applies: the runner refuses a
 * mask of only these. (Not JavaScript's `\s`, which adds U+FEFF and lacks U+0085.)
 */
const DOTNET_WHITE_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

/**
 * The parts of `value` the runner's log shows as separate lines (split at
 * CR, LF and CRLF), less those of only white space, which the runner
 * refuses to mask and which show nothing.
 */
export function maskedParts(value: string): string[] {
  return value.split(/\r\n|\r|\n/).filter((part) => !DOTNET_WHITE_SPACE.test(part));
}

/** Workflow command data escaping (ActionCommand.cs `_escapeDataMappings`, `%` first). */
function escapeCommandData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** What the `github` format produces: mask commands for stdout, and text to append to `$GITHUB_ENV`. */
export interface GithubExport {
  masks: string;
  envFile: string;
}

/** Options of {@link renderGithubExport}. */
export interface GithubExportOptions {
  /**
   * Whether the file appended to does not end in a line feed (its last line
   * unfinished): the entries then start on a new line, else the runner
   * would read the first as part of that line and reject the whole file.
   */
  afterUnfinishedLine?: boolean;
}

/**
 * Checks entries for `$GITHUB_ENV`: names the runner takes, values it
 * carries exactly (UTF-8 text without NUL). Returns each value as text.
 * @throws LockstepError `INVALID_NAME` for a name the runner refuses or
 *   overrides; `UNREPRESENTABLE_VALUE` for a value that is not UTF-8 text or
 *   holds NUL.
 */
export function githubEnvTexts(entries: readonly ExportEntry[]): string[] {
  return entries.map((e) => {
    const problem = githubNameProblem(e.name);
    if (problem !== undefined) {
      throw new LockstepError("INVALID_NAME", `${e.id} exports as ${e.name}: ${problem}`, {
        fix: `give it another variable name ("env:" in its manifest), or publish it with another --format`,
      });
    }
    return entryText(e, "github");
  });
}

/**
 * The `github` format: one `::add-mask::` for every part of every value
 * (see {@link maskedParts}), and one heredoc entry per value, with a random
 * delimiter that occurs in no value.
 * @throws LockstepError `INVALID_NAME` for a name the runner refuses or
 *   overrides; `UNREPRESENTABLE_VALUE` for a value that is not UTF-8 text or
 *   holds NUL.
 */
export function renderGithubExport(entries: readonly ExportEntry[], options: GithubExportOptions = {}): GithubExport {
  const masks: string[] = [];
  const env: string[] = [];
  const texts = githubEnvTexts(entries);
  for (const [i, e] of entries.entries()) {
    const text = texts[i] as string;
    for (const part of maskedParts(text)) masks.push(`::add-mask::${escapeCommandData(part)}\n`);
    let delimiter = `ghadelimiter_${randomUUID()}`;
    while (text.includes(delimiter)) delimiter = `ghadelimiter_${randomUUID()}`;
    env.push(`${e.name}<<${delimiter}\n${text}\n${delimiter}\n`);
  }
  return { masks: masks.join(""), envFile: (options.afterUnfinishedLine ? "\n" : "") + env.join("") };
}
