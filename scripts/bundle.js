#!/usr/bin/env node
/**
 * Bundles the CLI (after tsc) into dist/cli/main.js with esbuild: one file
 * for the start-up path, and one chunk per lazily loaded part (each
 * command, crypto, git), so a process reads a few files instead of hundreds
 * of modules. The library (dist/index.js) stays as tsc wrote it.
 */
import { rmSync } from "node:fs";
import { build } from "esbuild";

rmSync("dist/cli/chunks", { recursive: true, force: true }); // no stale chunks from earlier builds

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

await build({
  // The crypto worker is an entry of its own, among the chunks, where src/crypto/workers.ts looks for it.
  entryPoints: { main: "src/cli/main.ts", "chunks/crypto-worker": "src/crypto/crypto-worker.ts" },
  outdir: "dist/cli",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "chunks/[name]-[hash]",
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  banner: {
    // CommonJS dependencies (simple-git) call require() for Node's built-ins.
    js: "import { createRequire as __lockstepRequire } from 'node:module'; const require = __lockstepRequire(import.meta.url);",
  },
  plugins: [lazyChildProcess],
  logLevel: "warning",
});
