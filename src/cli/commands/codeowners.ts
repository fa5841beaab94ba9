/** `lockstep codeowners`: CODEOWNERS from the approvers in access.yaml. */
import { UsageError } from "../../errors.js";
import { openRepo } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { note, out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";

type Codeowners = typeof commands.codeowners;

/** Prints CODEOWNERS, writes it (`--write`), or exits 1 if it is out of date (`--check`). */
export async function codeowners(_args: ArgsOf<Codeowners>, o: OptionsOf<Codeowners>): Promise<number> {
  if (o.write && o.check) throw new UsageError("--write and --check exclude each other");
  const repo = await openRepo(o);
  const r = await repo.codeowners({ mode: o.write ? "write" : o.check ? "check" : "print" });
  switch (r.status) {
    case undefined:
      process.stdout.write(r.text);
      return EXIT.ok;
    case "written":
      out(`Wrote ${r.file}`);
      return EXIT.ok;
    case "up-to-date":
      out(`${r.file} is up to date`);
      return EXIT.ok;
    case "missing":
    case "out-of-date":
      note(`${r.file} is ${r.status === "missing" ? "missing" : "out of date"}; run: lockstep codeowners --write`);
      return EXIT.failed;
  }
}
