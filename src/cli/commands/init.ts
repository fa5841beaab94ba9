/** `lockstep init`: a new secrets repository. */
import { initRepository } from "../../ops/init.js";
import type { GlobalOptions } from "../context.js";
import { out } from "../output.js";

/** Options of `init`. */
export interface InitCommandOptions extends GlobalOptions {
  env?: string[];
  github?: boolean;
  action?: string;
}

/** Writes lockstep.yaml, access.yaml and secrets/ in `-C DIR` or here (with `--github`, the workflows too). */
export async function init(o: InitCommandOptions): Promise<void> {
  const r = await initRepository({
    ...(o.C !== undefined && { dir: o.C }),
    ...(o.env !== undefined && { environments: o.env }),
    github: o.github === true,
    ...(o.action !== undefined && { action: o.action }),
  });
  if (r.gitInitialized) out(`Initialized a git repository in ${r.root} (branch main)`);
  out(`Wrote ${r.files.join(", ")} in ${r.root}`);
  if (r.kept.length > 0) out(`Kept ${r.kept.join(", ")} as they were (never overwritten)`);
  for (const note of r.notes) out(`- ${note}`);
  if (r.files.includes("lockstep.yaml")) {
    out("Next: add members (lockstep member add NAME --key age1...), then rules in access.yaml.");
  }
}
