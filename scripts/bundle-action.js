#!/usr/bin/env node
/**
 * Bundles the GitHub Action (action.yml) into action/, which is committed:
 * a job runs it on the runner's own Node, with nothing to install or build.
 *
 * - action/index.cjs: the action (src/action/index.ts), with lockstep's
 *   library and @actions/core.
 * - action/lockstep.cjs: the whole CLI in one file, which the action puts on
 *   PATH for later steps (check, diff, promote...).
 * - action/crypto-worker.cjs: the worker threads' script, next to both.
 *
 * `node scripts/bundle-action.js [OUTDIR]` writes elsewhere (the test that
 * compares the committed bundle with a fresh build does). The output depends
 * only on the sources and the locked dependencies: no paths, dates or hashes
 * of this machine.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const outdir = resolve(process.argv[2] ?? "action");
mkdirSync(outdir, { recursive: true });
// The compiled file schemas (src/storage/validators.generated.ts) are part of the library.
const validators = spawnSync(process.execPath, ["scripts/build-validators.js"], { stdio: "inherit" });
if (validators.status !== 0) process.exit(validators.status ?? 1);

const { version } = JSON.parse(readFileSync("package.json", "utf8"));

const common = {
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "eof",
  logLevel: "warning",
  outdir,
  outExtension: { ".js": ".cjs" },
  // Modules find their neighbours (the worker script, the action's folder) from their own URL.
  define: { "import.meta.url": "__lockstepModuleUrl" },
  banner: {
    js: `"use strict";/* lockstep ${version}: built by scripts/bundle-action.js, do not edit */const __lockstepModuleUrl = require("node:url").pathToFileURL(__filename).href;`,
  },
};

/**
 * The action takes lockstep's library from lockstep.cjs (src/action/lib.ts
 * becomes a require of it), and @actions/core's OIDC client, which it never
 * calls, goes without its HTTP client (undici: over half a megabyte).
 */
const actionOnly = {
  name: "action-only",
  setup(b) {
    b.onResolve({ filter: /^\.\/lib\.js$/ }, (args) =>
      args.importer.endsWith(join("src", "action", "main.ts")) ? { path: "./lockstep.cjs", external: true } : undefined,
    );
    b.onResolve({ filter: /^@actions\/http-client(\/.*)?$/ }, (args) => ({ path: args.path, namespace: "no-http" }));
    b.onLoad({ filter: /.*/, namespace: "no-http" }, () => ({
      contents:
        'const no = () => { throw new Error("lockstep action: no HTTP client is bundled (getIDToken is not supported)"); };\n' +
        "export class HttpClient { constructor() { no(); } }\nexport class BearerCredentialHandler { constructor() { no(); } }\n",
      loader: "js",
    }));
  },
};

/**
 * The CLI reads lockstep's package.json two folders up from its module (src/cli, dist/cli); the
 * action's lockstep.cjs sits one folder below the repository's root, where package.json is.
 */
const packageJsonPath = {
  name: "package-json-path",
  setup(b) {
    b.onLoad({ filter: /src[\\/]cli[\\/]package-info\.ts$/ }, async (args) => {
      const text = readFileSync(args.path, "utf8");
      if (!text.includes('"../../package.json"')) throw new Error(`${args.path} no longer reads ../../package.json`);
      return { contents: text.replace('"../../package.json"', '"../package.json"'), loader: "ts" };
    });
  },
};

await Promise.all([
  build({
    ...common,
    entryPoints: { lockstep: "src/action/cli.ts", "crypto-worker": "src/crypto/crypto-worker.ts" },
    plugins: [packageJsonPath],
  }),
  build({ ...common, entryPoints: { index: "src/action/index.ts" }, plugins: [actionOnly] }),
]);
process.stderr.write(`bundle-action: wrote ${join(outdir, "{index,lockstep,crypto-worker}.cjs")}\n`);
