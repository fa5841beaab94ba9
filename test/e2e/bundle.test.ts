/**
 * The built executable as shipped: it runs whatever state its code cache is
 * in, and the read-only commands do without the large dependencies that the
 * bundle keeps in vendor files (which is what keeps them fast to start).
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childEnv, makeSandbox, ROOT, type RunResult, requireBuiltCli, runTool, type Sandbox } from "./helpers.js";

requireBuiltCli();

/** Runs a copy of the CLI (`dir` holds its main.cjs) in the sandbox's repository. */
function runCopy(dir: string, s: Sandbox, args: readonly string[]): Promise<RunResult> {
  return runTool(process.execPath, [join(dir, "main.cjs"), ...args], { cwd: s.repo, env: childEnv(s.home) });
}

describe("the built executable", () => {
  let s: Sandbox;
  let work: string;
  const dist = join(ROOT, "dist", "cli");

  /** A copy of dist/cli with only the files `keep` accepts. */
  async function copy(name: string, keep: (file: string) => boolean): Promise<string> {
    const dir = join(work, name);
    await cp(dist, dir, { recursive: true, filter: (src) => src === dist || keep(src.slice(dist.length + 1)) });
    return dir;
  }

  beforeAll(async () => {
    s = await makeSandbox();
    work = await mkdtemp(join(tmpdir(), "lockstep-bundle-"));
    expect((await s.as("alice", ["set", "production/db/password"], { input: "hunter2" })).code).toBe(0);
  });
  afterAll(async () => {
    await s.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  it("ships a code cache, and runs the same without it or with a broken one", async () => {
    const caches = (await readdir(dist)).filter((f) => f.endsWith(".cache"));
    expect(caches).toHaveLength(1);
    const help = await s.run(["--help"]);
    const value = await s.as("ci", ["get", "production/db/password"]);
    expect(value).toMatchObject({ code: 0, stdout: "hunter2" });

    const without = await copy("no-cache", (f) => !f.endsWith(".cache"));
    const broken = await copy("broken-cache", () => true);
    await writeFile(join(broken, caches[0] as string), "not a V8 code cache");
    // A bundle changed by hand, without its build line: it must not meet the build's cache.
    const edited = await copy("edited-bundle", () => true);
    const bundle = await readFile(join(edited, "cli.cjs"), "utf8");
    await writeFile(join(edited, "cli.cjs"), bundle.replace(/\/\/# lockstep-build=[0-9a-f]+\n$/, "\n"));
    for (const dir of [without, broken, edited]) {
      expect(await runCopy(dir, s, ["--help"])).toEqual(help);
      const got = await runCopy(dir, s, ["--identity", s.keys.ci.file, "get", "production/db/password"]);
      expect(got).toEqual(value);
    }
  });

  it("get, export, ls and --help need none of the vendor files (yaml, ajv, simple-git, age-encryption)", async () => {
    const lean = await copy("lean", (f) => !f.startsWith("vendor"));
    const ci = ["--identity", s.keys.ci.file];
    for (const args of [
      ["--help"],
      [...ci, "get", "production/db/password"],
      [...ci, "export", "production"],
      ["ls", "production"],
    ]) {
      const full = await s.run(args);
      expect(full.code, full.stderr).toBe(0);
      expect(await runCopy(lean, s, args)).toEqual(full);
    }
    // An edit does need them, and says which file is missing rather than failing silently.
    const edit = await runCopy(lean, s, [...ci, "rotate", "production/db/password", "--generate", "hex:8"]);
    expect(edit.code).not.toBe(0);
    expect(edit.stderr).toMatch(/vendor\/yaml\.cjs/);
  });
});
