/** `lockstep exposure MEMBER`: every secret version a member could ever decrypt, and what to rotate. */
import { openRepo, warn } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { out, outJson } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { exposureText } from "../render/history.js";

type Exposure = typeof commands.exposure;

/**
 * Prints the member's exposure: the offboarding list. In a shallow clone the
 * list may miss versions, so it exits 1 after warning, unless told the
 * history there is complete enough (`--allow-shallow`).
 */
export async function exposureCommand([member]: ArgsOf<Exposure>, o: OptionsOf<Exposure>): Promise<number> {
  const repo = await openRepo(o, { strict: false });
  const report = await repo.exposure(member);
  if (o.json) outJson(report);
  else out(exposureText(report));
  for (const u of report.unreadable) {
    warn(`${u.file} at commit ${u.commit.slice(0, 8)} is not YAML: the versions it held are not in this report`);
  }
  if (report.shallow) {
    warn(
      "this is a shallow clone: versions encrypted to the member before its oldest commit are missing from this report; run `git fetch --unshallow` (in GitHub Actions: actions/checkout with fetch-depth: 0), or pass --allow-shallow if the history here is complete enough",
    );
    if (!o.allowShallow) return EXIT.failed;
  }
  return EXIT.ok;
}
