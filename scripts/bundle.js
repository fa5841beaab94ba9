#!/usr/bin/env node
/**
 * Bundles the CLI (after tsc) with esbuild into CommonJS files that Node
 * loads in one read each, without the ES module loader (about 10 ms of every
 * run, plus a resolve and link per module):
 *
 * - dist/cli/cli.cjs: the command line, lockstep's own code and the small
 *   dependencies. Each command's code is evaluated only when that command
 *   runs (esbuild wraps lazily imported modules).
 * - dist/cli/main.cjs: the executable (src/cli/launcher.ts), which runs
 *   cli.cjs with V8's code cache, dist/cli/cli-ID.cache: written here,
 *   after a warm-up run of `get` in a throwaway repository. ID, the
 *   bundle's hash, is the bundle's last line.
 * - dist/cli/vendor/*.cjs: the large dependencies (yaml, ajv, pg,
 *   age-encryption, eciesjs, sshpk), one file each, read only by the commands that use them:
 *   `get` and `--help` never parse them.
 * - dist/cli/crypto-worker.cjs: the worker thread's script.
 *
 * The library (dist/index.js) stays as tsc wrote it.
 */
import * as childProcess from "node:child_process";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";

// No stale output of earlier builds (the ES module chunks of older versions included).
for (const old of ["dist/cli/chunks", "dist/cli/vendor"]) rmSync(old, { recursive: true, force: true });
for (const f of readdirSync("dist/cli")) if (f.endsWith(".cache")) rmSync(join("dist/cli", f));

/**
 * The large dependencies: each bundled into a vendor file of its own, which
 * cli.cjs requires on first use. ajv and ajv-formats share one file, since
 * ajv-formats builds code with ajv's own classes.
 */
const VENDOR = {
  yaml: { file: "yaml", entry: 'module.exports = require("yaml");' },
  // An ES module, strict as Node runs it (the CommonJS packages keep their own "use strict").
  "age-encryption": { file: "age-encryption", entry: 'export * from "age-encryption";', strict: true },
  ajv: { file: "ajv", entry: 'module.exports = { ajv: require("ajv"), formats: require("ajv-formats") };', key: "ajv" },
  "ajv-formats": { file: "ajv", key: "formats" },
  // node-postgres, for the postgres rotation strategy only; its native and Cloudflare sockets are not used.
  pg: { file: "pg", entry: 'module.exports = require("pg");', external: ["pg-native", "pg-cloudflare"] },
  // dotenvx's ECIES (with @noble/curves): only `import --from dotenvx` reads it.
  eciesjs: { file: "eciesjs", entry: 'module.exports = require("eciesjs");' },
  // OpenSSH private keys: only `--identity` with an SSH key reads it.
  sshpk: { file: "sshpk", entry: 'module.exports = require("sshpk");' },
};

/** Imports of a vendored package become a require of its vendor file, evaluated when first imported. */
const vendored = {
  name: "vendored",
  setup(b) {
    const names = Object.keys(VENDOR).join("|");
    b.onResolve({ filter: new RegExp(`^(${names})$`) }, (args) => ({ path: args.path, namespace: "vendored" }));
    b.onLoad({ filter: /.*/, namespace: "vendored" }, (args) => {
      const v = VENDOR[args.path];
      const key = v.key ? `[${JSON.stringify(v.key)}]` : "";
      return { contents: `module.exports = require("./vendor/${v.file}.cjs")${key};`, loader: "js" };
    });
    b.onResolve({ filter: /^\.\/vendor\//, namespace: "vendored" }, (args) => ({ path: args.path, external: true }));
  },
};

/**
 * node:child_process brings node:net and more with it, about 6 ms of every
 * run that loads it: commander loads it at start-up (for executable
 * subcommands, which lockstep does not use), and the library's git runner
 * (src/storage/git.ts) is reached by every command, though `get`, `ls` and
 * `export` never run git. Every import of it in the bundle is a stand-in that
 * loads it on first use.
 */
const lazyChildProcess = {
  name: "lazy-child-process",
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.namespace === "lazy" ? undefined : { path: "child_process", namespace: "lazy" },
    );
    // Each of the module's functions, loading it when first called (a Proxy would not do: the ES
    // module interop copies a module's own keys when it is imported).
    const names = Object.keys(childProcess).filter((k) => typeof childProcess[k] === "function");
    b.onLoad({ filter: /.*/, namespace: "lazy" }, () => ({
      contents: `const load = () => require("node:child_process");
for (const name of ${JSON.stringify(names)}) {
  exports[name] = function (...args) {
    return new.target ? Reflect.construct(load()[name], args, new.target) : load()[name].apply(this, args);
  };
}`,
      loader: "js",
    }));
  },
};

const common = {
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  logLevel: "warning",
};

await Promise.all([
  build({
    ...common,
    entryPoints: {
      main: "src/cli/launcher.ts",
      cli: "src/cli/main.ts",
      "crypto-worker": "src/crypto/crypto-worker.ts",
    },
    outdir: "dist/cli",
    outExtension: { ".js": ".cjs" },
    plugins: [vendored, lazyChildProcess],
    // src/crypto/workers.ts finds the worker script next to its own module. The sources are ES
    // modules, so strict; the banner comes before esbuild's own "use strict", so it says it itself.
    define: { "import.meta.url": "__lockstepModuleUrl" },
    banner: { js: '"use strict";const __lockstepModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  }),
  ...[...new Set(Object.values(VENDOR).filter((v) => v.entry))].map((v) =>
    build({
      ...common,
      ...(v.strict && { banner: { js: '"use strict";' } }),
      stdin: { contents: v.entry, resolveDir: ".", loader: "js" },
      ...(v.external && { external: v.external }),
      outfile: `dist/cli/vendor/${v.file}.cjs`,
    }),
  ),
]);

/**
 * Runs `get` once in a throwaway repository, through the executable, which
 * then writes V8's code cache of what it compiled. Without git (or if any
 * step fails) there is no cache: lockstep still runs, compiling as it goes.
 */
function warmCodeCache() {
  const sandbox = mkdtempSync(join(tmpdir(), "lockstep-build-"));
  const repo = join(sandbox, "repo");
  mkdirSync(repo);
  // The build's environment (Windows needs more than PATH), without the user's keys, git settings or flags.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(LOCKSTEP_|GIT_|NODE_OPTIONS$|XDG_CONFIG_HOME$)/.test(k)),
  );
  Object.assign(env, { HOME: sandbox, USERPROFILE: sandbox, GIT_CONFIG_NOSYSTEM: "1" });
  const run = (args, extra = {}) => {
    const r = spawnSync(process.execPath, [resolve("dist/cli/main.cjs"), ...args], {
      env: { ...env, ...extra, PWD: repo },
      cwd: repo,
    });
    if (r.status !== 0) throw new Error(`lockstep ${args.join(" ")}: ${r.stderr}`);
    return r.stderr.toString();
  };
  try {
    const key = join(sandbox, "key.txt");
    const recipient = run(["keygen", "-o", key]).match(/age1[0-9a-z]+/)?.[0];
    run(["init", "--env", "production"]);
    writeFileSync(
      join(repo, "access.yaml"),
      `members:\n  ci:\n    recipients: [${recipient}]\nrules:\n  - match: "**"\n    readers: [ci]\n`,
    );
    run(["set", "production/warm", "--generate", "password:16"], { LOCKSTEP_AGE_KEY_FILE: key });
    run(["get", "production/warm"], { LOCKSTEP_AGE_KEY_FILE: key, LOCKSTEP_WRITE_CODE_CACHE: "1" });
  } catch (e) {
    process.stderr.write(`bundle: no code cache (${String(e).split("\n")[0]})\n`);
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
}

const id = createHash("sha256").update(readFileSync("dist/cli/cli.cjs")).digest("hex").slice(0, 16);
appendFileSync("dist/cli/cli.cjs", `//# lockstep-build=${id}\n`);
warmCodeCache();
