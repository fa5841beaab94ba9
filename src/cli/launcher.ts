#!/usr/bin/env node
/**
 * The `lockstep` executable (dist/cli/main.cjs, bundled by scripts/bundle.js).
 * It runs the CLI bundle (cli.cjs) with V8's code cache (cli-ID.cache,
 * written by the build after a warm-up run): the functions a command needs arrive
 * compiled instead of being compiled on first call, which is about a fifth
 * of a short command's time. A cache that does not fit this Node (another V8
 * version, other V8 flags) is ignored by V8, and the bundle compiles as usual.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, "cli.cjs");
// A `#!` line would be a syntax error inside the wrapper below: the bundle has none, but stay safe.
const source = readFileSync(bundle, "utf8").replace(/^#!/, "//");
// V8 checks a cache against its source's length only: the cache's name carries the build's id (the
// bundle's last line, its hash), so that a bundle from another build never meets this one's cache.
// A bundle without that line runs without a cache.
const id = /\n\/\/# lockstep-build=([0-9a-f]{16})\n$/.exec(source.slice(-64))?.[1];
const cacheFile = id === undefined ? undefined : join(here, `cli-${id}.cache`);
let cachedData: Buffer | undefined;
try {
  if (cacheFile !== undefined) cachedData = readFileSync(cacheFile);
} catch {
  // No cache (a build that skipped it): compile.
}
// The CommonJS wrapper, on the bundle's first line so that its line numbers stay those of cli.cjs.
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  ...(cachedData && { cachedData }),
});
// For the build's warm-up run only: write the cache of what this run compiled.
if (cacheFile !== undefined && process.env.LOCKSTEP_WRITE_CODE_CACHE === "1") {
  process.on("exit", () => writeFileSync(cacheFile, script.createCachedData()));
}
const cjs = { exports: {} };
// `this` is `module.exports`, as Node's own loader has it.
script.runInThisContext().call(cjs.exports, cjs.exports, createRequire(bundle), cjs, bundle, here);
