/**
 * The parser of `git log --raw -z` and the `git cat-file --batch` reader,
 * on real repositories: adds, modifications, deletes, renames, paths with
 * spaces and other odd characters, merge commits, date limits, and a secrets
 * repository in a subfolder of its git repository.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasCommits, isShallow, readBlobs, readHistory } from "../../src/storage/git-history.js";

const execFileP = promisify(execFile);
const PATHS = ["lockstep.yaml", "access.yaml", "secrets"];

let home: string;
const dirs: string[] = [];

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "lockstep-git-history-"));
});
afterAll(() => rm(home, { recursive: true, force: true }));

function env(day = "2026-01-01", name = "Tess Tester"): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_")) clean[k] = v;
  const date = `${day}T09:30:00+00:00`;
  return {
    ...clean,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: "tess@x.test",
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: "Cody Committer",
    GIT_COMMITTER_EMAIL: "cody@x.test",
    GIT_COMMITTER_DATE: date,
  };
}

async function newRepo(): Promise<{
  root: string;
  git: (args: string[], day?: string, name?: string) => Promise<string>;
  write: (rel: string, text: string) => Promise<void>;
  commit: (message: string, day?: string, name?: string) => Promise<string>;
}> {
  const root = join(home, `repo-${dirs.length}`);
  dirs.push(root);
  await execFileP("git", ["init", "-q", "-b", "main", root], { env: env() });
  const git = async (args: string[], day?: string, name?: string) =>
    (await execFileP("git", args, { cwd: root, env: env(day, name) })).stdout.trim();
  const write = async (rel: string, text: string) => {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  };
  const commit = async (message: string, day?: string, name?: string) => {
    await git(["add", "-A"]);
    await git(["commit", "-q", "-m", message], day, name);
    return git(["rev-parse", "HEAD"]);
  };
  return { root, git, write, commit };
}

describe("readHistory", () => {
  it("reads adds, changes, deletes and renames, with blobs, newest first", async () => {
    const r = await newRepo();
    await r.write("lockstep.yaml", "environments: {}\n");
    await r.write("secrets/prod/a.yaml", "a: 1\n");
    await r.write("secrets/prod/gone.yaml", "gone: 1\n");
    const c1 = await r.commit("first", "2026-01-01", "Ann Ü. Admin");
    await r.write("secrets/prod/a.yaml", "a: 2\n");
    const c2 = await r.commit("second: a | b ; c", "2026-01-02");
    await r.git(["rm", "-q", "secrets/prod/gone.yaml"]);
    const c3 = await r.commit("third", "2026-01-03");
    await r.git(["mv", "secrets/prod/a.yaml", "secrets/prod/moved.yaml"]);
    const c4 = await r.commit("fourth", "2026-01-04");

    const commits = await readHistory(r.root, PATHS);
    expect(commits.map((c) => c.hash)).toEqual([c4, c3, c2, c1]);
    const [h4, h3, h2, h1] = commits;

    expect(h1?.parents).toEqual([]);
    expect(h1?.author).toEqual({ name: "Ann Ü. Admin", email: "tess@x.test", time: "2026-01-01T09:30:00+00:00" });
    expect(h1?.committer).toEqual({ name: "Cody Committer", email: "cody@x.test", time: "2026-01-01T09:30:00+00:00" });
    expect(h1?.signature).toBe("N");
    expect(h1?.subject).toBe("first");
    expect(h1?.changes.map((ch) => [ch.status, ch.path, !!ch.oldBlob, !!ch.newBlob])).toEqual([
      ["A", "lockstep.yaml", false, true],
      ["A", "secrets/prod/a.yaml", false, true],
      ["A", "secrets/prod/gone.yaml", false, true],
    ]);

    expect(h2?.parents).toEqual([c1]);
    expect(h2?.subject).toBe("second: a | b ; c");
    expect(h2?.changes).toHaveLength(1);
    const mod = h2?.changes[0];
    expect(mod?.status).toBe("M");
    expect(mod?.path).toBe("secrets/prod/a.yaml");
    expect(mod?.oldBlob).toBe(h1?.changes[1]?.newBlob);

    expect(h3?.changes).toEqual([
      { status: "D", path: "secrets/prod/gone.yaml", oldBlob: h1?.changes[2]?.newBlob as string },
    ]);

    expect(h4?.changes).toEqual([
      {
        status: "R",
        oldPath: "secrets/prod/a.yaml",
        path: "secrets/prod/moved.yaml",
        oldBlob: mod?.newBlob as string,
        newBlob: mod?.newBlob as string,
      },
    ]);

    const blobs = await readBlobs(r.root, [mod?.oldBlob as string, mod?.newBlob as string]);
    expect(blobs.get(mod?.oldBlob as string)).toBe("a: 1\n");
    expect(blobs.get(mod?.newBlob as string)).toBe("a: 2\n");
  });

  it("keeps paths with spaces, non-ASCII characters, tabs and newlines exact", async () => {
    const r = await newRepo();
    const odd = ["secrets/prod/with space.yaml", "secrets/prod/ünï cödé.yaml", "secrets/prod/tab\there.yaml"];
    const newline = "secrets/prod/new\nline.yaml";
    for (const p of [...odd, newline]) await r.write(p, `p: ${JSON.stringify(p)}\n`);
    await r.commit("odd names");
    await r.git(["mv", "secrets/prod/with space.yaml", "secrets/prod/still with space.yaml"]);
    await r.git(["rm", "-q", newline]);
    await r.commit("rename and delete");

    const [latest, first] = await readHistory(r.root, PATHS);
    expect(first?.changes.map((ch) => ch.path).sort()).toEqual([...odd, newline].sort());
    expect(latest?.changes.map((ch) => [ch.status, ch.oldPath ?? null, ch.path])).toEqual([
      ["D", null, newline],
      ["R", "secrets/prod/with space.yaml", "secrets/prod/still with space.yaml"],
    ]);
    const blobs = await readBlobs(
      r.root,
      (first?.changes ?? []).map((ch) => ch.newBlob as string),
    );
    for (const ch of first?.changes ?? [])
      expect(blobs.get(ch.newBlob as string)).toBe(`p: ${JSON.stringify(ch.path)}\n`);
  });

  it("lists only commits touching the given paths", async () => {
    const r = await newRepo();
    await r.write("README.md", "hello\n");
    await r.commit("readme only");
    await r.write("access.yaml", "members: {}\n");
    const c = await r.commit("access");
    await r.write("README.md", "hello again\n");
    await r.write("secretsX/not-it.yaml", "x\n");
    await r.commit("readme and a look-alike folder");
    const commits = await readHistory(r.root, PATHS);
    expect(commits.map((h) => h.hash)).toEqual([c]);
    expect(commits[0]?.changes.map((ch) => ch.path)).toEqual(["access.yaml"]);
  });

  it("lists a merge commit without changes of its own; the branch's change stays at its commit", async () => {
    const r = await newRepo();
    await r.write("secrets/prod/a.yaml", "a: 1\n");
    await r.commit("base", "2026-01-01");
    await r.git(["checkout", "-q", "-b", "topic"]);
    await r.write("secrets/prod/a.yaml", "a: 2\n");
    const onBranch = await r.commit("on topic", "2026-01-02");
    await r.git(["checkout", "-q", "main"]);
    await r.write("secrets/prod/b.yaml", "b: 1\n");
    const onMain = await r.commit("on main", "2026-01-03");
    await r.git(["merge", "-q", "--no-ff", "-m", "merge topic", "topic"], "2026-01-04");
    const merge = await r.git(["rev-parse", "HEAD"]);

    const commits = await readHistory(r.root, PATHS);
    const byHash = new Map(commits.map((h) => [h.hash, h]));
    expect(byHash.get(merge)?.parents).toEqual([onMain, onBranch]);
    expect(byHash.get(merge)?.changes).toEqual([]);
    const touchingA = commits.filter((h) => h.changes.some((ch) => ch.path === "secrets/prod/a.yaml"));
    expect(touchingA.map((h) => h.subject).sort()).toEqual(["base", "on topic"]);
  });

  it("limits by --since and --until", async () => {
    const r = await newRepo();
    const hashes: string[] = [];
    for (const day of ["2026-01-01", "2026-01-10", "2026-01-20"]) {
      await r.write("secrets/prod/a.yaml", `day: ${day}\n`);
      hashes.push(await r.commit(day, day));
    }
    const mid = await readHistory(r.root, PATHS, { since: "2026-01-05", until: "2026-01-15" });
    expect(mid.map((h) => h.hash)).toEqual([hashes[1]]);
    const late = await readHistory(r.root, PATHS, { since: "2026-01-05" });
    expect(late.map((h) => h.hash)).toEqual([hashes[2], hashes[1]]);
  });

  it("in a subfolder: paths relative to it, nothing from outside it", async () => {
    const r = await newRepo();
    // Look-alikes at the git root, outside the secrets repository.
    await r.write("lockstep.yaml", "outside\n");
    await r.write("secrets/prod/outside.yaml", "outside\n");
    await r.commit("outside only");
    await r.write("infra/secrets repo/lockstep.yaml", "environments: {}\n");
    await r.write("infra/secrets repo/secrets/prod/db.yaml", "db: 1\n");
    const inside = await r.commit("inside");
    await r.write("infra/other/secrets/prod/db.yaml", "elsewhere\n");
    await r.write("secrets/prod/outside.yaml", "outside 2\n");
    await r.commit("outside again");

    const sub = join(r.root, "infra", "secrets repo");
    const commits = await readHistory(sub, PATHS);
    expect(commits.map((h) => h.hash)).toEqual([inside]);
    expect(commits[0]?.changes.map((ch) => [ch.status, ch.path])).toEqual([
      ["A", "lockstep.yaml"],
      ["A", "secrets/prod/db.yaml"],
    ]);
    const blobs = await readBlobs(sub, [commits[0]?.changes[1]?.newBlob as string]);
    expect([...blobs.values()]).toEqual(["db: 1\n"]);
  });
});

describe("readBlobs", () => {
  it("reads multi-byte text exactly, once per blob, and skips missing ones", async () => {
    const r = await newRepo();
    const text = 'naïve: "日本語 ✓"\nemoji: 🔐\n';
    await r.write("secrets/prod/u.yaml", text);
    await r.write("secrets/prod/empty.yaml", "");
    await r.commit("unicode");
    const [h] = await readHistory(r.root, PATHS);
    const shas = (h?.changes ?? []).map((ch) => ch.newBlob as string);
    const missing = "0123456789abcdef0123456789abcdef01234567";
    const blobs = await readBlobs(r.root, [...shas, ...shas, missing]);
    expect(blobs.size).toBe(2);
    expect(blobs.has(missing)).toBe(false);
    expect(new Set(blobs.values())).toEqual(new Set([text, ""]));
    expect(await readBlobs(r.root, [])).toEqual(new Map());
  });
});

describe("hasCommits and isShallow", () => {
  it("a repository with no commits has none", async () => {
    const r = await newRepo();
    expect(await hasCommits(r.root)).toBe(false);
  });

  it("a repository with a commit has one, and is not shallow; a --depth 1 clone is", async () => {
    const r = await newRepo();
    await r.write("lockstep.yaml", "x\n");
    await r.commit("one");
    await r.write("lockstep.yaml", "y\n");
    await r.commit("two");
    expect(await hasCommits(r.root)).toBe(true);
    expect(await isShallow(r.root)).toBe(false);
    const clone = join(home, `clone-${dirs.length}`);
    await execFileP("git", ["clone", "-q", "--depth", "1", `file://${r.root}`, clone], { env: env() });
    expect(await isShallow(clone)).toBe(true);
  });
});
