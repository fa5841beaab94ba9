/**
 * `lockstep merge-driver BASE OURS THEIRS [PATH]`: git's merge driver for
 * secret manifests (set up by `setup-git`, as `%O %A %B %P`). It merges the
 * three states with core/merge.ts, re-encrypts the versions it renumbered
 * when one of this process's identities can open them, and writes the
 * result over OURS. Exit 0 (`clean`) tells git the file is merged; else git
 * keeps the conflict, with the merged manifest in the working tree: its
 * renumbered versions carry `mergedFrom` until `lockstep resolve ID` (with
 * a reader's key) finishes them, and `check` explains it. A manifest it
 * cannot read, or keys both sides changed differently, get git's own line
 * merge with conflict markers instead.
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { mergeManifests } from "../core/merge.js";
import type { SecretManifest } from "../core/model.js";
import { stageNames } from "../core/stages.js";
import { LockstepError, NoIdentityError } from "../errors.js";
import { writeFileAtomic } from "../storage/fs.js";
import { runGit } from "../storage/git.js";
import type { IdentitySources } from "../storage/identities.js";
import { SECRETS_DIR } from "../storage/layout.js";
import { manifestText, parseManifest } from "../storage/manifests.js";
import { Session } from "./session.js";
import { rebindVersion } from "./versions.js";

/** Errors that mean this process cannot decrypt here, not that the manifest is wrong. */
const CANNOT_OPEN_HERE: ReadonlySet<string> = new Set(["NO_IDENTITY", "PASSPHRASE_REQUIRED", "PLUGIN_MISSING"]);

/** Options of {@link mergeDriver}: the files git names. */
export interface MergeDriverOptions extends IdentitySources {
  /** %O: the common ancestor's version of the file (empty when both sides added it). */
  base: string;
  /** %A: our version; the merged result is written here. */
  ours: string;
  /** %B: their version. */
  theirs: string;
  /** %P: the file's path in the work tree (relative to `dir`): gives the secret's id. */
  path?: string;
  /** Where git runs the driver (default: the working directory): the top of the work tree. */
  dir?: string;
}

/** What the merge driver did. */
export interface MergeDriverResult {
  /** The secret, when its path was given. */
  id?: string;
  /** Whether the file is merged (exit 0); else git keeps the conflict. */
  clean: boolean;
  /** Their versions that were numbered after ours. */
  renumbered: { from: number; to: number }[];
  /** Renumbered versions no identity of ours could re-encrypt: `lockstep resolve` finishes them. */
  unresolved: number[];
  /** Members who can open the unresolved versions. */
  canResolve: string[];
  /** Keys both sides changed differently (the file got conflict markers instead). */
  conflicts: string[];
  /** Why the file got git's line merge instead, when it did. */
  fellBack?: string;
  /** How disagreements were settled, for a person. */
  notes: string[];
}

async function readSide(path: string, label: string): Promise<SecretManifest | undefined> {
  const text = await readFile(path, "utf8");
  if (text.trim() === "") return undefined;
  return (await parseManifest(text, label)).data;
}

/**
 * Merges one manifest for git. Never throws for what a merge meets: a
 * failure to merge is `clean: false` (git then keeps the conflict).
 * @throws only what reading or writing the files throws.
 */
export async function mergeDriver(options: MergeDriverOptions): Promise<MergeDriverResult> {
  const cwd = options.dir ?? process.cwd();
  const empty = { renumbered: [], unresolved: [], canResolve: [], conflicts: [], notes: [] };
  const where = options.path === undefined ? undefined : locate(cwd, options.path);
  const session = await openNear(where?.root ?? cwd, options);
  const id = where?.id;
  let sides: (SecretManifest | undefined)[];
  try {
    sides = await Promise.all([
      readSide(options.base, "the common ancestor"),
      readSide(options.ours, "ours"),
      readSide(options.theirs, "theirs"),
    ]);
  } catch (e) {
    const why = e instanceof LockstepError ? e.message.split("\n")[0] : String(e);
    await lineMerge(cwd, options);
    return {
      ...(id !== undefined && { id }),
      clean: false,
      ...empty,
      fellBack: `a side is not a valid manifest: ${why}`,
    };
  }
  const [base, ours, theirs] = sides;
  if (!ours || !theirs) {
    await lineMerge(cwd, options);
    return { ...(id !== undefined && { id }), clean: false, ...empty, fellBack: "a side is empty" };
  }
  const env = id === undefined ? undefined : safeEnvironment(session, id);
  const order = env ? stageNames(env) : Object.keys(ours.stages);
  const merged = mergeManifests(base, ours, theirs, order);
  if (merged.conflicts.length > 0) {
    await lineMerge(cwd, options);
    return {
      ...(id !== undefined && { id }),
      clean: false,
      ...empty,
      conflicts: merged.conflicts,
      notes: merged.notes,
      fellBack: `both sides changed ${merged.conflicts.join(", ")}`,
    };
  }
  const unresolved: number[] = [];
  const canResolve = new Set<string>();
  const versions = [];
  for (const v of merged.manifest.versions) {
    if (v.mergedFrom === undefined) {
      versions.push(v);
      continue;
    }
    if (id !== undefined && session) {
      try {
        versions.push(await rebindVersion(session, id, v, options.path ?? "merged manifest"));
        continue;
      } catch (e) {
        // No key here, or one that cannot be used here (a passphrase with no terminal, a plugin not on
        // PATH): the conflict stays for `resolve`, never a driver failure that would drop their side.
        if (!(e instanceof LockstepError && CANNOT_OPEN_HERE.has(e.code))) throw e;
        if (!(e instanceof NoIdentityError)) merged.notes.push(`version ${v.version}: ${e.message.split("\n")[0]}`);
      }
    }
    unresolved.push(v.version);
    for (const r of v.recipients) canResolve.add(r.member);
    versions.push(v);
  }
  await writeFileAtomic(options.ours, await manifestText({ ...merged.manifest, versions }));
  return {
    ...(id !== undefined && { id }),
    clean: unresolved.length === 0,
    renumbered: merged.renumbered,
    unresolved: unresolved.sort((a, b) => a - b),
    canResolve: [...canResolve].sort(),
    conflicts: [],
    notes: merged.notes,
  };
}

/** The secrets repository holding `path` (relative to `cwd`), and the secret's id, if it is a manifest. */
function locate(cwd: string, path: string): { root: string; id?: string } | undefined {
  const abs = isAbsolute(path) ? path : join(cwd, path);
  const parts = abs.split(sep);
  const at = parts.lastIndexOf(SECRETS_DIR);
  if (at <= 0 || !abs.endsWith(".yaml")) return undefined;
  const root = parts.slice(0, at).join(sep) || sep;
  const id = relative(join(root, SECRETS_DIR), abs).split(sep).join("/").slice(0, -".yaml".length);
  return { root, id };
}

/** A session on the repository at (or above) `dir`, or `undefined` when there is none. */
async function openNear(dir: string, sources: IdentitySources): Promise<Session | undefined> {
  try {
    return await Session.open({ ...sources, dir, strict: false });
  } catch {
    return undefined;
  }
}

function safeEnvironment(session: Session | undefined, id: string) {
  try {
    return session?.environment(id.split("/")[0] as string).config;
  } catch {
    return undefined; // lockstep.yaml is itself mid-merge, or the environment is gone
  }
}

/** git's own line merge of the three files into OURS, with conflict markers. */
async function lineMerge(cwd: string, o: MergeDriverOptions): Promise<void> {
  const label = o.path ?? "manifest";
  await runGit(
    cwd,
    ["merge-file", "-L", `ours:${label}`, "-L", "base", "-L", `theirs:${label}`, o.ours, o.base, o.theirs],
    { answers: Array.from({ length: 127 }, (_, i) => i + 1) },
  );
}
