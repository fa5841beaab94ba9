/**
 * `lockstep edit` through the built CLI, with scripted editors: the value
 * in a private file (0600 in a 0700 folder, on /dev/shm where there is one),
 * `$VISUAL`/`$EDITOR` with arguments, validation with re-open or abort, a
 * version only when the value changed, and the file gone on every way out,
 * signals included.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { CLI, childEnv, expectError, expectOk, requireBuiltCli, type Sandbox, sandboxPerTest } from "./helpers.js";

requireBuiltCli();
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const makeSandbox = sandboxPerTest();

/** A sandbox with `production/app/config` (json) at version 1 and `production/app/token` (string). */
async function sandbox(): Promise<Sandbox> {
  const s = await makeSandbox();
  expectOk(await s.run(["set", "production/app/token"], { input: "old-token" }));
  expectOk(await s.run(["set", "production/app/config", "--type", "json"], { input: '{"port":1}' }));
  return s;
}

/**
 * Writes an editor script to the sandbox's home: it records the file it was
 * given, that file's and its folder's modes and its arguments, then runs `body`.
 */
async function editor(s: Sandbox, name: string, body: string): Promise<string> {
  const path = join(s.home, name);
  await writeFile(
    path,
    `#!/bin/sh
log="${s.home}/editor.log"
for last; do :; done
echo "args: $*" >> "$log"
echo "file: $last" >> "$log"
echo "modes: $(stat -c %a "$last") $(stat -c %a "$(dirname "$last")")" >> "$log"
${body}
`,
  );
  await chmod(path, 0o755);
  return path;
}

async function editorLog(s: Sandbox): Promise<{ args: string[]; files: string[]; modes: string[] }> {
  const text = await readFile(join(s.home, "editor.log"), "utf8");
  const field = (k: string) => text.split("\n").flatMap((l) => (l.startsWith(`${k}: `) ? [l.slice(k.length + 2)] : []));
  return { args: field("args"), files: field("file"), modes: field("modes") };
}

const asAlice = (s: Sandbox, args: string[], env: Record<string, string | undefined>, input?: string) =>
  s.as("alice", args, { env: { VISUAL: undefined, ...env }, ...(input !== undefined && { input }) });

describe("edit", () => {
  it("opens the value in a private file and adds a version to the first stage when it changed", async () => {
    const s = await sandbox();
    const ed = await editor(s, "ed.sh", `printf 'new-token\\n' > "$last"`);
    const r = expectOk(await asAlice(s, ["edit", "production/app/token"], { EDITOR: ed }));
    expect(r.stdout).toContain("Updated production/app/token: version 2 (stages: canary)");
    expect(expectOk(await s.as("alice", ["get", "production/app/token"])).stdout).toBe("new-token");
    expect(expectOk(await s.as("alice", ["get", "production/app/token", "--stage", "stable"])).stdout).toBe(
      "old-token",
    );
    const log = await editorLog(s);
    expect(log.modes).toEqual(["600 700"]);
    const [file] = log.files;
    if (existsSync("/dev/shm")) expect(file?.startsWith("/dev/shm/")).toBe(true);
    expect(file).toMatch(/\/token\.txt$/);
    expect(existsSync(file as string)).toBe(false);
    expect(existsSync(join(file as string, ".."))).toBe(false);
  });

  it("gives the editor the value with one final line break, and takes it off again", async () => {
    const s = await sandbox();
    const ed = await editor(s, "ed.sh", `cp "$last" "${s.home}/seen.txt"`);
    const r = expectOk(await asAlice(s, ["edit", "production/app/token"], { EDITOR: ed }));
    expect(await readFile(join(s.home, "seen.txt"), "utf8")).toBe("old-token\n");
    expect(r.stdout).toContain("No change to production/app/token (version 1): nothing written.");
  });

  it("adds no version when the value did not change, and leaves the manifest byte for byte", async () => {
    const s = await sandbox();
    const before = await s.read("secrets/production/app/token.yaml");
    expectOk(await asAlice(s, ["edit", "production/app/token"], { EDITOR: "true" }));
    expect(await s.read("secrets/production/app/token.yaml")).toBe(before);
  });

  it("prefers $VISUAL, and runs a command with arguments as `code --wait` is given", async () => {
    const s = await sandbox();
    const code = await editor(s, "fake code", `[ "$1" = "--wait" ] || exit 9; printf 'via-visual' > "$last"`);
    const r = expectOk(
      await asAlice(s, ["edit", "production/app/token"], { VISUAL: `'${code}' --wait`, EDITOR: "false" }),
    );
    expect(r.stdout).toContain("version 2");
    expect((await editorLog(s)).args[0]).toMatch(/^--wait \S+token\.txt$/);
    expect(expectOk(await s.as("alice", ["get", "production/app/token"])).stdout).toBe("via-visual");
  });

  it("--all-stages and --no-stage place the new version as set does", async () => {
    const s = await sandbox();
    const ed = await editor(s, "ed.sh", `printf "v-$(date +%N)" > "$last"`);
    expectOk(await asAlice(s, ["edit", "production/app/token", "--all-stages"], { EDITOR: ed }));
    expect((await s.manifest("production/app/token")).stages).toEqual({ canary: 2, stable: 2 });
    const r = expectOk(await asAlice(s, ["edit", "production/app/token", "--no-stage"], { EDITOR: ed }));
    expect(r.stdout).toContain("version 3 (pending: no stage points at it yet)");
    expect((await s.manifest("production/app/token")).stages).toEqual({ canary: 2, stable: 2 });
    expectError(await asAlice(s, ["edit", "production/app/token", "--all-stages", "--no-stage"], { EDITOR: ed }), 2);
  });

  it("shows what breaks the type, offers the editor again, and writes the fixed value", async () => {
    const s = await sandbox();
    // First save: not JSON; second: valid.
    const ed = await editor(
      s,
      "ed.sh",
      `if [ -f "${s.home}/once" ]; then printf '{"port":2}' > "$last"; else touch "${s.home}/once"; printf '{port: 2' > "$last"; fi`,
    );
    const r = expectOk(await asAlice(s, ["edit", "production/app/config"], { EDITOR: ed }, "\n"));
    expect(r.stderr).toContain("the value is not valid JSON");
    expect(r.stderr).toContain("Open the editor again?");
    expect(r.stderr).not.toContain("port");
    expect(r.stdout).toContain("version 2");
    expect(expectOk(await s.as("alice", ["get", "production/app/config"])).stdout).toBe('{"port":2}');
    const log = await editorLog(s);
    expect(log.files).toHaveLength(2);
    expect(log.files[0]).toBe(log.files[1]); // the same file, re-opened with what was written
    expect(log.files[0]).toMatch(/config\.json$/);
  });

  it("aborts with nothing written when the value breaks its schema and the answer is no", async () => {
    const s = await sandbox();
    await s.write(
      "schemas/port.schema.json",
      JSON.stringify({ type: "object", required: ["port"], properties: { port: { type: "integer" } } }),
    );
    expectOk(await s.run(["set", "production/app/svc", "--type", "json", "--schema", "port"], { input: '{"port":1}' }));
    const before = await s.read("secrets/production/app/svc.yaml");
    const ed = await editor(s, "ed.sh", `printf '{"port":"eighty"}' > "$last"`);
    const r = await asAlice(s, ["edit", "production/app/svc"], { EDITOR: ed }, "n\n");
    expectError(r, 1, 'breaks schema "port"', "nothing was written");
    expect(r.stderr).not.toContain("eighty");
    expect(await s.read("secrets/production/app/svc.yaml")).toBe(before);
    expect(existsSync((await editorLog(s)).files[0] as string)).toBe(false);
  });

  it("writes nothing when the editor fails, and removes the file", async () => {
    const s = await sandbox();
    const before = await s.read("secrets/production/app/token.yaml");
    const ed = await editor(s, "ed.sh", `printf 'half' > "$last"; exit 3`);
    expectError(
      await asAlice(s, ["edit", "production/app/token"], { EDITOR: ed }),
      2,
      "exited with code 3",
      "nothing was written",
    );
    expect(await s.read("secrets/production/app/token.yaml")).toBe(before);
    expect(existsSync((await editorLog(s)).files[0] as string)).toBe(false);
  });

  it("needs a reader's key: exit 3, and no file is made", async () => {
    const s = await sandbox();
    const ed = await editor(s, "ed.sh", "true");
    expectError(await s.as("bob", ["edit", "production/app/token"], { env: { EDITOR: ed } }), 3);
    expect(existsSync(join(s.home, "editor.log"))).toBe(false);
  });

  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    it(`removes the file when ${signal} ends it while the editor is open`, async () => {
      const s = await sandbox();
      const before = await s.read("secrets/production/app/token.yaml");
      const ed = await editor(s, "ed.sh", `printf 'unsaved' > "$last"; echo $$ > "${s.home}/editor.pid"; sleep 60`);
      const child = spawn(process.execPath, [CLI, "--identity", s.keys.alice.file, "edit", "production/app/token"], {
        cwd: s.repo,
        env: childEnv(s.home, { EDITOR: ed, VISUAL: undefined }),
        stdio: ["ignore", "pipe", "pipe"],
      });
      // "exit", not "close": the editor, still running, holds lockstep's stdout and stderr open.
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on("exit", (code, sig) => resolve({ code, signal: sig })),
      );
      const pidFile = join(s.home, "editor.pid");
      await vi.waitFor(() => expect(existsSync(pidFile)).toBe(true), { timeout: 60_000, interval: 100 });
      const file = (await editorLog(s)).files[0] as string;
      expect(existsSync(file)).toBe(true);
      child.kill(signal);
      const end = await ended;
      expect(end.signal).toBe(signal);
      process.kill(Number((await readFile(pidFile, "utf8")).trim()), "SIGKILL");
      expect(existsSync(file)).toBe(false);
      expect(existsSync(join(file, ".."))).toBe(false);
      expect(await s.read("secrets/production/app/token.yaml")).toBe(before);
    });
  }
});
