/** `lockstep exposure MEMBER`: every secret version a member could ever decrypt, and what to rotate. */
import { openRepo } from "../context.js";
import { out, outJson } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { exposureText } from "../render/history.js";

type Exposure = typeof commands.exposure;

/** Prints the member's exposure: the offboarding list. */
export async function exposureCommand([member]: ArgsOf<Exposure>, o: OptionsOf<Exposure>): Promise<void> {
  const repo = await openRepo(o, { strict: false });
  const report = await repo.exposure(member);
  if (o.json) return outJson(report);
  out(exposureText(report));
}
