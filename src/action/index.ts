/** The action's entry point (bundled as action/index.cjs): runs it from the bundle's own folder. */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as core from "@actions/core";
import { run } from "./main.js";

run(dirname(fileURLToPath(import.meta.url))).catch((e: unknown) => {
  core.setFailed(`lockstep action: internal error: ${e instanceof Error ? e.message : String(e)}`);
});
