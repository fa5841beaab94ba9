/** `lockstep audit`: who did what to which secret, read from Git history. */
import { openRepo, warn } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { out, outJson } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { eventsTable } from "../render/history.js";

type Audit = typeof commands.audit;

/** Prints the events, newest first; with --require-signed, exits 1 if any commit lacks a good signature. */
export async function audit([target]: ArgsOf<Audit>, o: OptionsOf<Audit>): Promise<number> {
  const { parseEventKinds } = await import("../../index.js");
  const kinds = parseEventKinds(o.kind ?? []);
  const repo = await openRepo(o, { strict: false });
  const report = await repo.audit({
    ...(target !== undefined && { target }),
    ...(o.since !== undefined && { since: o.since }),
    ...(o.until !== undefined && { until: o.until }),
    ...(o.author !== undefined && { author: o.author }),
    kinds,
  });
  if (report.empty) {
    if (o.json) outJson([]);
    else out("No history yet: the repository has no commits.");
    return EXIT.ok;
  }
  if (report.shallow) {
    warn(
      "this is a shallow clone: events before its oldest commit are missing; run `git fetch --unshallow` for the whole history",
    );
  }
  const { events } = report;
  if (o.json) outJson(events);
  else out(eventsTable(events));
  if (o.requireSigned) {
    const unsigned = events.filter((e) => !e.signed);
    if (unsigned.length > 0) {
      const commits = [...new Set(unsigned.map((e) => e.commit.slice(0, 8)))];
      warn(`${unsigned.length} events come from commits without a good signature: ${commits.join(", ")}`);
      return EXIT.failed;
    }
  }
  return EXIT.ok;
}
