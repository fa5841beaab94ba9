/**
 * What a command-line user expects of any tool: `help` exits 0, every
 * command's `--help` ends with examples, shells complete commands, flags,
 * environments, stages and secret ids (bash, zsh and fish, each run for
 * real), and `get` ends a value with a newline on a terminal while piped
 * output stays exact.
 */
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLI,
  childEnv,
  expectError,
  expectOk,
  makeSandbox,
  requireBuiltCli,
  runTool,
  type Sandbox,
} from "./helpers.js";

requireBuiltCli();
const execFileP = promisify(execFile);

let s: Sandbox;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  s = await makeSandbox();
  expectOk(await s.run(["set", "production/db/password"], { input: "hunter2" }));
  expectOk(await s.run(["set", "staging/api/token"], { input: "tok" }));
  // `lockstep` on PATH, as an installed one is, for the completion scripts to call.
  await mkdir(join(s.home, "bin"), { recursive: true });
  await writeFile(join(s.home, "bin", "lockstep"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
    mode: 0o755,
  });
  env = childEnv(s.home, { PATH: `${join(s.home, "bin")}:${process.env.PATH ?? ""}` });
}, 60_000);
afterAll(() => s.cleanup());

/** The command paths `lockstep --help` lists (and `member`'s subcommands). */
async function commandPaths(): Promise<string[]> {
  const help = expectOk(await s.run(["--help"])).stdout;
  const names = [...help.split("Commands:")[1]!.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1] as string);
  const member = expectOk(await s.run(["member", "--help"])).stdout;
  const subs = [...member.split("Commands:")[1]!.matchAll(/^ {2}([a-z][\w-]*)/gm)]
    .map((m) => m[1] as string)
    .filter((n) => n !== "help");
  return [...names, ...subs.map((n) => `member ${n}`)];
}

describe("help", () => {
  it("lockstep help and lockstep help CMD print the help and exit 0; an unknown command exits 2", async () => {
    const help = expectOk(await s.run(["help"]));
    expect(help.stdout).toContain("Usage: lockstep");
    expect(help.stdout).toBe(expectOk(await s.run(["--help"])).stdout);
    const get = expectOk(await s.run(["help", "get"]));
    expect(get.stdout).toContain("Usage: lockstep get");
    expect(get.stdout).toBe(expectOk(await s.run(["get", "--help"])).stdout);
    expectError(await s.run(["help", "no-such-command"]), 2);
    expectError(await s.run(["no-such-command"]), 2);
  });

  // One CLI run per command (30 and more) on a loaded machine: more than the default 30 s.
  it("every command's --help ends with examples of that command", { timeout: 180_000 }, async () => {
    const paths = await commandPaths();
    expect(paths).toEqual(expect.arrayContaining(["get", "export", "member add", "completion"]));
    for (const path of paths) {
      const out = expectOk(await s.run([...path.split(" "), "--help"])).stdout.trimEnd();
      const examples = out.slice(out.lastIndexOf("\nExamples:\n"));
      expect(examples.startsWith("\nExamples:\n"), `${path} --help has no Examples block`).toBe(true);
      const lines = examples.split("\n").slice(2);
      expect(lines.length, path).toBeGreaterThan(0);
      for (const l of lines) expect(l, path).toMatch(new RegExp(`^ {2}\\$ .*\\blockstep ${path.split(" ")[0]}\\b`));
    }
  });
});

describe("completion", () => {
  /** bash: source the script, set COMP_WORDS as bash does for `lockstep WORDS`, call the function. */
  async function bash(...words: string[]): Promise<string[]> {
    const script = expectOk(await s.run(["completion", "bash"])).stdout;
    const line = ["lockstep", ...words].map((w) => `'${w}'`).join(" ");
    const { stdout } = await execFileP(
      "bash",
      [
        "--norc",
        "-c",
        `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=${words.length}; _lockstep; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { cwd: s.repo, env },
    );
    return stdout.split("\n").filter((l) => l !== "");
  }
  /** fish: its own `complete -C` asks the loaded completion for a command line. */
  async function fish(commandLine: string): Promise<string[]> {
    const script = expectOk(await s.run(["completion", "fish"])).stdout;
    const file = join(s.home, "lockstep.fish");
    await writeFile(file, script);
    const { stdout } = await execFileP("fish", ["--no-config", "-c", `source ${file}; complete -C '${commandLine}'`], {
      cwd: s.repo,
      env,
    });
    return stdout
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.split("\t")[0] as string);
  }
  /** zsh: the function run with zsh's `words` and `CURRENT`, `compadd` and `_files` recording what they get. */
  async function zsh(...words: string[]): Promise<string[]> {
    const script = expectOk(await s.run(["completion", "zsh"])).stdout;
    const file = join(s.home, "_lockstep");
    await writeFile(file, script);
    const list = ["lockstep", ...words].map((w) => `'${w}'`).join(" ");
    const { stdout } = await execFileP(
      "zsh",
      [
        "-f",
        "-c",
        `compdef() { :; }; compadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }; _files() { print -- ":files $*"; }
source ${file}
words=(${list}); CURRENT=${words.length + 1}; _lockstep`,
      ],
      { cwd: s.repo, env },
    );
    return stdout.split("\n").filter((l) => l !== "");
  }

  it("bash completes commands, subcommands, flags, secret ids, environments, stages and choices", async () => {
    expect(await bash("g")).toEqual(["get"]);
    expect(await bash("")).toEqual(expect.arrayContaining(["init", "get", "export", "promote", "help", "completion"]));
    expect(await bash("member", "")).toEqual(["add", "rm", "ls"]);
    expect(await bash("get", "--s")).toEqual(["--stage"]);
    expect(await bash("get", "prod")).toEqual(["production/db/password"]);
    expect(await bash("get", "")).toEqual(["production/db/password", "staging/api/token"]);
    expect(await bash("export", "")).toEqual(["production", "staging"]);
    expect(await bash("get", "production/db/password", "--stage", "")).toEqual(["canary", "stable"]);
    expect(await bash("export", "production", "--format", "j")).toEqual(["json"]);
    expect(await bash("completion", "")).toEqual(["bash", "zsh", "fish"]);
    expect(await bash("help", "ex")).toEqual(expect.arrayContaining(["export", "exec", "exposure"]));
    // A path where a file goes: bash's own file completion.
    expect(await bash("--identity", "keys/al")).toEqual([]);
    expect(await bash("set", "x", "--file", "lockstep.y")).toEqual(["lockstep.yaml"]);
  });

  it("fish completes the same, through its own complete -C", async () => {
    expect(await fish("lockstep g")).toEqual(["get"]);
    expect(await fish("lockstep get prod")).toEqual(["production/db/password"]);
    expect(await fish("lockstep export ")).toEqual(["production", "staging"]);
    expect(await fish("lockstep promote production/db/password --stage ")).toEqual(["canary", "stable"]);
  });

  it("zsh completes the same, and hands file paths to _files", async () => {
    expect(await zsh("g")).toEqual(["get"]);
    expect(await zsh("get", "prod")).toEqual(["production/db/password"]);
    expect(await zsh("export", "")).toEqual(["production", "staging"]);
    expect(await zsh("set", "x", "--file", "")).toEqual([":files "]);
  });

  it("outside a secrets repository: commands and flags still, no repository words, no error", async () => {
    const r = await runTool(process.execPath, [CLI, "__complete", "get", ""], { cwd: s.home, env });
    expect(r).toEqual({ code: 0, stdout: ":words\n", stderr: "" });
    const g = await runTool(process.execPath, [CLI, "__complete", "g"], { cwd: s.home, env });
    expect(g.stdout).toBe("get\n:words\n");
  });

  it("an unknown shell: exit 2", async () => {
    expectError(await s.run(["completion", "powershell"]), 2);
  });
});

describe("get on a terminal", () => {
  it("ends the value with a newline on a terminal; piped, the value is exact", async () => {
    const piped = expectOk(await s.as("ci", ["get", "production/db/password"]));
    expect(piped.stdout).toBe("hunter2");
    // `script` gives the command a pseudo-terminal, as an interactive shell does.
    const cmd = `"${process.execPath}" "${CLI}" --identity "${s.keys.ci.file}" get production/db/password`;
    const { stdout } = await execFileP("script", ["-qec", cmd, "/dev/null"], { cwd: s.repo, env });
    // The value's line, then (stderr, on the same terminal) which version it is.
    expect(stdout).toBe(
      "hunter2\r\nproduction/db/password: version 1, the newest, on every stage (canary, stable)\r\n",
    );
    expect(piped.stderr).toBe("");
  });

  it("a value that ends with a newline gets no second one", async () => {
    await writeFile(join(s.home, "cert.txt"), "line\n");
    expectOk(await s.run(["set", "production/cert", "--file", join(s.home, "cert.txt")]));
    const cmd = `"${process.execPath}" "${CLI}" --identity "${s.keys.ci.file}" get production/cert`;
    const { stdout } = await execFileP("script", ["-qec", cmd, "/dev/null"], { cwd: s.repo, env });
    expect(stdout.split("\r\n")[0]).toBe("line");
    expect(stdout.split("\r\n")[1]).toMatch(/^production\/cert: version 1/);
  });

  it("says on the terminal when the newest version is on the first stage only, and not for --stage", async () => {
    expectOk(await s.run(["set", "staging/canary-only"], { input: "v1" }));
    expectOk(await s.run(["set", "staging/canary-only"], { input: "v2" }));
    const tty = async (args: string) => {
      const cmd = `"${process.execPath}" "${CLI}" --identity "${s.keys.alice.file}" get staging/canary-only ${args}`;
      return (await execFileP("script", ["-qec", cmd, "/dev/null"], { cwd: s.repo, env })).stdout;
    };
    expect(await tty("")).toBe(
      "v2\r\nstaging/canary-only: version 2, the newest, on canary only (stable has version 1; --stage picks one)\r\n",
    );
    expect(await tty("--stage stable")).toBe("v1\r\n");
    expect(await tty("--version 2")).toBe("v2\r\n");
    // Piped (a script reading the value): nothing on stderr.
    const piped = expectOk(await s.as("alice", ["get", "staging/canary-only"]));
    expect(piped).toMatchObject({ stdout: "v2", stderr: "" });
  });
});
