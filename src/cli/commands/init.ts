/** `lockstep init`: a new secrets repository. */
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { selfCommand } from "./merge.js";

type Init = typeof commands.init;

/** Writes lockstep.yaml, access.yaml and secrets/ in `-C DIR` or here (with `--github`, the workflows too). */
export async function init(_args: ArgsOf<Init>, o: OptionsOf<Init>): Promise<void> {
  const { initRepository } = await import("../../index.js");
  const r = await initRepository({
    ...(o.C !== undefined && { dir: o.C }),
    ...(o.env !== undefined && { environments: o.env }),
    github: o.github === true,
    ...(o.action !== undefined && { action: o.action }),
    mergeDriver: selfCommand(),
  });
  if (r.gitInitialized) out(`Initialized a git repository in ${r.root} (branch main)`);
  out(`Wrote ${r.files.join(", ")} in ${r.root}`);
  if (r.kept.length > 0) out(`Kept ${r.kept.join(", ")} as they were (never overwritten)`);
  for (const note of r.notes) out(`- ${note}`);
  if (r.mergeDriver !== undefined) {
    out("Set up git's merge driver for secret manifests (.gitattributes; each clone runs `lockstep setup-git` once).");
  }
  if (r.files.includes("lockstep.yaml")) {
    out("Next: add members (lockstep member add NAME --key age1...), then rules in access.yaml.");
  }
}
