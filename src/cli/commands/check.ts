/** `lockstep check`: validate the whole repository; exit 1 on any error finding. */
import { checkRepository } from "../../ops/check.js";
import { findRoot } from "../../storage/layout.js";
import { type GlobalOptions, warn } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { type FindingsFormat, renderFindings } from "../render-findings.js";

/** Options of `check`. */
export interface CheckCommandOptions extends GlobalOptions {
  format?: FindingsFormat;
  decrypt?: boolean;
}

/** Checks the repository and prints the findings; returns 1 if any is an error. */
export async function check(o: CheckCommandOptions): Promise<number> {
  const root = await findRoot(o.C ?? process.cwd());
  const report = await checkRepository(root, {
    decrypt: o.decrypt === true,
    pathsFromGitRoot: o.format === "github",
    identities: { ...(o.identity !== undefined && { files: o.identity }), onWarning: warn },
  });
  process.stdout.write(renderFindings(o.format ?? "text", report.findings, report.secrets, process.stdout));
  if (report.undecrypted > 0) {
    warn(`${report.undecrypted} live versions were not checked: none of your identities can decrypt them`);
  }
  return report.findings.some((f) => f.severity === "error") ? EXIT.failed : EXIT.ok;
}
