/** `lockstep diff`: what the working tree changes against a revision, never a value. */
import { openRepo } from "../context.js";
import { outJson } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { diffMarkdown, diffText } from "../render/changes.js";

type Diff = typeof commands.diff;

/** Prints the changes of the working tree against REV (default HEAD). */
export async function diff([rev]: ArgsOf<Diff>, o: OptionsOf<Diff>): Promise<void> {
  const repo = await openRepo(o, { strict: false });
  const report = await repo.diff(rev === undefined ? {} : { rev });
  if (o.format === "json") return outJson(report);
  process.stdout.write(o.format === "markdown" ? diffMarkdown(report) : diffText(report));
}
