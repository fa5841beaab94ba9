/** `lockstep check`: validate the whole repository; exit 1 on any error finding. */
import { openRepo, warn } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { renderFindings } from "../render/findings.js";

type Check = typeof commands.check;

/** Checks the repository and prints the findings; returns 1 if any is an error. */
export async function check(_args: ArgsOf<Check>, o: OptionsOf<Check>): Promise<number> {
  const repo = await openRepo(o, { strict: false });
  const report = await repo.check({
    decrypt: o.decrypt === true,
    pathsFromGitRoot: o.format === "github",
    ...(o.base !== undefined && { base: o.base }),
  });
  process.stdout.write(renderFindings(o.format, report.findings, report.secrets, process.stdout));
  if (report.undecrypted > 0) {
    const what = o.base === undefined ? "live versions" : "versions (live, or re-encrypted against the base)";
    warn(`${report.undecrypted} ${what} were not checked: none of your identities can decrypt them`);
  }
  return report.findings.some((f) => f.severity === "error") ? EXIT.failed : EXIT.ok;
}
