/**
 * GitHub integration around an existing secrets repository: `init --github`
 * adds the workflows from the repository's own stages, and CODEOWNERS
 * paths start at the git root when the secrets repository is a subfolder.
 */
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
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

describe("init --github in an existing repository", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    const config = await s.read("lockstep.yaml");
    // A third stage, so the deploy workflow must come from this file, not init's defaults.
    await s.write(
      "lockstep.yaml",
      config.replaceAll("      - name: stable", "      - name: beta\n        consumers: []\n      - name: stable"),
    );
  });
  afterAll(() => s.cleanup());

  it("writes only the workflows, with a deploy job per stage in rollout order", async () => {
    const before = await s.read("access.yaml");
    const r = expectOk(await s.run(["init", "--github", "--action", "acme/lockstep/.github/actions/lockstep@v1"]));
    expect(r.stdout).toContain(".github/workflows/lockstep-deploy.yml");
    expect(r.stdout).not.toContain("Next: add members");
    expect(await s.read("access.yaml")).toBe(before);
    const deploy = parseYaml(await s.read(".github/workflows/lockstep-deploy.yml")) as {
      jobs: Record<
        string,
        { needs?: string; environment: string; steps: { uses?: string; with?: Record<string, string> }[] }
      >;
    };
    expect(Object.keys(deploy.jobs).filter((j) => j.startsWith("production-"))).toEqual([
      "production-canary",
      "production-beta",
      "production-stable",
    ]);
    expect(deploy.jobs["production-stable"]?.needs).toBe("production-beta");
    expect(deploy.jobs["production-beta"]?.steps[1]?.uses).toBe("acme/lockstep/.github/actions/lockstep@v1");
    expect(deploy.jobs["production-beta"]?.steps[1]?.with?.stage).toBe("beta");
    const check = parseYaml(await s.read(".github/workflows/lockstep-check.yml")) as { on: Record<string, unknown> };
    expect(Object.keys(check.on)).toEqual(["pull_request"]);
  });

  it("refuses to overwrite a workflow, and writes none then", async () => {
    await rm(s.path(".github/workflows/lockstep-check.yml"));
    const deployBefore = await s.read(".github/workflows/lockstep-deploy.yml");
    expectError(await s.run(["init", "--github"]), 1, "lockstep-deploy.yml already exists");
    await expect(readFile(s.path(".github/workflows/lockstep-check.yml"), "utf8")).rejects.toThrow();
    expect(await s.read(".github/workflows/lockstep-deploy.yml")).toBe(deployBefore);
  });
});

describe("init --github in a new folder", () => {
  it("writes the repository files and the three workflows", async () => {
    const home = await mkdtemp(join(tmpdir(), "lockstep-gh-"));
    try {
      const r = expectOk(await runCli(["init", "--github", "--env", "prod"], home, childEnv(home)));
      expect(r.stdout).toContain("lockstep.yaml");
      for (const name of ["lockstep-check.yml", "lockstep-deploy.yml", "lockstep-rollout.yml"]) {
        const text = await readFile(join(home, ".github", "workflows", name), "utf8");
        expect(parseYaml(text)).toHaveProperty("jobs");
      }
      const deploy = parseYaml(await readFile(join(home, ".github", "workflows", "lockstep-deploy.yml"), "utf8")) as {
        jobs: Record<string, unknown>;
      };
      expect(Object.keys(deploy.jobs)).toEqual(["prod-canary", "prod-stable"]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe("codeowners in a secrets repository inside a larger git repository", () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "lockstep-sub-"));
    await gitInit(home, home);
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it("writes CODEOWNERS at the git root, with paths through the subfolder", async () => {
    const sub = join(home, "infra", "secrets");
    await mkdir(sub, { recursive: true });
    const env = childEnv(home);
    expectOk(await runCli(["init"], sub, env));
    const key = expectOk(await runCli(["keygen", "-o", join(home, "k.txt")], home, env)).stderr.match(
      /age1\S+/,
    )?.[0] as string;
    expectOk(await runCli(["member", "add", "alice", "--key", key, "--github", "alice-gh"], sub, env));
    const access = await readFile(join(sub, "access.yaml"), "utf8");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(
      join(sub, "access.yaml"),
      access.replace("rules: []", 'rules:\n  - match: "production/**"\n    readers: [alice]\n    approvers: [alice]'),
    );
    expectOk(await runCli(["codeowners", "--write"], sub, env));
    const text = await readFile(join(home, ".github", "CODEOWNERS"), "utf8");
    expect(text).toContain("/infra/secrets/secrets/production/** @alice-gh");
    expect(text).toContain("/infra/secrets/access.yaml @alice-gh");
    expectOk(await runCli(["codeowners", "--check"], sub, env));
    // An approver change: check warns, naming the file where it really is.
    await writeFile(
      join(sub, "access.yaml"),
      (await readFile(join(sub, "access.yaml"), "utf8")).replace("approvers: [alice]", "approvers: []"),
    );
    const report = JSON.parse(expectOk(await runCli(["check", "--format", "json"], sub, env)).stdout) as {
      findings: { code: string; file: string }[];
    };
    expect(report.findings.filter((f) => f.code === "codeowners-drift").map((f) => f.file)).toEqual([
      "../../.github/CODEOWNERS",
    ]);
  });
});
