/**
 * Where plaintext may be written: stdout, a child process, or an explicit
 * path outside the repository's working tree (unless forced).
 */
import { appendFile, open, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { LockstepError } from "../errors.js";
import { ensureDir, writeFileAtomic } from "./fs.js";
import { workTreeRoot } from "./git.js";

async function real(path: string): Promise<string> {
  // The path may not exist yet: resolve the nearest folder that does.
  try {
    return await realpath(path);
  } catch {
    const up = dirname(path);
    return up === path ? path : join(await real(up), basename(path));
  }
}

/**
 * How plaintext lands at a path: a file written by rename (`file`: a link
 * there is replaced, never written through, so only the link's folder
 * matters), a folder written into (`folder`: links followed all the way),
 * or a file appended to (`append`, such as `$GITHUB_ENV`: written through a
 * link, so both the link's place and its target matter).
 */
export type PlaintextTarget = "file" | "folder" | "append";

/** Whether `target` (links resolved) is `tree` or inside it. */
function within(tree: string, target: string): boolean {
  const rel = relative(tree, target);
  // `..env` is a name inside the tree: only `..` itself, or `..` then a separator, leaves it.
  return rel === "" || !(rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}

/**
 * Refuses a plaintext output path inside the working tree of the secrets
 * repository (`root`), where it could be committed by mistake: every
 * spelling of such a path (`./..env`, a checkout whose folder name ends in
 * a space), and every link that leads there.
 * @returns the path to write: for `file` and `append`, the given file in its
 *   folder's real place (a link at the end stays a link to replace or
 *   append through); for `folder`, the real folder.
 * @throws LockstepError `USAGE` unless `force`.
 */
export async function assertOutsideWorkTree(
  root: string,
  path: string,
  force: boolean,
  kind: PlaintextTarget = "file",
): Promise<string> {
  const given = resolve(path);
  const place = kind === "folder" ? await real(given) : join(await real(dirname(given)), basename(given));
  if (force) return place;
  const tree = await real((await workTreeRoot(root)) ?? root);
  const targets = kind === "append" ? [place, await real(given)] : [place];
  if (targets.some((t) => within(tree, t))) {
    throw new LockstepError(
      "USAGE",
      `refusing to write plaintext to ${path}: it is inside the repository's working tree${place !== given || kind === "append" ? " (links followed)" : ""}`,
      {
        fix: "write outside the repository (e.g. under /run or $RUNNER_TEMP), or pass --force if you know it is ignored",
      },
    );
  }
  return place;
}

/** Writes a plaintext file (mode 0600, atomically), byte for byte. */
export async function writePlaintextFile(path: string, data: string | Uint8Array): Promise<void> {
  await writeFileAtomic(path, data, 0o600);
}

/** Writes one plaintext file per name under `dir` (folder 0700, files 0600), each holding its value's exact bytes. */
export async function writePlaintextFiles(
  dir: string,
  values: readonly { name: string; value: Uint8Array }[],
): Promise<void> {
  await ensureDir(dir, 0o700);
  for (const { name, value } of values) await writeFileAtomic(join(dir, name), value, 0o600);
}

/**
 * Whether the file at `path` ends in the middle of a line: it exists, is
 * not empty, and its last byte is no line feed. (A file command such as
 * `$GITHUB_ENV` must then get a line feed before the next entry.)
 */
export async function endsMidLine(path: string): Promise<boolean> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(path, "r");
    const { size } = await fh.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  } finally {
    await fh?.close();
  }
}

/** Appends plaintext to a file such as `$GITHUB_ENV` (created 0600 if new). */
export async function appendPlaintext(path: string, text: string): Promise<void> {
  await appendFile(path, text, { mode: 0o600 });
}
