/** `lockstep codeowners`: CODEOWNERS from the approvers in access.yaml. */
import { CODEOWNERS_FILE, renderCodeowners } from "../../core/codeowners.js";
import { UsageError } from "../../errors.js";
import { readTextIfExists, writeFileAtomic } from "../../storage/fs.js";
import { codeownersPlace } from "../../storage/git.js";
import { type GlobalOptions, openRepo } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { note, out } from "../output.js";

/** Options of `codeowners`. */
export interface CodeownersOptions extends GlobalOptions {
  write?: boolean;
  check?: boolean;
}

/** Prints CODEOWNERS, writes it (`--write`), or exits 1 if it is out of date (`--check`). */
export async function codeowners(o: CodeownersOptions): Promise<number> {
  if (o.write && o.check) throw new UsageError("--write and --check exclude each other");
  const repo = await openRepo(o);
  const place = await codeownersPlace(repo.root);
  const text = renderCodeowners(repo.access, await repo.files.listSecretIds(), place.prefix);
  if (o.write) {
    await writeFileAtomic(place.file, text);
    out(`Wrote ${CODEOWNERS_FILE}`);
    return EXIT.ok;
  }
  if (o.check) {
    const actual = await readTextIfExists(place.file);
    if (actual === text) {
      out(`${CODEOWNERS_FILE} is up to date`);
      return EXIT.ok;
    }
    note(`${CODEOWNERS_FILE} is ${actual === undefined ? "missing" : "out of date"}; run: lockstep codeowners --write`);
    return EXIT.failed;
  }
  process.stdout.write(text);
  return EXIT.ok;
}
