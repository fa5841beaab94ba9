/** `lockstep set`: create a secret or add a version. */

import { UsageError } from "../../errors.js";
import type { StagePolicy } from "../../index.js";
import { openRepo } from "../context.js";
import { readValue } from "../input.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeWrite } from "../render/writes.js";

type Set = typeof commands.set;

/** `--all-stages` / `--no-stage` as a policy. */
export function stagePolicy(o: { allStages?: boolean; stage?: boolean }): StagePolicy | undefined {
  if (o.allStages && o.stage === false) throw new UsageError("--all-stages and --no-stage exclude each other");
  return o.allStages ? "all" : o.stage === false ? "none" : undefined;
}

/** Encrypts the value (from stdin, `--file` or `--generate`) to the secret's readers as a new version. */
export async function set([id]: ArgsOf<Set>, o: OptionsOf<Set>): Promise<void> {
  if (o.file !== undefined && o.generate !== undefined) {
    throw new UsageError("--file and --generate exclude each other");
  }
  const policy = stagePolicy(o);
  const repo = await openRepo(o);
  repo.secretId(id); // a bad id fails before we ask for a value
  const value = o.generate !== undefined ? { generate: o.generate } : await readValue(o.file);
  const r = await repo.set(id, value, {
    ...(o.type !== undefined && { type: o.type }),
    ...(o.description !== undefined && { description: o.description }),
    ...(o.schema !== undefined && { schema: o.schema }),
    ...(policy !== undefined && { stages: policy }),
  });
  out(describeWrite(r));
}
