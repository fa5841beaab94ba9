/**
 * e2e helpers for tests that edit a sandbox repository by hand and read
 * `check`'s findings: git in the sandbox, a value set through the CLI, a
 * manifest edited as in an editor, and the line of a text a finding names.
 */
import { expect } from "vitest";
import { parseDocument } from "yaml";
import { childEnv, expectOk, runTool, type Sandbox } from "./helpers.js";

/** A finding as `check --format json` prints it. */
export interface Finding {
  code: string;
  severity: "error" | "warning";
  file: string;
  line?: number;
  id?: string;
  message: string;
  fix?: string;
}

/** `git ARGS` in the sandbox's repository, as its user; asserts success and returns stdout. */
export async function git(s: Sandbox, ...args: string[]): Promise<string> {
  const r = await runTool("git", args, { cwd: s.repo, env: childEnv(s.home) });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** Commits everything in the work tree (an empty commit when nothing changed). */
export async function commitAll(s: Sandbox, message = "work"): Promise<void> {
  await git(s, "add", "-A");
  await git(s, "commit", "-q", "--allow-empty", "-m", message);
}

/** `lockstep set ID FLAGS` with the value on stdin; asserts success. */
export async function setValue(s: Sandbox, id: string, value: string, ...flags: string[]): Promise<void> {
  expectOk(await s.run(["set", id, ...flags], { input: value }));
}

/** A manifest's path from the repository's root. */
export const manifestFile = (id: string): string => `secrets/${id}.yaml`;

/** Edits a manifest as a user in an editor would (comments and order kept). */
export async function editManifest(
  s: Sandbox,
  id: string,
  edit: (doc: ReturnType<typeof parseDocument>) => void,
): Promise<void> {
  const rel = manifestFile(id);
  const doc = parseDocument(await s.read(rel));
  edit(doc);
  await s.write(rel, doc.toString());
}

/** The 1-based line of the first line of `text` that contains `needle` (or matches it). */
export function lineNo(text: string, needle: string | RegExp): number {
  const i = text.split("\n").findIndex((l) => (typeof needle === "string" ? l.includes(needle) : needle.test(l)));
  if (i < 0) throw new Error(`no line with ${needle} in:\n${text}`);
  return i + 1;
}
