/** `lockstep set`: create a secret or add a version. */
import type { SecretType } from "../../core/model.js";
import type { StagePolicy } from "../../core/stages.js";
import { UsageError } from "../../errors.js";
import type { SetResult } from "../../repository.js";
import { type GlobalOptions, openRepo } from "../context.js";
import { readValue } from "../input.js";
import { out } from "../output.js";

/** Options of `set`. */
export interface SetCommandOptions extends GlobalOptions {
  id: string;
  file?: string;
  generate?: string;
  type?: SecretType;
  description?: string;
  schema?: string;
  allStages?: boolean;
  stage?: boolean;
}

/** `--all-stages` / `--no-stage` as a policy. */
export function stagePolicy(o: { allStages?: boolean; stage?: boolean }): StagePolicy | undefined {
  if (o.allStages && o.stage === false) throw new UsageError("--all-stages and --no-stage exclude each other");
  return o.allStages ? "all" : o.stage === false ? "none" : undefined;
}

/** Prints what a write did. */
export function reportWrite(r: SetResult): void {
  const where = r.stages.length > 0 ? `stages: ${r.stages.join(", ")}` : "pending: no stage points at it yet";
  out(`${r.created ? "Created" : "Updated"} ${r.id}: version ${r.version} (${where})`);
}

/** Encrypts the value to the secret's readers as a new version. */
export async function set(o: SetCommandOptions): Promise<void> {
  if (o.file !== undefined && o.generate !== undefined)
    throw new UsageError("--file and --generate exclude each other");
  const policy = stagePolicy(o);
  const repo = await openRepo(o);
  repo.secretId(o.id); // a bad id fails before we ask for a value
  let value: string;
  if (o.generate !== undefined) {
    const { generateValue } = await import("../../repository.js");
    value = generateValue(o.generate);
  } else {
    value = await readValue(o.file);
  }
  const r = await repo.set(o.id, value, {
    ...(o.type !== undefined && { type: o.type }),
    ...(o.description !== undefined && { description: o.description }),
    ...(o.schema !== undefined && { schema: o.schema }),
    ...(policy !== undefined && { stages: policy }),
    ...(o.generate !== undefined && { generator: o.generate }),
  });
  reportWrite(r);
}
