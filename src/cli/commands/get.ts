/** `lockstep get`: one value to stdout, exactly as stored. */
import { openRepo } from "../context.js";
import { note } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeRead } from "../render/writes.js";

type Get = typeof commands.get;

/**
 * Decrypts a version (default: newest; or `--version N`, `--stage S`) and
 * writes its exact bytes. Without either, a person at a terminal is told on
 * stderr which version that is and where the stages are: the newest may be
 * on canary only.
 */
export async function get([id]: ArgsOf<Get>, o: OptionsOf<Get>): Promise<void> {
  const repo = await openRepo(o);
  const read = await repo.read(id, {
    ...(o.version !== undefined && { version: o.version }),
    ...(o.stage !== undefined && { stage: o.stage }),
  });
  process.stdout.write(read.value);
  // On a terminal the prompt would otherwise follow the value on its line; piped, the value stays exact.
  if (process.stdout.isTTY && read.value.at(-1) !== 0x0a) process.stdout.write("\n");
  if (process.stderr.isTTY && o.version === undefined && o.stage === undefined) note(describeRead(read));
}
