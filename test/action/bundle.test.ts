/**
 * The action's committed bundle (action/*.cjs) is what a fresh build of
 * today's sources makes: a workflow that uses the action runs the code this
 * repository shows, not an older build of it. And action.yml passes
 * @action-validator's schema.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { validateAction } from "@action-validator/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const execFileP = promisify(execFile);

describe("the action's bundle", () => {
  let fresh: string;
  beforeAll(async () => {
    fresh = await mkdtemp(join(tmpdir(), "lockstep-action-"));
    await execFileP(process.execPath, ["scripts/bundle-action.js", fresh], { cwd: ROOT });
  }, 120_000);
  afterAll(() => rm(fresh, { recursive: true, force: true }));

  it("the committed action/ is byte for byte a fresh build (else: npm run build:action, and commit action/)", async () => {
    const committed = (await readdir(join(ROOT, "action"))).sort();
    expect(committed).toEqual((await readdir(fresh)).sort());
    for (const file of committed) {
      const [a, b] = await Promise.all([readFile(join(ROOT, "action", file)), readFile(join(fresh, file))]);
      expect(a.equals(b), `action/${file} differs from a fresh build: run npm run build:action and commit it`).toBe(
        true,
      );
    }
  });

  it("names no path of the machine that built it", async () => {
    for (const file of await readdir(fresh)) {
      const text = await readFile(join(fresh, file), "utf8");
      expect(text).not.toContain(ROOT);
      expect(text).not.toContain(fresh);
    }
  });

  it("action.yml passes @action-validator's schema", async () => {
    const text = await readFile(join(ROOT, "action.yml"), "utf8");
    // @action-validator 0.6's schema predates the runner's node24 (its enum stops at node20);
    // every other part of the file is checked as written.
    const result = validateAction(text.replace(/^ {2}using: node24$/m, "  using: node20"));
    expect(result.errors).toEqual([]);
  });
});
