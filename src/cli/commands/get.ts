/** `lockstep get`: one value to stdout, exactly as stored. */
import { openRepo } from "../context.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";

type Get = typeof commands.get;

/** Decrypts a version (default: newest; or `--version N`, `--stage S`) and writes its value. */
export async function get([id]: ArgsOf<Get>, o: OptionsOf<Get>): Promise<void> {
  const repo = await openRepo(o);
  const value = await repo.get(id, {
    ...(o.version !== undefined && { version: o.version }),
    ...(o.stage !== undefined && { stage: o.stage }),
  });
  process.stdout.write(value);
  // On a terminal the prompt would otherwise follow the value on its line; piped, the value stays exact.
  if (process.stdout.isTTY && !value.endsWith("\n")) process.stdout.write("\n");
}
