/**
 * `codeowners`: `.github/CODEOWNERS` from the approvers in access.yaml, so
 * that GitHub asks each secret's approvers to review its changes.
 */
import { relative, sep } from "node:path";
import { CODEOWNERS_FILE, renderCodeowners } from "../core/codeowners.js";
import type { AccessConfig } from "../core/model.js";
import { readTextIfExists, writeFileAtomic } from "../storage/fs.js";
import { codeownersPlace, workTreeRoot } from "../storage/git.js";
import type { RepositoryFiles } from "../storage/layout.js";
import type { Session } from "./session.js";

/** The CODEOWNERS there is, and what access.yaml says it should hold. */
export interface CodeownersState {
  /** Absolute path (at the top of the git work tree). */
  path: string;
  /** The path from the secrets repository's root, `/`-separated. */
  relative: string;
  /** What it holds, if it exists. */
  actual: string | undefined;
  /** What access.yaml says it should hold (worked out when called: a rule and an approver list per secret). */
  expected(): string;
}

/** CODEOWNERS as it is, and as it should be (`top`: the git work tree's top, if any). */
export async function codeownersState(
  files: RepositoryFiles,
  top: string | undefined,
  access: AccessConfig,
  ids: readonly string[],
): Promise<CodeownersState> {
  const root = files.root;
  const place = await codeownersPlace(root, top);
  return {
    path: place.file,
    relative: relative(root, place.file).split(sep).join("/"),
    actual: await readTextIfExists(place.file),
    expected: () => {
      // Manifests reached through a link inside the repository: their real paths need the same owners.
      const real = new Map<string, string>();
      for (const id of ids) {
        const at = files.linkedManifest(id);
        if (at !== undefined) real.set(id, at);
      }
      return renderCodeowners(access, ids, place.prefix, real);
    },
  };
}

/** Options of {@link codeowners}: print (default), write, or check. */
export interface CodeownersOptions {
  mode?: "print" | "write" | "check";
}

/** What `codeowners` did. */
export interface CodeownersResult {
  /** `.github/CODEOWNERS`, for messages. */
  file: string;
  /** The CODEOWNERS text from access.yaml. */
  text: string;
  /** `written` (mode write); `up-to-date`, `missing` or `out-of-date` (mode check); absent when printing. */
  status?: "written" | "up-to-date" | "missing" | "out-of-date";
}

/**
 * CODEOWNERS from access.yaml: returned, written (mode `write`), or compared
 * with the file (mode `check`).
 */
export async function codeowners(session: Session, options: CodeownersOptions = {}): Promise<CodeownersResult> {
  const ids = await session.secretIds();
  const state = await codeownersState(session.files, await workTreeRoot(session.root), session.access, ids);
  const text = state.expected();
  const result = { file: CODEOWNERS_FILE, text };
  switch (options.mode ?? "print") {
    case "print":
      return result;
    case "write":
      await writeFileAtomic(state.path, text);
      return { ...result, status: "written" };
    case "check":
      return {
        ...result,
        status: state.actual === text ? "up-to-date" : state.actual === undefined ? "missing" : "out-of-date",
      };
  }
}
