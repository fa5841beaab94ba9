/**
 * The one module that runs git. Every git call of lockstep goes through
 * {@link runGit}, which starts git directly; a failure becomes a
 * {@link GitError} (code `GIT`, exit 1) carrying git's stderr. History
 * reading (git-history.ts) is built on the same runner.
 *
 * Why not simple-git: lockstep needs few git commands, one of them speaks
 * cat-file's batch protocol on stdin (which simple-git cannot), and the
 * queries run on `check`'s path on every pull request, where loading
 * simple-git cost more than the query itself (its vendor file, ~25 ms of
 * start-up). simple-git also resolves, rather than rejects, a git that
 * exits non-zero without writing to stderr.
 */
import { spawn } from "node:child_process";
import { realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { GitError } from "../errors.js";

/** Options of {@link runGit}. */
export interface GitOptions {
  /** Written to git's stdin, which is then closed (default: nothing). */
  input?: string;
  /** Exit codes besides 0 that are an answer rather than a failure (`rev-parse --verify -q`: 1). */
  answers?: readonly number[];
}

/** What git printed, and how it ended. */
export interface GitOutput {
  stdout: Buffer;
  exitCode: number;
}

/**
 * Runs `git ARGS` in `dir`.
 * @throws GitError when git exits with a code other than 0 and `answers`, or cannot be started.
 */
export function runGit(dir: string, args: readonly string[], options: GitOptions = {}): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", (e) => reject(new GitError(args, undefined, String((e as Error).message), { cause: e })));
    child.on("close", (code, signal) => {
      const exitCode = code ?? 128 + (signal === null ? 0 : 1);
      if (exitCode === 0 || options.answers?.includes(exitCode)) {
        resolve({ stdout: Buffer.concat(out), exitCode });
      } else {
        reject(new GitError(args, exitCode, Buffer.concat(err).toString("utf8")));
      }
    });
    // git may end before it reads its input: that is for its exit code to tell, not a broken pipe.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/** git's stdout as text, for commands that print text. */
export async function gitText(dir: string, args: readonly string[], options?: GitOptions): Promise<string> {
  return (await runGit(dir, args, options)).stdout.toString("utf8");
}

/**
 * The top of the git work tree holding `dir`, or `undefined` when there is
 * none: not inside a work tree, or no git installed (lockstep works without
 * git; then nothing is tracked and there is no work tree to protect).
 */
export async function workTreeRoot(dir: string): Promise<string | undefined> {
  try {
    // Only the line break git ends with: a folder's name may end in a space.
    return (await gitText(dir, ["rev-parse", "--show-toplevel"])).replace(/\r?\n$/, "");
  } catch (e) {
    if (e instanceof GitError) return undefined;
    throw e;
  }
}

/** Whether `dir` is inside a git work tree. */
export async function isInsideWorkTree(dir: string): Promise<boolean> {
  try {
    return (await gitText(dir, ["rev-parse", "--is-inside-work-tree"])).trim() === "true";
  } catch (e) {
    if (e instanceof GitError) return false;
    throw e;
  }
}

/**
 * Why git cannot commit in `dir` now, or `undefined` if it can: not inside
 * a work tree, or no author or committer identity (`git var` fails as
 * `git commit` would). A hook that refuses the commit cannot be foreseen.
 */
export async function commitProblem(dir: string): Promise<{ reason: string; fix: string } | undefined> {
  if (!(await isInsideWorkTree(dir))) {
    return { reason: "it is not inside a git repository", fix: "run `git init` there, or drop --commit" };
  }
  for (const ident of ["GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"]) {
    try {
      await runGit(dir, ["var", ident]);
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      return {
        reason: "git knows no name and email to commit as",
        fix: 'run `git config --global user.name "Your Name"` and `git config --global user.email you@example.com`, or drop --commit',
      };
    }
  }
  return undefined;
}

/** The branch `init` creates, which the generated workflows deploy from. */
export const INITIAL_BRANCH = "main";

/**
 * Makes `dir` a git repository if it is not inside one, on branch `main`
 * whatever git's own default; returns whether it did.
 */
export async function ensureGitRepository(dir: string): Promise<boolean> {
  if (await isInsideWorkTree(dir)) return false;
  await runGit(dir, ["init"]);
  // `git init -b` needs git 2.28; pointing the unborn HEAD at main works with any git.
  await runGit(dir, ["symbolic-ref", "HEAD", `refs/heads/${INITIAL_BRANCH}`]);
  return true;
}

/**
 * The repository's default branch: the remote's (`origin/HEAD`), else the
 * branch checked out, else `main`.
 */
export async function defaultBranch(dir: string): Promise<string> {
  const ref = async (args: string[]) => {
    try {
      return (await gitText(dir, args)).trim();
    } catch (e) {
      if (e instanceof GitError) return "";
      throw e;
    }
  };
  const remote = await ref(["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"]);
  if (remote.startsWith("origin/")) return remote.slice("origin/".length);
  return (await ref(["symbolic-ref", "--quiet", "--short", "HEAD"])) || INITIAL_BRANCH;
}

/**
 * Commits exactly `paths` (relative to `dir`) with `message`; returns the
 * new commit's hash. Other staged or unstaged changes are left as they are.
 */
export async function commitPaths(dir: string, paths: readonly string[], message: string): Promise<string> {
  await runGit(dir, ["add", "--", ...paths]);
  const out = await gitText(dir, ["-c", "core.abbrev=40", "commit", "-m", message, "--", ...paths]);
  // The summary line: `[main (root-commit) 0123...] subject`.
  const hash = /^\[[^\]\n]* ([0-9a-f]{40,64})\]/m.exec(out)?.[1];
  return hash ?? (await gitText(dir, ["rev-parse", "HEAD"])).trim();
}

/**
 * Of `paths` (relative to `dir`; files or folders), the files whose content
 * differs from HEAD's, staged or not, and untracked ones: what a commit of
 * `paths` would sweep in besides a command's own change. `/`-separated,
 * relative to the work tree's top (git's porcelain v1 format).
 */
export async function uncommittedFiles(dir: string, paths: readonly string[]): Promise<string[]> {
  const out = await gitText(dir, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ...paths]);
  const files: string[] = [];
  const entries = out.split("\0");
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] ?? "";
    if (entry.length < 4) continue;
    files.push(entry.slice(3));
    if (entry[0] === "R" || entry[0] === "C") i++; // a rename's or copy's source follows
  }
  return files;
}

/**
 * The files git tracks under `dir`, relative to it, `/`-separated. Ask only
 * inside a work tree ({@link workTreeRoot}): elsewhere git fails.
 */
export async function trackedFiles(dir: string): Promise<string[]> {
  const out = await gitText(dir, ["ls-files", "-z", "--", "."]);
  return out.split("\0").filter((f) => f !== "");
}

/**
 * Where `.github/CODEOWNERS` lives for the secrets repository at `root`: at
 * the top of its git work tree (`top`, from {@link workTreeRoot}), or in
 * `root` outside git; and `root`'s path from there (`""`, or ending in `/`),
 * which CODEOWNERS patterns start with.
 */
export async function codeownersPlace(
  root: string,
  top: string | undefined,
): Promise<{ file: string; prefix: string }> {
  const tree = top ?? root;
  const rel = relative(await realpath(tree), await realpath(root))
    .split(sep)
    .join("/");
  return { file: join(tree, ".github", "CODEOWNERS"), prefix: rel === "" ? "" : `${rel}/` };
}
