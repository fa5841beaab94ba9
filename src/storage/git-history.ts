/**
 * Reading the secrets repository's Git history in bulk: one `git log` for
 * every commit and the files it changed, one `git cat-file --batch` for
 * every file version needed. Part of the git module: every call goes
 * through git.ts's runner.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { GitError } from "../errors.js";
import { gitText, runGit } from "./git.js";

/** A person as Git records them. */
export interface GitPerson {
  name: string;
  email: string;
  /** ISO 8601 time. */
  time: string;
}

/** One changed file in a commit, as `git log --raw` reports it. */
export interface FileChange {
  /** A added, M modified, D deleted, R renamed (with `oldPath`), T type change. */
  status: "A" | "M" | "D" | "R" | "T";
  path: string;
  oldPath?: string;
  /** Blob of the file before the commit (absent when added). */
  oldBlob?: string;
  /** Blob of the file after the commit (absent when deleted). */
  newBlob?: string;
}

/** A commit and the files it changed. */
export interface HistoryCommit {
  hash: string;
  parents: string[];
  author: GitPerson;
  committer: GitPerson;
  /** `git log %G?`: G good, B bad, U good but unknown validity, X/Y expired, R revoked, E cannot check, N none. */
  signature: string;
  subject: string;
  changes: FileChange[];
}

const ZERO = /^0+$/;
const RECORD = "\u001e";
const FIELD = "\u001f";

/** Whether HEAD exists (the repository has a commit); false outside a git repository. */
export async function hasCommits(dir: string): Promise<boolean> {
  try {
    return (await runGit(dir, ["rev-parse", "--verify", "-q", "HEAD"], { answers: [1] })).exitCode === 0;
  } catch (e) {
    if (e instanceof GitError) return false;
    throw e;
  }
}

/** Whether `rev` names a commit or tree here (a branch, tag, hash, `HEAD~2`...). */
export async function revisionExists(dir: string, rev: string): Promise<boolean> {
  try {
    return (await runGit(dir, ["rev-parse", "--verify", "-q", `${rev}^{tree}`], { answers: [1] })).exitCode === 0;
  } catch (e) {
    if (e instanceof GitError) return false;
    throw e;
  }
}

/** The commits where a shallow clone's history is cut: their parents are missing. */
export async function shallowBoundary(dir: string): Promise<Set<string>> {
  let path: string;
  try {
    path = (await gitText(dir, ["rev-parse", "--git-path", "shallow"])).trim();
  } catch (e) {
    if (e instanceof GitError) return new Set();
    throw e;
  }
  // The file exists only in a shallow clone.
  const text = await readFile(resolve(dir, path), "utf8").catch(() => "");
  return new Set(text.split("\n").filter(Boolean));
}

/** Whether the clone is shallow (its history is cut off); false outside a git repository. */
export async function isShallow(dir: string): Promise<boolean> {
  try {
    return (await gitText(dir, ["rev-parse", "--is-shallow-repository"])).trim() === "true";
  } catch (e) {
    if (e instanceof GitError) return false;
    throw e;
  }
}

/** Options of {@link readHistory}. */
export interface HistoryOptions {
  /** Only commits at or after this date (anything `git log --since` takes). */
  since?: string;
  until?: string;
  /** The revision to start from (default HEAD). */
  rev?: string;
}

/**
 * Every commit (newest first) that changed `paths` under `dir`, with its
 * changes relative to its first parent, paths relative to `dir`. Merge
 * commits are listed without changes of their own: what they bring in is
 * reported at the commits that made it.
 */
export async function readHistory(
  dir: string,
  paths: readonly string[],
  options: HistoryOptions = {},
): Promise<HistoryCommit[]> {
  const format = `${RECORD}%H${FIELD}%P${FIELD}%an${FIELD}%ae${FIELD}%aI${FIELD}%cn${FIELD}%ce${FIELD}%cI${FIELD}%G?${FIELD}%s`;
  const args = ["log", `--format=${format}`, "--raw", "--no-abbrev", "-M", "--relative", "-z"];
  if (options.since) args.push(`--since=${options.since}`);
  if (options.until) args.push(`--until=${options.until}`);
  args.push(options.rev ?? "HEAD", "--", ...paths);
  const out = await gitText(dir, args);
  return out
    .split(RECORD)
    .filter((r) => r.trim() !== "")
    .map(parseRecord);
}

function parseRecord(record: string): HistoryCommit {
  const headerEnd = record.indexOf("\0");
  const header = headerEnd === -1 ? record.trimEnd() : record.slice(0, headerEnd).replace(/\n+$/, "");
  const [hash, parents, an, ae, at, cn, ce, ct, sig, subject] = header.split(FIELD) as string[];
  const changes: FileChange[] = [];
  // With -z: ":old new oldsha newsha STATUS\0path\0[path2\0]".
  const parts = headerEnd === -1 ? [] : record.slice(headerEnd + 1).split("\0");
  for (let i = 0; i < parts.length; i++) {
    const meta = (parts[i] as string).replace(/^\n/, "");
    if (!meta.startsWith(":")) continue;
    const [, , oldBlob, newBlob, statusField] = meta.slice(1).split(" ") as string[];
    const status = (statusField ?? "M")[0] as FileChange["status"];
    const change: FileChange = { status, path: parts[++i] as string };
    if (status === "R" || (statusField ?? "").startsWith("C")) {
      change.oldPath = change.path;
      change.path = parts[++i] as string;
    }
    if (oldBlob && !ZERO.test(oldBlob)) change.oldBlob = oldBlob;
    if (newBlob && !ZERO.test(newBlob)) change.newBlob = newBlob;
    changes.push(change);
  }
  return {
    hash: hash ?? "",
    parents: (parents ?? "").split(" ").filter(Boolean),
    author: { name: an ?? "", email: ae ?? "", time: at ?? "" },
    committer: { name: cn ?? "", email: ce ?? "", time: ct ?? "" },
    signature: sig ?? "N",
    subject: subject ?? "",
    changes,
  };
}

/** The blobs of the files under `paths` at `rev`, by path relative to `dir`. */
export async function treeBlobs(dir: string, rev: string, paths: readonly string[]): Promise<Map<string, string>> {
  const out = await gitText(dir, ["ls-tree", "-r", "-z", rev, "--", ...paths]);
  const blobs = new Map<string, string>();
  for (const entry of out.split("\0")) {
    const m = /^\d+ blob ([0-9a-f]+)\t(.+)$/s.exec(entry);
    if (m) blobs.set(m[2] as string, m[1] as string);
  }
  return blobs;
}

/** Reads many blobs through one `git cat-file --batch`, by hash (missing ones are left out). */
export async function readBlobs(dir: string, shas: Iterable<string>): Promise<Map<string, string>> {
  const wanted = [...new Set(shas)];
  const blobs = new Map<string, string>();
  if (wanted.length === 0) return blobs;
  const { stdout: buf } = await runGit(dir, ["cat-file", "--batch"], { input: `${wanted.join("\n")}\n` });
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    const [sha, type, size] = buf.subarray(pos, nl).toString().split(" ");
    if (type === "missing" || size === undefined) {
      pos = nl + 1;
      continue;
    }
    const start = nl + 1;
    const end = start + Number(size);
    blobs.set(sha as string, buf.subarray(start, end).toString("utf8"));
    pos = end + 1;
  }
  return blobs;
}
