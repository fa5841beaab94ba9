/**
 * `lockstep rotate`: a new version from the secret's generator, set and
 * tested where it lives by its rotation strategy; `--finish` retires the
 * previous credential.
 */
import { UsageError } from "../../errors.js";
import { openRepo } from "../context.js";
import { note, out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeFinish, describeRotationNotes, describeWrite } from "../render/writes.js";
import { stagePolicy } from "./set.js";

type Rotate = typeof commands.rotate;

/** Generates a new value and adds it as a version (to the first stage by default); or `--finish`. */
export async function rotate([id]: ArgsOf<Rotate>, o: OptionsOf<Rotate>): Promise<void> {
  if (o.finish) {
    if (o.generate !== undefined || o.allStages || o.stage === false) {
      throw new UsageError("--finish takes no --generate, --all-stages or --no-stage");
    }
    const repo = await openRepo(o);
    const r = await repo.finish(id);
    for (const line of describeRotationNotes(r.notes)) note(line);
    out(describeFinish(r));
    return;
  }
  const policy = stagePolicy(o);
  const repo = await openRepo(o);
  const r = await repo.rotate(id, {
    ...(o.generate !== undefined && { generate: o.generate }),
    ...(policy !== undefined && { stages: policy }),
  });
  for (const line of describeRotationNotes(r.notes)) note(line);
  out(describeWrite(r));
  if (r.retired.length > 0) {
    out(
      `  retired by this rotation: ${r.retired.map((v) => `version ${v}`).join(", ")} (their credential no longer works)`,
    );
  }
}
