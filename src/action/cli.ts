/**
 * The entry of action/lockstep.cjs: run as a program (`node lockstep.cjs
 * ARGS`, the wrapper the action puts on PATH), it is lockstep's CLI;
 * required by the action (action/index.cjs), it is the library the action
 * uses, and the CLI's code is not evaluated.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export * from "./lib.js";

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // The CLI sets its own exit code and reports its own errors.
  void import("../cli/main.js");
}
