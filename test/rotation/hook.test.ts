/**
 * The hook strategy with real commands (a shell, node scripts): the stdin
 * document, values kept out of argv and the environment, failing and
 * succeeding steps, undo, time limits and scrubbed output.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type HookCommands, hookRotator, MAX_HOOK_OUTPUT } from "../../src/rotation/hook.js";
import { runFinish, runRotation } from "../../src/rotation/steps.js";
import { failure } from "../support/rotation.js";

const PROVIDER = resolve(import.meta.dirname, "hooks", "provider.mjs");
const CURRENT = "test-only-current-value-4";
const PREVIOUS = "test-only-previous-value-3";
const ADMIN = "test-only-admin-value";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lockstep-hook-"));
  writeFileSync(join(dir, "state.json"), JSON.stringify([CURRENT, PREVIOUS]));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const provider = () => [process.execPath, PROVIDER, dir];
const allSteps = (): HookCommands => ({ set: provider(), test: provider(), undo: provider(), finish: provider() });
const valid = (): string[] => JSON.parse(readFileSync(join(dir, "state.json"), "utf8"));
const calls = (): { doc: Record<string, unknown>; argv: string[]; env: Record<string, string> }[] =>
  readFileSync(join(dir, "calls.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

let generated = 0;
const rotator = (commands: HookCommands, extra: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) =>
  hookRotator(commands, { cwd: dir, generate: () => `test-only-generated-${++generated}`, ...extra });

const input = {
  id: "production/api/token",
  stages: { canary: 4, stable: 4 },
  current: { version: 4, value: CURRENT },
  previous: { version: 3, value: PREVIOUS },
  admin: { id: "production/api/admin", version: 2, value: ADMIN },
};

describe("hook strategy", () => {
  it("runs set and test with the protocol's document on stdin; finish retires the previous value", async () => {
    const r = await runRotation(rotator(allSteps()), input, 5);
    expect(r.value).toMatch(/^test-only-generated-\d+$/);
    expect(valid()).toEqual([CURRENT, PREVIOUS, r.value]);
    const [set, test] = calls();
    expect(set?.doc).toEqual({
      protocol: 1,
      step: "set",
      id: "production/api/token",
      stages: { canary: 4, stable: 4 },
      pending: { version: 5, value: r.value },
      current: { version: 4, value: CURRENT },
      previous: { version: 3, value: PREVIOUS },
      admin: { id: "production/api/admin", version: 2, value: ADMIN },
    });
    expect(test?.doc.step).toBe("test");
    // What the hook printed comes back scrubbed.
    expect(r.notes).toEqual([{ step: "set", lines: ["set version 5: ***"] }]);

    await runFinish(rotator(allSteps()), {
      id: input.id,
      stages: { canary: 5, stable: 5 },
      current: { version: 5, value: r.value },
      previous: { version: 4, value: CURRENT },
      admin: input.admin,
    });
    expect(valid()).toEqual([PREVIOUS, r.value]);
    const finish = calls()[2]?.doc;
    expect(finish).toMatchObject({
      step: "finish",
      current: { version: 5, value: r.value },
      previous: { version: 4, value: CURRENT },
    });
    expect(finish).not.toHaveProperty("pending");
  });

  it("never puts a value in a hook's arguments or environment, nor lockstep's identities", async () => {
    const env = { ...process.env, LOCKSTEP_AGE_KEY: "AGE-SECRET-KEY-TEST-ONLY", LOCKSTEP_AGE_KEY_FILE: "/x" };
    const r = await runRotation(rotator(allSteps(), { env }), input, 5);
    for (const call of calls()) {
      const outside = JSON.stringify([call.argv, call.env]);
      for (const v of [r.value, CURRENT, PREVIOUS, ADMIN]) expect(outside).not.toContain(v);
      expect(call.env).not.toHaveProperty("LOCKSTEP_AGE_KEY");
      expect(call.env).not.toHaveProperty("LOCKSTEP_AGE_KEY_FILE");
      expect(call.env.LOCKSTEP_SECRET_ID).toBe("production/api/token");
      expect(call.env.LOCKSTEP_ROTATION_STEP).toBe(call.doc.step);
    }
  });

  it("takes the new value from a create command's stdout, which is never shown", async () => {
    const create = "read doc; echo 'making a value' >&2; printf 'test-only-from-create\\n'";
    const r = await runRotation(rotator({ ...allSteps(), create }), input, 5);
    expect(r.value).toBe("test-only-from-create");
    expect(r.notes[0]).toEqual({ step: "create", lines: ["making a value"] });
    expect(valid()).toContain("test-only-from-create");
  });

  it("a create command's document has the pending version and no value", async () => {
    const create = [process.execPath, "-e", "process.stdout.write(require('fs').readFileSync(0, 'utf8'))"];
    const r = await runRotation(rotator({ set: "cat > /dev/null", create }), input, 5);
    expect(JSON.parse(r.value)).toMatchObject({ step: "create", pending: { version: 5 }, current: { version: 4 } });
  });

  it("a failing test step stops the rotation, runs undo, and shows the hook's output scrubbed", async () => {
    writeFileSync(join(dir, "fail-test"), "");
    const e = await failure(runRotation(rotator(allSteps()), input, 5));
    expect(e.code).toBe("ROTATION_FAILED");
    expect(e.message).toMatch(/^rotation step test failed: `.*provider\.mjs .*` exited with code 3/);
    expect(e.message).toContain("login with *** refused");
    expect(e.message).toContain("(nothing was written; set was undone)");
    expect(JSON.stringify(e)).not.toMatch(/test-only-generated/);
    expect(valid()).toEqual([CURRENT, PREVIOUS]);
    expect(calls().map((c) => c.doc.step)).toEqual(["set", "test", "undo"]);
  });

  it("a failing set step with no undo command says that nothing undid it", async () => {
    const e = await failure(runRotation(rotator({ set: "cat > /dev/null; echo no access >&2; exit 1" }), input, 5));
    expect(e.message).toContain(
      "rotation step set failed: `cat > /dev/null; echo no access >&2; exit 1` exited with code 1",
    );
    expect(e.message).toContain("no access");
    expect(e.message).toContain("set was undone except: no undo command in rotation.hooks");
  });

  it("stops a step that runs past its time limit, with the commands it started", async () => {
    const pidFile = join(dir, "pid");
    const e = await failure(
      runRotation(rotator({ set: `sleep 30 & echo $! > '${pidFile}'; wait` }, { timeoutMs: 500 }), input, 5),
    );
    expect(e.message).toContain("ran past its time limit of 0.5 s");
    const pid = Number(readFileSync(pidFile, "utf8"));
    // Dead, or a zombie waiting for an init that may not reap it (in a container).
    const alive = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
      } catch {
        return false;
      }
    };
    // The kill is sent before the step's error; on a loaded machine the process may take a moment to go.
    for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
  });

  it("stops a step that prints without end", async () => {
    const e = await failure(runRotation(rotator({ set: "yes test-only-output" }), input, 5));
    expect(e.message).toContain(`printed more than ${MAX_HOOK_OUTPUT} bytes`);
  });

  it("a finish that fails says the previous credential is not retired", async () => {
    const e = await failure(
      runFinish(rotator({ set: "true", finish: "cat > /dev/null; exit 2" }), {
        id: input.id,
        stages: { stable: 5 },
        current: { version: 5, value: "test-only-new" },
        previous: { version: 4, value: CURRENT },
      }),
    );
    expect(e.message).toContain("rotation step finish failed");
    expect(e.fix).toContain("not recorded as retired");
  });

  it("a create command that prints nothing, or cannot start, fails the rotation", async () => {
    const empty = await failure(runRotation(rotator({ set: "true", create: "cat > /dev/null" }), input, 5));
    expect(empty.message).toBe("rotation step create printed no value");
    const missing = await failure(runRotation(rotator({ set: [join(dir, "no-such-hook")] }), input, 5));
    expect(missing.message).toMatch(/^rotation step set: cannot run `.*no-such-hook`: ENOENT/);
    expect(existsSync(join(dir, "calls.jsonl"))).toBe(false);
  });

  it("runs string commands in the repository's folder, by the shell", async () => {
    writeFileSync(join(dir, "set.sh"), "#!/bin/sh\ncat > got.json\n", { mode: 0o755 });
    await runRotation(rotator({ set: "./set.sh" }), input, 5);
    expect(JSON.parse(readFileSync(join(dir, "got.json"), "utf8"))).toMatchObject({ step: "set", id: input.id });
  });
});
