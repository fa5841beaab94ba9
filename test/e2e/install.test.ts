/**
 * The package as a user installs it: `npm pack`, then `npm install -g` of
 * the tarball into a temporary prefix, then `lockstep` from PATH in a folder
 * that has nothing to do with this checkout, with no build on that side.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childEnv, expectOk, ROOT, type RunResult, requireBuiltCli, runTool } from "./helpers.js";

requireBuiltCli();

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
  repository: { url: string };
  engines: { node: string };
  keywords: string[];
};

describe("npm pack, then npm install -g of the tarball", () => {
  let home: string;
  let prefix: string;
  let files: string[];
  /** The user's environment: the installed bin first on PATH, a HOME of its own. */
  let env: NodeJS.ProcessEnv;
  const lockstep = (args: string[], cwd: string, input?: string): Promise<RunResult> =>
    runTool("lockstep", args, { cwd, env, ...(input !== undefined && { input }) });

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "lockstep-install-"));
    prefix = join(home, "prefix");
    // npm's own cache stays the caller's, so the dependencies need not be downloaded again.
    const cache = execFileSync(NPM, ["config", "get", "cache"], { encoding: "utf8" }).trim();
    const npmEnv = { ...process.env, npm_config_cache: cache, npm_config_update_notifier: "false" };
    // --ignore-scripts: the test suite has built dist/ already, and other tests are running it;
    // `prepack` (which builds) is checked below.
    const packed = JSON.parse(
      execFileSync(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", home], {
        cwd: ROOT,
        env: npmEnv,
        encoding: "utf8",
      }),
    ) as { filename: string; files: { path: string }[] }[];
    files = packed[0]?.files.map((f) => f.path) ?? [];
    const tarball = join(home, packed[0]?.filename as string);
    execFileSync(
      NPM,
      ["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", "--prefer-offline", tarball],
      { cwd: home, env: npmEnv, stdio: "pipe" },
    );
    const bin = process.platform === "win32" ? prefix : join(prefix, "bin");
    env = childEnv(home, { PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` });
  }, 240_000);
  afterAll(() => rm(home, { recursive: true, force: true }));

  it("package.json names what a registry and npm need: bin, files, engines, repository, keywords, prepack", () => {
    expect(pkg.bin).toEqual({ lockstep: "dist/cli/main.cjs" });
    expect(pkg.files).toEqual(expect.arrayContaining(["dist", "schemas"]));
    expect(pkg.engines.node).toMatch(/^>=20/);
    expect(pkg.repository.url).toMatch(/github\.com\/[^/]+\/[^/]+\.git$/);
    expect(pkg.keywords.length).toBeGreaterThan(2);
    expect(pkg.scripts.prepack).toBe("npm run build");
  });

  it("the tarball holds the built CLI, the library and the schemas, and no sources or tests", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "dist/cli/main.cjs",
        "dist/cli/cli.cjs",
        "dist/cli/crypto-worker.cjs",
        "dist/cli/vendor/yaml.cjs",
        "dist/index.js",
        "dist/index.d.ts",
        "schemas/secret.schema.json",
        "package.json",
        "README.md",
        "LICENSE",
      ]),
    );
    expect(files.filter((f) => /^(src|test|scripts|node_modules|action|\.github|dist\/action)\//.test(f))).toEqual([]);
  });

  it("lockstep --version from PATH, in a folder outside this checkout", async () => {
    const r = expectOk(await lockstep(["--version"], home));
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it("a whole round trip with the installed lockstep: keygen, init, member add, set, get", async () => {
    const repo = join(home, "secrets");
    await mkdir(repo);
    const key = join(home, "identity.txt");
    const recipient = /Public key: (age1\S+)/.exec(expectOk(await lockstep(["keygen", "-o", key], home)).stderr)?.[1];
    expect(recipient).toBeDefined();
    const init = expectOk(await lockstep(["init", "--env", "production"], repo));
    expect(init.stdout).toContain("Initialized a git repository");
    expectOk(await lockstep(["member", "add", "me", "--key", recipient as string], repo));
    expectOk(await lockstep(["rule", "add", "**", "--readers", "me"], repo));
    expectOk(await lockstep(["set", "production/db/password"], repo, "s3cret from the tarball"));
    const got = expectOk(await lockstep(["--identity", key, "get", "production/db/password"], repo));
    expect(got.stdout).toBe("s3cret from the tarball");
    // The library entry point resolves from the installed package too.
    const lib = join(prefix, process.platform === "win32" ? "" : "lib", "node_modules", pkg.name, "dist", "index.js");
    const script = `import(${JSON.stringify(lib)}).then(async (m) => { const r = await m.openRepository({ dir: ${JSON.stringify(repo)}, files: [${JSON.stringify(key)}] }); process.stdout.write(await r.get("production/db/password")); })`;
    const viaLibrary = expectOk(await runTool(process.execPath, ["-e", script], { cwd: home, env }));
    expect(viaLibrary.stdout).toBe("s3cret from the tarball");
  });
});
