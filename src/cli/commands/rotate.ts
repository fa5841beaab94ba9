/** `lockstep rotate`: a new version from the secret's generator, applied where it lives by its strategy; `--finish`. */
import { UsageError } from "../../errors.js";
import type { RotationOutcome } from "../../rotation/steps.js";
import { type GlobalOptions, openRepo } from "../context.js";
import { note, out, paint } from "../output.js";
import { reportWrite, stagePolicy } from "./set.js";

/** Options of `rotate`. */
export interface RotateCommandOptions extends GlobalOptions {
  id: string;
  generate?: string;
  allStages?: boolean;
  stage?: boolean;
  finish?: boolean;
}

/** Prints what the rotation steps reported (scrubbed), to stderr. */
export function reportNotes(notes: RotationOutcome["notes"]): void {
  for (const n of notes) for (const line of n.lines) note(paint(process.stderr, "2", `  ${n.step}: ${line}`));
}

/**
 * Generates a new value and adds it as a version (to the first stage by
 * default); with `--finish`, retires the previous credential.
 */
export async function rotate(o: RotateCommandOptions): Promise<void> {
  if (o.finish) {
    if (o.generate !== undefined || o.allStages || o.stage === false) {
      throw new UsageError("--finish takes no --generate, --all-stages or --no-stage");
    }
    const repo = await openRepo(o);
    const r = await repo.finish(o.id);
    reportNotes(r.notes);
    out(`Finished ${r.id}: the credential of version ${r.previous} is retired (every stage has version ${r.current})`);
    return;
  }
  const policy = stagePolicy(o);
  const repo = await openRepo(o);
  const r = await repo.rotate(o.id, {
    ...(o.generate !== undefined && { generate: o.generate }),
    ...(policy !== undefined && { stages: policy }),
  });
  reportNotes(r.notes);
  reportWrite(r);
  if (r.retired.length > 0) {
    const list = r.retired.map((v) => `version ${v}`).join(", ");
    out(`  retired by this rotation: ${list} (their credential no longer works)`);
  }
}
