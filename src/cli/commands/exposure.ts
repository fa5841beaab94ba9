/** `lockstep exposure MEMBER`: every secret version a member could ever decrypt, and what to rotate. */
import { exposure } from "../../ops/history.js";
import { findRoot, RepositoryFiles } from "../../storage/layout.js";
import type { GlobalOptions } from "../context.js";
import { out, outJson, table } from "../output.js";

/** Options of `exposure`. */
export interface ExposureOptions extends GlobalOptions {
  member: string;
  json?: boolean;
}

/** Prints the member's exposure: the offboarding list. */
export async function exposureCommand(o: ExposureOptions): Promise<void> {
  const files = new RepositoryFiles(await findRoot(o.C ?? process.cwd()));
  const report = await exposure(files, o.member);
  if (o.json) return outJson(report);
  if (report.versions.length === 0) return out(`${o.member} could never decrypt any secret version.`);
  out(`${o.member} could decrypt ${report.versions.length} secret versions:`);
  out(
    table(
      report.versions.map((v) => [
        `  ${v.id}`,
        `v${v.version}`,
        v.live ? `live (${v.stages.join(", ")})` : "not live",
        v.since ? `since ${v.since.slice(0, 8)}` : "uncommitted",
      ]),
    ),
  );
  out(
    report.rotate.length === 0
      ? "None of them is live: nothing to rotate."
      : `Rotate, then promote to every stage: ${report.rotate.join(", ")}`,
  );
}
