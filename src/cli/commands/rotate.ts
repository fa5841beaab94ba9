/** `lockstep rotate`: a new version from the secret's generator. */
import { type GlobalOptions, openRepo } from "../context.js";
import { reportWrite, stagePolicy } from "./set.js";

/** Options of `rotate`. */
export interface RotateCommandOptions extends GlobalOptions {
  id: string;
  generate?: string;
  allStages?: boolean;
  stage?: boolean;
}

/** Generates a new value and adds it as a version (to the first stage by default). */
export async function rotate(o: RotateCommandOptions): Promise<void> {
  const policy = stagePolicy(o);
  const repo = await openRepo(o);
  const r = await repo.rotate(o.id, {
    ...(o.generate !== undefined && { generate: o.generate }),
    ...(policy !== undefined && { stages: policy }),
  });
  reportWrite(r);
}
