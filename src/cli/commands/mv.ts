/** `lockstep mv`: rename a secret. */
import { openRepo } from "../context.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeMove } from "../render/lifecycle.js";

type Mv = typeof commands.mv;

/** Re-encrypts every version bound to the new id, and moves the manifest. */
export async function mv([from, to]: ArgsOf<Mv>, o: OptionsOf<Mv>): Promise<void> {
  const repo = await openRepo(o);
  out(describeMove(await repo.move(from, to, { commit: o.commit === true })));
}
