/** `lockstep setup-git`, `lockstep merge-driver` and `lockstep resolve`: two branches that change one secret. */
import { openRepo } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { note, out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeMergeDriver, describeResolve, describeSetupGit } from "../render/lifecycle.js";

type SetupGit = typeof commands.setupGit;
type MergeDriver = typeof commands.mergeDriver;
type Resolve = typeof commands.resolve;

/** How git should start this lockstep: the running node and script, quoted for sh. */
export function selfCommand(): string {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const script = process.argv[1];
  return script === undefined ? "lockstep" : `${quote(process.execPath)} ${quote(script)}`;
}

/** Writes .gitattributes and this clone's git configuration for the merge driver. */
export async function setupGit(_: ArgsOf<SetupGit>, o: OptionsOf<SetupGit>): Promise<void> {
  const repo = await openRepo(o);
  out(describeSetupGit(await repo.setupGit({ command: selfCommand() })));
}

/** Run by git: merges one manifest into OURS; exit 0 if merged, 1 to leave the conflict. */
export async function mergeDriver(
  [base, ours, theirs, path]: ArgsOf<MergeDriver>,
  o: OptionsOf<MergeDriver>,
): Promise<number> {
  const { mergeDriver: merge } = await import("../../index.js");
  const r = await merge({
    base,
    ours,
    theirs,
    ...(path !== undefined && { path }),
    ...(o.C !== undefined && { dir: o.C }),
    ...(o.identity !== undefined && { files: o.identity }),
  });
  const text = describeMergeDriver(r, path);
  if (text !== "") note(text);
  return r.clean ? EXIT.ok : EXIT.failed;
}

/** Re-encrypts the versions a merge renumbered, and marks the file resolved. */
export async function resolve([id]: ArgsOf<Resolve>, o: OptionsOf<Resolve>): Promise<void> {
  const repo = await openRepo(o);
  out(describeResolve(await repo.resolve(id)));
}
