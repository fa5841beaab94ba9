/**
 * The workflows `init --github` writes, run step by step as the Actions
 * runner would (test/support/actions-runner.ts: per-step GITHUB_ENV,
 * GITHUB_OUTPUT, GITHUB_PATH and GITHUB_STEP_SUMMARY read with the runner's
 * rules, expressions evaluated, the action run from this checkout's bundle):
 * a canary and a stable deploy job each see their own version; a promote
 * from the rollout workflow is pushed and then deployed through the deploy
 * workflow it calls; on a protected branch it becomes a pull request.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { DEFAULT_ACTION } from "../../src/templates/action-ref.js";
import { type JobOptions, type JobState, newJob, runJob, type WorkflowJob } from "../support/actions-runner.js";
import { childEnv, expectOk, makeSandbox, ROOT, requireBuiltCli, type Sandbox } from "./helpers.js";

requireBuiltCli();
const execFileP = promisify(execFile);

const V1 = "stable-value-v1-9c1e";
const V2 = "canary-value-v2-4f7a";

interface Workflow {
  jobs: Record<string, WorkflowJob & { uses?: string; if?: string; with?: Record<string, string>; needs?: string }>;
}

let s: Sandbox;
let remote: string;
let runs = 0;
const git = (cwd: string, ...args: string[]) => execFileP("git", args, { cwd, env: childEnv(s.home) });
const workflow = async (ws: string, name: string) =>
  parseYaml(await readFile(join(ws, ".github", "workflows", name), "utf8")) as Workflow;

/** A fresh clone of the remote: a job's workspace. */
async function workspace(): Promise<string> {
  const ws = join(s.home, `ws${++runs}`);
  await git(s.home, "clone", "-q", remote, ws);
  return ws;
}

/** A job's state: its own RUNNER_TEMP, the fake `gh` first on PATH. */
async function jobState(ws: string, extra: Record<string, string | undefined> = {}): Promise<JobState> {
  const temp = join(s.home, `runner${++runs}`);
  await mkdir(temp, { recursive: true });
  const env = childEnv(s.home, {
    PATH: `${join(s.home, "fakebin")}${delimiter}${process.env.PATH ?? ""}`,
    GITHUB_REPOSITORY: "acme/secrets",
    GITHUB_RUN_ID: "777",
    GH_LOG: join(s.home, "gh.log"),
    // As on a runner: no git identity but what the workflow configures.
    GIT_AUTHOR_NAME: undefined,
    GIT_AUTHOR_EMAIL: undefined,
    GIT_COMMITTER_NAME: undefined,
    GIT_COMMITTER_EMAIL: undefined,
    ...extra,
  });
  return newJob(temp, ws, env);
}

/** The documented set-up: in each deploy job's GitHub Environment, the CI member's key as LOCKSTEP_AGE_KEY_CI. */
const options = (context: JobOptions["context"]): JobOptions => ({
  actions: { [DEFAULT_ACTION]: ROOT },
  secrets: {},
  environmentSecrets: Object.fromEntries(
    ["production-canary", "production-stable", "staging-canary", "staging-stable"].map((e) => [
      e,
      { LOCKSTEP_AGE_KEY_CI: s.keys.ci.text },
    ]),
  ),
  context,
  // What a real deploy step does with the values: use them (here, keep a copy to compare).
  extraSteps: [{ name: "record", run: 'printf "%s" "$DB_PASSWORD" > "$RUNNER_TEMP/deployed"' }],
});

/** Runs one job of the deploy workflow at `ref` (a push: github.sha; a call: inputs.ref). */
async function deploy(ws: string, name: string, context: JobOptions["context"]) {
  const spec = (await workflow(ws, "lockstep-deploy.yml")).jobs[name] as WorkflowJob;
  const state = await jobState(ws);
  const r = await runJob(state, spec, options(context));
  const deployed = await readFile(join(state.runnerTemp, "deployed"), "utf8").catch(() => undefined);
  return { ...r, state, deployed };
}

beforeAll(async () => {
  s = await makeSandbox();
  expectOk(await s.run(["set", "production/db/password"], { input: V1 }));
  expectOk(await s.run(["set", "production/db/password"], { input: V2 }));
  expect((await s.manifest("production/db/password")).stages).toEqual({ canary: 2, stable: 1 });
  expectOk(await s.run(["init", "--github"]));
  await git(s.repo, "add", "-A");
  await git(s.repo, "commit", "-q", "-m", "secrets and workflows");
  remote = join(s.home, "remote.git");
  await git(s.home, "clone", "-q", "--bare", s.repo, remote);
  // A `gh` that answers `api .../branches/B` from GH_PROTECTED and records every call.
  await mkdir(join(s.home, "fakebin"));
  await writeFile(
    join(s.home, "fakebin", "gh"),
    '#!/bin/sh\nprintf "%s\\n" "$*" >> "$GH_LOG"\nif [ "$1" = api ]; then echo "$GH_PROTECTED"; fi\nif [ "$1 $2" = "pr create" ]; then echo https://github.com/acme/secrets/pull/1; fi\n',
  );
  await chmod(join(s.home, "fakebin", "gh"), 0o755);
}, 120_000);
afterAll(() => s.cleanup());

describe("the deploy workflow, run as the runner runs it", () => {
  it("the canary job gets version 2 and the stable job version 1, masked in the log, summarized by version", async () => {
    const ws = await workspace();
    const sha = (await git(ws, "rev-parse", "HEAD")).stdout.trim();
    const context = { github: { sha, event_name: "push" }, inputs: {} };
    const canary = await deploy(ws, "production-canary", context);
    const stable = await deploy(ws, "production-stable", context);
    for (const [job, r] of [
      ["canary", canary],
      ["stable", stable],
    ] as const) {
      expect(r.ok, `${job}: ${r.steps.map((st) => `${st.name}: ${st.code} ${st.log}`).join("\n")}`).toBe(true);
      const log = r.steps.map((st) => st.log).join("\n");
      expect(log).not.toContain(V1);
      expect(log).not.toContain(V2);
      expect(log).toContain("with DB_PASSWORD"); // the generated deploy step saw the exported names
      expect(r.state.env.LOCKSTEP_AGE_KEY).toBeUndefined();
      expect(Object.values(r.state.env).join("\n")).not.toContain("AGE-SECRET-KEY-");
    }
    expect(canary.deployed).toBe(V2);
    expect(stable.deployed).toBe(V1);
    expect(canary.state.summary).toContain("<td>DB_PASSWORD</td><td>production/db/password</td><td>2</td>");
    expect(stable.state.summary).toContain("<td>DB_PASSWORD</td><td>production/db/password</td><td>1</td>");
  });

  it("a job whose GitHub Environment lacks the key fails at the action with an annotation, deploying nothing", async () => {
    const ws = await workspace();
    const spec = (await workflow(ws, "lockstep-deploy.yml")).jobs["production-stable"] as WorkflowJob;
    const state = await jobState(ws);
    const r = await runJob(state, spec, { ...options({ github: { sha: "HEAD" } }), environmentSecrets: {} });
    expect(r.ok).toBe(false);
    const failed = r.steps.find((st) => st.code !== 0);
    expect(failed?.stdout).toMatch(/^::error title=lockstep action%3A input age-key::age-key is empty/m);
    expect(r.steps.map((st) => st.name)).not.toContain("record");
  });
});

describe("the rollout workflow, run as the runner runs it", () => {
  const dispatch = (command: string) => ({
    github: {
      event: { sender: { login: "octo", id: 42 } },
      token: "ghs_test",
      server_url: "https://github.com",
      repository: "acme/secrets",
      run_id: "777",
    },
    inputs: { command, secret: "production/db/password", stage: "", to: "" },
  });

  it("promote: commits and pushes to main, then its deploy job runs the deploy workflow at that commit", async () => {
    const ws = await workspace();
    const rollout = await workflow(ws, "lockstep-rollout.yml");
    const state = await jobState(ws, { GH_PROTECTED: "false" });
    const r = await runJob(state, rollout.jobs.rollout as WorkflowJob, {
      ...options(dispatch("promote")),
      extraSteps: [],
    });
    expect(r.ok, r.steps.map((st) => `${st.name}: ${st.code} ${st.log}`).join("\n")).toBe(true);
    expect(r.outputs.pushed).toBe("true");
    const head = (await git(remote, "rev-parse", "refs/heads/main")).stdout.trim();
    expect(r.outputs.sha).toBe(head);
    const { stdout: author } = await git(remote, "log", "-1", "--format=%an <%ae>%n%s", "main");
    expect(author).toMatch(/^octo <42\+octo@users\.noreply\.github\.com>\n.*promote/i);
    // The summary shows where the stages now stand.
    expect(state.summary).toContain("```mermaid");
    expect(state.summary).toContain('s0 -->|"in step"| s1');

    // needs.rollout.outputs feed the deploy job, which calls the deploy workflow with the new commit.
    const call = rollout.jobs.deploy as { if: string; uses: string; with: Record<string, string> };
    const { evaluate, interpolate } = await import("../support/actions-runner.js");
    const needs = { needs: { rollout: { outputs: r.outputs } } };
    expect(evaluate(call.if, needs)).toBe(true);
    expect(call.uses).toBe("./.github/workflows/lockstep-deploy.yml");
    const ref = interpolate(call.with.ref as string, needs);
    const fresh = await workspace();
    const stable = await deploy(fresh, "production-stable", { github: { sha: "unused" }, inputs: { ref } });
    expect(stable.ok, stable.steps.map((st) => st.log).join("\n")).toBe(true);
    expect(stable.deployed).toBe(V2);
  });

  it("on a protected main: a branch and a pull request (gh pr create), main untouched, no deploy", async () => {
    const ws = await workspace();
    const before = (await git(remote, "rev-parse", "refs/heads/main")).stdout.trim();
    const rollout = await workflow(ws, "lockstep-rollout.yml");
    const state = await jobState(ws, { GH_PROTECTED: "true" });
    const r = await runJob(state, rollout.jobs.rollout as WorkflowJob, {
      ...options(dispatch("rollback")),
      extraSteps: [],
    });
    expect(r.ok, r.steps.map((st) => `${st.name}: ${st.code} ${st.log}`).join("\n")).toBe(true);
    expect(r.outputs.pushed).toBe("false");
    expect((await git(remote, "rev-parse", "refs/heads/main")).stdout.trim()).toBe(before);
    const branch = (await git(remote, "log", "-1", "--format=%s", "refs/heads/lockstep/rollback-777")).stdout;
    expect(branch).toMatch(/roll ?back/i);
    const gh = await readFile(join(s.home, "gh.log"), "utf8");
    expect(gh).toContain("api repos/acme/secrets/branches/main --jq .protected");
    expect(gh).toMatch(
      /^pr create --base main --head lockstep\/rollback-777 --title lockstep rollback production\/db\/password --body .*actions\/runs\/777/m,
    );
    const { evaluate } = await import("../support/actions-runner.js");
    const call = rollout.jobs.deploy as { if: string };
    expect(evaluate(call.if, { needs: { rollout: { outputs: r.outputs } } })).toBe(false);
  });
});
