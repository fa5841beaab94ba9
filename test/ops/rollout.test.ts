/** promote, rollback and status: stage moves, their commits, and what they leave. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { promoteEnvironment, promoteSecret } from "../../src/ops/promote.js";
import { rollbackSecret } from "../../src/ops/rollback.js";
import { setSecret } from "../../src/ops/set.js";
import { showSecret } from "../../src/ops/show.js";
import { rolloutStatus } from "../../src/ops/status.js";
import { type Sandbox, sandbox } from "./support.js";

describe("promote, rollback, status", () => {
  let s: Sandbox;
  const a = "production/a";
  const b = "production/b";
  beforeAll(async () => {
    s = await sandbox();
    const session = await s.open();
    for (const id of [a, b]) {
      await setSecret(session, { id, value: "1" });
      await setSecret(session, { id, value: "2" });
    }
    await s.git("add", "-A");
    await s.git("commit", "-qm", "baseline");
  });
  afterAll(() => s.cleanup());

  it("status: versions by stage, and what is pending", async () => {
    const [production] = await rolloutStatus(await s.open());
    expect(production?.env).toBe("production");
    expect(production?.secrets.map((x) => [x.id, x.latest, x.stages])).toEqual([
      [a, 2, { canary: 2, stable: 1 }],
      [b, 2, { canary: 2, stable: 1 }],
    ]);
    expect(production?.secrets[0]?.pending).toEqual([{ version: 2, stages: ["stable"] }]);
  });

  it("promote --commit: one commit of the manifest, named for the move; the result carries it", async () => {
    const session = await s.open();
    const r = await promoteSecret(session, { id: a, commit: true });
    expect(r).toMatchObject({ id: a, file: `secrets/${a}.yaml`, moves: [{ stage: "stable", from: 1, to: 2 }] });
    expect(r.commit).toBe((await s.git("rev-parse", "HEAD")).trim());
    expect(await s.git("log", "-1", "--format=%B", "--name-only")).toBe(
      `lockstep promote: ${a}: stable 1 -> 2\n\n${a}: stable 1 -> 2\n\n\nsecrets/${a}.yaml\n`,
    );
    // Nothing lags any more: nothing moves, nothing is committed.
    const again = await promoteSecret(session, { id: a, commit: true });
    expect(again).toEqual({ id: a, file: `secrets/${a}.yaml`, moves: [] });
  });

  it("promote of an environment moves only what lags; rollback moves back", async () => {
    const session = await s.open();
    expect((await promoteEnvironment(session, { env: "production" })).map((r) => r.id)).toEqual([b]);
    const back = await rollbackSecret(session, { id: b, stage: "stable", to: 1 });
    expect(back.moves).toEqual([{ stage: "stable", from: 2, to: 1 }]);
    expect(back.commit).toBeUndefined();
    expect((await showSecret(session, { id: b })).stages).toEqual({ canary: 2, stable: 1 });
  });

  it("a commit that fails is NOT_COMMITTED carrying git's words, saying the moves are written and how to commit them", async () => {
    const session = await s.open();
    // A manifest git refuses to add: ignored.
    await s.write(".gitignore", "*.key\nsecrets/\n");
    try {
      const error = await promoteSecret(session, { id: b, commit: true }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "NOT_COMMITTED", cause: { code: "GIT", exitCode: 1 } });
      expect((error as Error).message).toMatch(/written but not committed: git said: .*ignored/);
      expect((error as { fix: string }).fix).toContain(
        `commit -m 'lockstep promote: ${b}: stable 1 -> 2' -- secrets/${b}.yaml`,
      );
      expect((await showSecret(session, { id: b })).stages).toEqual({ canary: 2, stable: 2 });
    } finally {
      await s.write(".gitignore", "*.key\n");
    }
  });
});
