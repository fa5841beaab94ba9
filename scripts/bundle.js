#!/usr/bin/env node
/**
 * Bundles the CLI (after tsc) with esbuild into CommonJS files that Node
 * loads in one read each, without the ES module loader (about 10 ms of every
 * run, plus a resolve and link per module):
 *
 * - dist/cli/main.cjs: the command line, lockstep's own code and the small
 *   dependencies. Each command's code is evaluated only when that command
 *   runs (esbuild wraps lazily imported modules).
 * - dist/cli/vendor/*.cjs: the large dependencies (yaml, simple-git, ajv,
 *   age-encryption), one file each, read only by the commands that use them:
 *   `get` and `--help` never parse them.
 * - dist/cli/crypto-worker.cjs: the worker thread's script.
 *
 * The library (dist/index.js) stays as tsc wrote it.
 */
import { rmSync } from "node:fs";
import { build } from "esbuild";

// No stale output of earlier builds (the ES module chunks of older versions included).
for (const old of ["dist/cli/chunks", "dist/cli/vendor"]) rmSync(old, { recursive: true, force: true });

/**
 * The large dependencies: each bundled into a vendor file of its own, which
 * main.cjs requires on first use. ajv and ajv-formats share one file, since
 * ajv-formats builds code with ajv's own classes.
 */
const VENDOR = {
  yaml: { file: "yaml", entry: 'module.exports = require("yaml");' },
  "simple-git": { file: "simple-git", entry: 'module.exports = require("simple-git");' },
  "age-encryption": { file: "age-encryption", entry: 'export * from "age-encryption";' },
  ajv: { file: "ajv", entry: 'module.exports = { ajv: require("ajv"), formats: require("ajv-formats") };', key: "ajv" },
  "ajv-formats": { file: "ajv", key: "formats" },
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
    b.onResolve({ filter: /^\.\/vendor\// }, (args) => ({ path: args.path, external: true }));
  },
};

/**
 * commander loads node:child_process at start-up, for executable
 * subcommands, which lockstep does not use; loading it costs about 6 ms of
 * every run. Its copy is loaded on first use instead.
 */
const lazyChildProcess = {
  name: "lazy-child-process",
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes("node_modules/commander/") ? { path: "child_process", namespace: "lazy" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy" }, () => ({
      contents: 'module.exports = new Proxy({}, { get: (_, key) => require("node:child_process")[key] });',
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
  // src/crypto/workers.ts finds the worker script next to its own module.
  define: { "import.meta.url": "__lockstepModuleUrl" },
  banner: { js: 'const __lockstepModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
};

await Promise.all([
  build({
    ...common,
    entryPoints: { main: "src/cli/main.ts", "crypto-worker": "src/crypto/crypto-worker.ts" },
    outdir: "dist/cli",
    outExtension: { ".js": ".cjs" },
    plugins: [vendored, lazyChildProcess],
  }),
  ...[...new Set(Object.values(VENDOR).filter((v) => v.entry))].map((v) =>
    build({
      ...common,
      stdin: { contents: v.entry, resolveDir: ".", loader: "js" },
      outfile: `dist/cli/vendor/${v.file}.cjs`,
    }),
  ),
]);
