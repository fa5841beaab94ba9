/**
 * The README as a new user follows it: the Quick start's commands, run as
 * written in a fresh HOME (only `age1...` replaced by the keys that
 * `keygen` printed), then the Library section's example on that same
 * repository, whose printed lines must be what its comments say.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, childEnv, expectOk, ROOT, requireBuiltCli, runTool } from "./helpers.js";

requireBuiltCli();

/** The fenced code blocks of one README section (from its `## ` heading to the next). */
function blocks(readme: string, heading: string): { lang: string; text: string }[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no section ${heading}`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1] as string, text: m[2] as string }));
}

describe("the README's Quick start, then its Library example on the same data", () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let readme: string;
  const bash = (script: string, cwd = home) =>
    runTool("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], { cwd, env });

  beforeAll(async () => {
    readme = await readFile(join(ROOT, "README.md"), "utf8");
    home = await mkdtemp(join(tmpdir(), "lockstep-readme-"));
    await mkdir(join(home, "bin"));
    await writeFile(join(home, "bin", "lockstep"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
      mode: 0o755,
    });
    env = childEnv(home, { PATH: `${join(home, "bin")}:${process.env.PATH ?? ""}` });
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it("runs the Quick start as written", async () => {
    const [setup, rules, use] = blocks(readme, "Quick start");
    expect([setup?.lang, rules?.lang, use?.lang]).toEqual(["sh", "yaml", "sh"]);
    // The first block makes the user's key; the CI member's key is made the same way, beside it.
    const lines = (setup?.text ?? "").trim().split("\n");
    const keygen = expectOk(await bash(lines[0] as string));
    const alice = /Public key: (age1\S+)/.exec(keygen.stderr)?.[1] as string;
    const ci = /Public key: (age1\S+)/.exec(expectOk(await bash("lockstep keygen -o ci.txt")).stderr)?.[1] as string;
    const keys = [alice, ci];
    const rest = lines
      .slice(1)
      .map((l) => (l.includes("age1...") ? l.replace("age1...", keys.shift() as string) : l))
      .join("\n");
    expect(keys).toEqual([]);
    const made = expectOk(await bash(rest));
    expect(made.stdout).toContain("(branch main)");
    const repo = join(home, "my-secrets");
    const access = await readFile(join(repo, "access.yaml"), "utf8");
    expect(access).toMatch(/^rules: \[\]$/m);
    await writeFile(join(repo, "access.yaml"), access.replace(/^rules: \[\]\n/m, rules?.text ?? ""));
    const used = expectOk(await bash(use?.text ?? "", repo));
    expect(used.stdout).toContain("s3cret");
    // The CI member reads production: init --github makes its deploy jobs (and says staging has none).
    const gh = expectOk(await bash("lockstep init --github", repo));
    expect(gh.stdout).toContain("deploy job production-stable: GitHub Environment production-stable");
    expect(gh.stdout).toContain("secret LOCKSTEP_AGE_KEY_CI_PRODUCTION");
    expect(gh.stdout).toContain("no deploy job for staging stage canary");
  });

  it("the Library example prints what its comments say", async () => {
    const [example] = blocks(readme, "Library");
    expect(example?.lang).toBe("js");
    const code = example?.text ?? "";
    await mkdir(join(home, "app", "node_modules"), { recursive: true });
    await symlink(ROOT, join(home, "app", "node_modules", "lockstep"));
    await writeFile(join(home, "app", "example.mjs"), code);
    const r = expectOk(
      await runTool(process.execPath, [join(home, "app", "example.mjs")], { cwd: join(home, "my-secrets"), env }),
    );
    // Each console.log's comment starts with what it prints (up to " (" or ": ").
    const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map(
      (m) => (m[1] as string).split(/ \(|: /)[0],
    );
    expect(expected.length).toBeGreaterThan(1);
    expect(r.stdout.trimEnd().split("\n")).toEqual(expected);
  });
});
