/**
 * The README's first command ends in `npm run demo`: the demo (scripts/demo.js)
 * runs the built CLI through every step of its tour, and stops at the first
 * command whose exit code is not the one it expects. It must run to its end.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { childEnv, ROOT, requireBuiltCli, runTool } from "./helpers.js";

requireBuiltCli();

describe("npm run demo", () => {
  it("runs every step of the tour to its end on the built CLI", async () => {
    const home = await mkdtemp(join(tmpdir(), "lockstep-demo-home-"));
    const r = await runTool(process.execPath, [join(ROOT, "scripts", "demo.js"), "--clean"], {
      cwd: ROOT,
      env: childEnv(home),
    }).finally(() => rm(home, { recursive: true, force: true }));
    expect(r.code, `${r.stdout.slice(-3000)}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain("Demo finished.");
    expect(r.stdout).not.toMatch(/demo failed/);
  }, 300_000);
});
