/** `lockstep set`: create a secret or add a version. */

import { UsageError } from "../../errors.js";
import type { StagePolicy } from "../../index.js";
import { openRepo } from "../context.js";
import { readValue } from "../input.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeCommit, describeMetadata, describeWrite } from "../render/writes.js";

type Set = typeof commands.set;

/** `--all-stages` / `--no-stage` as a policy. */
export function stagePolicy(o: { allStages?: boolean; stage?: boolean }): StagePolicy | undefined {
  if (o.allStages && o.stage === false) throw new UsageError("--all-stages and --no-stage exclude each other");
  return o.allStages ? "all" : o.stage === false ? "none" : undefined;
}

/** `--consumers a,b`: the names, white space around each dropped; `""` is none. */
function consumerList(s: string): string[] {
  return s
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
}

/**
 * Encrypts the value (from stdin, `--file` or `--generate`) to the secret's
 * readers as a new version; with `--keep-value`, changes only metadata.
 */
export async function set([id]: ArgsOf<Set>, o: OptionsOf<Set>): Promise<void> {
  if (o.file !== undefined && o.generate !== undefined) {
    throw new UsageError("--file and --generate exclude each other");
  }
  if (o.keepValue) {
    const clash = [
      o.file !== undefined && "--file",
      o.generate !== undefined && "--generate",
      o.type !== undefined && "--type",
      o.allowEmpty && "--allow-empty",
      o.allStages && "--all-stages",
      o.stage === false && "--no-stage",
    ].filter(Boolean);
    if (clash.length > 0) throw new UsageError(`--keep-value adds no version: leave out ${clash.join(", ")}`);
    const repo = await openRepo(o);
    const r = await repo.setMetadata(id, {
      ...(o.description !== undefined && { description: o.description }),
      ...(o.schema !== undefined && { schema: o.schema }),
      ...(o.env !== undefined && { envName: o.env }),
      ...(o.consumers !== undefined && { consumers: consumerList(o.consumers) }),
      ...(o.maxAge !== undefined && { maxAge: o.maxAge }),
      ...(o.commit && { commit: true }),
    });
    out([describeMetadata(r), ...describeCommit(r)].join("\n"));
    return;
  }
  const metadataOnly = [o.consumers !== undefined && "--consumers", o.maxAge !== undefined && "--max-age"].filter(
    Boolean,
  );
  if (metadataOnly.length > 0) {
    throw new UsageError(`${metadataOnly.join(" and ")} go with --keep-value`, {
      fix: `change them without a new version: lockstep set ${id} --keep-value ${metadataOnly.join(" ... ")} ...`,
    });
  }
  const policy = stagePolicy(o);
  const repo = await openRepo(o);
  repo.secretId(id); // a bad id fails before we ask for a value
  const value = o.generate !== undefined ? { generate: o.generate } : await readValue(o.file);
  const r = await repo.set(id, value, {
    ...(o.type !== undefined && { type: o.type }),
    ...(o.description !== undefined && { description: o.description }),
    ...(o.schema !== undefined && { schema: o.schema }),
    ...(o.env !== undefined && { envName: o.env }),
    ...(o.allowEmpty && { allowEmpty: true }),
    ...(policy !== undefined && { stages: policy }),
    ...(o.commit && { commit: true }),
  });
  out([describeWrite(r), ...describeCommit(r)].join("\n"));
}
