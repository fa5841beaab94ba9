/**
 * Harness for end-to-end tests: every test drives the built CLI
 * (dist/cli/main.cjs) as a child process, in a throwaway git repository whose
 * HOME and XDG_CONFIG_HOME are its own, so no real identity can leak in.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { parseDocument } from "yaml";

const execFileP = promisify(execFile);

/** The project root and the built CLI. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = join(ROOT, "dist", "cli", "main.cjs");

/**
 * Call once at the top of a test file: fails the suite early, and clearly,
 * when the CLI has not been built, and removes the file's sandbox templates
 * at the end.
 */
export function requireBuiltCli(): void {
  beforeAll(() => {
    if (!existsSync(CLI)) {
      throw new Error(`${CLI} does not exist: run \`npm run build\` before the end-to-end tests`);
    }
  });
  afterAll(async () => {
    const homes = templateHomes.splice(0);
    templates.clear();
    await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })));
  });
}

/** What a CLI run returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of one CLI run. */
export interface RunOptions {
  /** Bytes for stdin (stdin is always closed, so `set` never waits for a TTY). */
  input?: string | Buffer;
  /** Variables to add; `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** Working directory (default: the sandbox's repository). */
  cwd?: string;
}

/** A clean environment for a child: no LOCKSTEP_* or SOPS_* from the outside, HOME in `home`, fixed git identity. */
export function childEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("LOCKSTEP_") || k.startsWith("SOPS_") || k.startsWith("GIT_") || k === "XDG_CONFIG_HOME") continue;
    env[k] = v;
  }
  Object.assign(env, {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    NO_COLOR: "1",
    GIT_AUTHOR_NAME: "Lockstep Test",
    GIT_AUTHOR_EMAIL: "test@lockstep.invalid",
    GIT_COMMITTER_NAME: "Lockstep Test",
    GIT_COMMITTER_EMAIL: "test@lockstep.invalid",
    GIT_CONFIG_NOSYSTEM: "1",
  });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs `node dist/cli/main.cjs ...args` (no shell) and collects its output. */
export function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, input?: string | Buffer) {
  return runTool(process.execPath, [CLI, ...args], { cwd, env, ...(input !== undefined && { input }) });
}

/** `git init` with a fixed identity, no global or system configuration. */
export async function gitInit(dir: string, home: string): Promise<void> {
  await execFileP("git", ["init", "-q", "-b", "main", dir], { env: childEnv(home) });
}

/** One member's key pair, made with `lockstep keygen -o`. */
export interface TestKey {
  file: string;
  recipient: string;
  /** The identity file's text. */
  text: string;
}

/** Who the default sandbox knows. */
export type Who = "alice" | "bob" | "ci";
const WHO: readonly Who[] = ["alice", "bob", "ci"];
const REPO_DIR = "secrets-repo";

/** A temporary secrets repository with keys for alice, bob and ci. */
export interface Sandbox {
  /** Temporary root, also HOME. */
  home: string;
  /** The secrets repository (a git work tree). */
  repo: string;
  keys: Record<Who, TestKey>;
  /** Runs the CLI in the repository, with no identity unless given. */
  run(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Runs the CLI with `--identity` of `who` (before the command, as a global flag). */
  as(who: Who, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Absolute path of a repository-relative path. */
  path(rel: string): string;
  read(rel: string): Promise<string>;
  write(rel: string, text: string): Promise<void>;
  /** A manifest's parsed data. */
  manifest(id: string): Promise<Manifest>;
  cleanup(): Promise<void>;
}

/** The parts of a manifest that tests look at. */
export interface Manifest {
  description?: string;
  type?: string;
  schema?: string;
  env?: string;
  consumers?: string[];
  rotation?: { generate?: string; maxAge?: string };
  stages: Record<string, number>;
  versions: { version: number; created: string; recipients: { member: string; key: string }[]; ciphertext: string }[];
}

/** Default rules: platform (alice) and ci read staging and production; bob is a member in no group. */
export const DEFAULT_RULES = `rules:
  - match: "staging/**"
    readers: [platform, ci]
    approvers: [platform]
  - match: "production/**"
    readers: [platform, ci]
    approvers: [platform]
`;

/** Options of {@link makeSandbox}. */
export interface SandboxOptions {
  /** Environments for `init --env` (default: init's own, staging and production). */
  envs?: string[];
  /** The `rules:` block of access.yaml (default: {@link DEFAULT_RULES}). */
  rules?: string;
}

/** A sandbox's starting state, made once per options and copied for each sandbox. */
interface Template {
  home: string;
  recipients: Record<Who, string>;
}

const templates = new Map<string, Promise<Template>>();
const templateHomes: string[] = [];

/**
 * The starting state: keys for alice, bob and ci (`keygen -o`), `git init`,
 * `lockstep init`, alice added in group platform, bob with no group, ci
 * alone, then the rules appended to access.yaml by hand.
 */
async function makeTemplate(options: SandboxOptions): Promise<Template> {
  const home = await mkdtemp(join(tmpdir(), "lockstep-e2e-template-"));
  templateHomes.push(home);
  const repo = join(home, REPO_DIR);
  await mkdir(join(home, "keys"), { recursive: true });
  await mkdir(join(home, ".config"), { recursive: true });
  await gitInit(repo, home);
  const must = async (args: readonly string[]) => {
    const r = await runCli(args, repo, childEnv(home));
    if (r.code !== 0) throw new Error(`lockstep ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r;
  };
  const made = await Promise.all(
    WHO.map(async (name) => {
      const r = await must(["keygen", "-o", join(home, "keys", `${name}.txt`)]);
      const recipient = /Public key: (age1\S+)/.exec(r.stderr)?.[1];
      if (!recipient) throw new Error(`keygen printed no public key: ${r.stderr}`);
      return [name, recipient] as const;
    }),
  );
  const recipients = Object.fromEntries(made) as Record<Who, string>;
  await must(["init", ...(options.envs ?? []).flatMap((e) => ["--env", e])]);
  await must(["member", "add", "alice", "--key", recipients.alice, "--group", "platform"]);
  await must(["member", "add", "bob", "--key", recipients.bob]);
  await must(["member", "add", "ci", "--key", recipients.ci]);
  const accessFile = join(repo, "access.yaml");
  const access = await readFile(accessFile, "utf8");
  // init writes no rules: key (a hand-written `rules:` block would repeat it), so the rules are appended.
  if (/^rules:/m.test(access)) throw new Error(`init's access.yaml already has rules:\n${access}`);
  await writeFile(accessFile, `${access}${options.rules ?? DEFAULT_RULES}`);
  return { home, recipients };
}

/**
 * Makes a sandbox in a new temporary folder (see {@link makeTemplate} for
 * what it holds). The slow part is done once per options and copied, so
 * sandboxes are cheap and independent: tests may use one each.
 */
export async function makeSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const key = JSON.stringify(options);
  let t = templates.get(key);
  if (!t) {
    t = makeTemplate(options);
    templates.set(key, t);
  }
  const { home: from, recipients } = await t;
  const home = await mkdtemp(join(tmpdir(), "lockstep-e2e-"));
  await cp(from, home, { recursive: true });
  const repo = join(home, REPO_DIR);
  const keys = {} as Record<Who, TestKey>;
  for (const name of WHO) {
    const file = join(home, "keys", `${name}.txt`);
    keys[name] = { file, recipient: recipients[name], text: await readFile(file, "utf8") };
  }
  const run = (args: readonly string[], o: RunOptions = {}) =>
    runCli(args, o.cwd ?? repo, childEnv(home, o.env), o.input);
  const path = (rel: string) => join(repo, ...rel.split("/"));
  return {
    home,
    repo,
    keys,
    run,
    as: (who, args, o) => run(["--identity", keys[who].file, ...args], o),
    path,
    read: (rel) => readFile(path(rel), "utf8"),
    write: async (rel, text) => {
      await mkdir(dirname(path(rel)), { recursive: true });
      await writeFile(path(rel), text);
    },
    manifest: async (id) => {
      const doc = parseDocument(await readFile(path(`secrets/${id}.yaml`), "utf8"));
      if (doc.errors.length > 0) throw new Error(`secrets/${id}.yaml is not valid YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as Manifest;
    },
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

/**
 * A sandbox maker for one test file: every sandbox it makes is removed after
 * the test that made it.
 */
export function sandboxPerTest(): (options?: SandboxOptions) => Promise<Sandbox> {
  const made: Sandbox[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((s) => s.cleanup()));
  });
  return async (options = {}) => {
    const s = await makeSandbox(options);
    made.push(s);
    return s;
  };
}

/** `lockstep set ID [ARGS]` with the value on stdin, as alice; it must succeed. */
export async function setValue(s: Sandbox, id: string, value: string, ...args: string[]): Promise<void> {
  expectOk(await s.run(["set", id, ...args], { input: value }));
}

/** Writes an identity file with a given mode (for identity-source tests). */
export async function writeKeyFile(path: string, text: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text, { mode });
  await chmod(path, mode); // the umask may have narrowed it
}

/** Variables for {@link RunOptions.env} that leave git with no identity to commit with. */
export const NO_GIT_IDENTITY: Record<string, undefined | string> = {
  GIT_AUTHOR_NAME: undefined,
  GIT_AUTHOR_EMAIL: undefined,
  GIT_COMMITTER_NAME: undefined,
  GIT_COMMITTER_EMAIL: undefined,
  EMAIL: undefined,
  GIT_CONFIG_GLOBAL: "/dev/null",
};

/** Asserts a user error: the exit code, no stack trace, and each pattern in stderr. */
export function expectError(r: RunResult, code: number, ...patterns: (string | RegExp)[]): void {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(code);
  expect(r.stderr).not.toMatch(/^\s{4}at /m);
  expect(r.stderr).not.toContain("internal error");
  for (const p of patterns) {
    if (typeof p === "string") expect(r.stderr).toContain(p);
    else expect(r.stderr).toMatch(p);
  }
}

/** Asserts success, showing stderr when it was not. */
export function expectOk(r: RunResult): RunResult {
  expect(r.code, `stderr: ${r.stderr}`).toBe(0);
  return r;
}

/** Runs an external program (age, git) without a shell. */
export async function runTool(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Buffer } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) =>
      resolvePromise({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    child.stdin.on("error", () => {}); // the program may exit before reading stdin
    child.stdin.end(options.input ?? "");
  });
}
