/**
 * lockstep's own workflows: CI runs the README's test command after
 * installing what .ci/run installs; a release publishes to npm with
 * provenance and moves the action's major tag. Both pass actionlint,
 * @action-validator/cli and shellcheck, and their scripts do what they say
 * when run against a real git remote.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { actionlint, actionValidator, runScripts, shellcheck } from "./support/workflow-lint.js";

const ROOT = resolve(import.meta.dirname, "..");
const execFileP = promisify(execFile);
const workflow = (name: string) => join(ROOT, ".github", "workflows", name);

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, { tags?: string[] } | null>;
  jobs: Record<string, { steps: Step[]; permissions?: Record<string, string> }>;
}
const read = async (name: string) => parseYaml(await readFile(workflow(name), "utf8")) as Workflow;

describe("the project's workflows", () => {
  it.each(["ci.yml", "release.yml"])(
    "%s: no finding from actionlint, @action-validator/cli or shellcheck",
    async (name) => {
      expect(await actionlint(workflow(name))).toEqual([]);
      expect(await actionValidator(workflow(name))).toEqual([]);
      for (const step of await runScripts(workflow(name))) {
        expect(step.run).not.toContain("${{");
        expect(await shellcheck(step.run), `${name} "${step.name}"`).toEqual([]);
      }
    },
  );

  it("ci.yml runs on push and pull request, installs every package .ci/run installs, then the README's test command", async () => {
    const ci = await read("ci.yml");
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    const runs = (ci.jobs.test?.steps ?? []).map((s) => s.run ?? "").join("\n");
    const ciRun = await readFile(join(ROOT, ".ci", "run"), "utf8");
    const debs = [...ciRun.matchAll(/^\s*apt_install ([a-z0-9 .+-]+)$/gm)].flatMap(
      (m) => m[1]?.trim().split(/\s+/) ?? [],
    );
    expect(debs.length).toBeGreaterThan(0);
    for (const deb of debs) expect(runs).toMatch(new RegExp(`apt-get install .*\\b${deb}\\b`));
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const testCommand = /^(npm test)\s+# build and run every test/m.exec(readme)?.[1];
    expect(testCommand).toBe("npm test");
    expect(runs.split("\n")).toContain(testCommand);
    expect(runs).toContain("npm ci");
    // what .ci/run runs, ci.yml runs too
    for (const command of ["npm ci", "npm run lint", "npm test"]) expect(ciRun).toContain(command);
  });

  it("release.yml publishes with provenance on a version tag, after the tests", async () => {
    const release = await read("release.yml");
    expect(release.on.push?.tags).toEqual(["v*.*.*"]);
    const job = release.jobs.release;
    expect(job?.permissions).toEqual({ contents: "write", "id-token": "write" });
    const runs = (job?.steps ?? []).map((s) => s.run ?? "");
    const publish = runs.findIndex((r) => r.includes("npm publish --provenance"));
    expect(publish).toBeGreaterThan(runs.indexOf("npm test"));
    expect(runs.indexOf("npm test")).toBeGreaterThan(-1);
  });

  describe("release.yml's scripts against a real remote", () => {
    let home: string;
    let remote: string;
    let clone: string;
    let sha: string;
    const git = (cwd: string, ...args: string[]) => execFileP("git", args, { cwd, env: gitEnv() });
    const gitEnv = () => ({
      ...process.env,
      HOME: home,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@lockstep.invalid",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@lockstep.invalid",
    });
    const script = async (name: string) =>
      (await read("release.yml")).jobs.release?.steps.find((s) => s.name === name)?.run as string;
    const bash = (cwd: string, text: string, env: Record<string, string>) =>
      execFileP("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", text], {
        cwd,
        env: { ...gitEnv(), ...env },
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );

    beforeAll(async () => {
      home = await mkdtemp(join(tmpdir(), "lockstep-release-"));
      remote = join(home, "remote.git");
      clone = join(home, "clone");
      await git(home, "init", "-q", "--bare", remote);
      await git(home, "clone", "-q", remote, clone);
      await git(clone, "commit", "-q", "--allow-empty", "-m", "one");
      await git(clone, "push", "-q", "origin", "HEAD:refs/heads/main");
      await git(clone, "tag", "v1", "HEAD");
      await git(clone, "push", "-q", "origin", "refs/tags/v1");
      await git(clone, "commit", "-q", "--allow-empty", "-m", "two");
      sha = (await git(clone, "rev-parse", "HEAD")).stdout.trim();
    });
    afterAll(() => rm(home, { recursive: true, force: true }));

    it("moves the major tag (v1) to the released commit, on the remote", async () => {
      const r = await bash(clone, await script("Move the action's major tag to this release"), {
        TAG: "v1.4.2",
        GITHUB_SHA: sha,
      });
      expect(r.code, r.stderr).toBe(0);
      const { stdout } = await git(home, "--git-dir", remote, "rev-parse", "refs/tags/v1");
      expect(stdout.trim()).toBe(sha);
    });

    it("refuses a tag that is not package.json's version", async () => {
      const check = await script("The tag is package.json's version");
      const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
      expect((await bash(ROOT, check, { TAG: `v${version}` })).code).toBe(0);
      const wrong = await bash(ROOT, check, { TAG: "v99.0.0" });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain(`::error::tag v99.0.0 is not v${version}`);
    });
  });
});
