/** `lockstep show`: one secret's metadata, readers and versions; never its value. */
import { openRepo } from "../context.js";
import { out, outJson } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { secretDetails } from "../render/secrets.js";

type Show = typeof commands.show;

/** Prints a secret's metadata. */
export async function show([id]: ArgsOf<Show>, o: OptionsOf<Show>): Promise<void> {
  const repo = await openRepo(o);
  const s = await repo.show(id);
  if (o.json) return outJson(s);
  out(secretDetails(s));
}
