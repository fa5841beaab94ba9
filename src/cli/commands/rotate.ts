/** `lockstep rotate`: a new version from the secret's generator. */
import { openRepo } from "../context.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeWrite } from "../render/writes.js";
import { stagePolicy } from "./set.js";

type Rotate = typeof commands.rotate;

/** Generates a new value and adds it as a version (to the first stage by default). */
export async function rotate([id]: ArgsOf<Rotate>, o: OptionsOf<Rotate>): Promise<void> {
  const policy = stagePolicy(o);
  const repo = await openRepo(o);
  const r = await repo.rotate(id, {
    ...(o.generate !== undefined && { generate: o.generate }),
    ...(policy !== undefined && { stages: policy }),
  });
  out(describeWrite(r));
}
