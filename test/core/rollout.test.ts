import { describe, expect, it } from "vitest";
import type { EnvironmentConfig, SecretManifest } from "../../src/core/model.js";
import { promote, rollback } from "../../src/core/rollout.js";
import type { LockstepError } from "../../src/errors.js";

const env: EnvironmentConfig = { stages: [{ name: "canary" }, { name: "beta" }, { name: "stable" }] };
const manifest = (stages: Record<string, number>, versions = [1, 2, 3, 4]): SecretManifest => ({
  stages,
  versions: versions
    .slice()
    .reverse()
    .map((version) => ({ version, created: "2026-01-01T00:00:00Z", recipients: [], ciphertext: "" })),
});

function refused(f: () => unknown): LockstepError {
  try {
    f();
  } catch (e) {
    return e as LockstepError;
  }
  throw new Error("expected a refusal");
}

describe("promote", () => {
  it("moves the first lagging stage to its predecessor's version", () => {
    expect(promote("p/x", env, manifest({ canary: 4, beta: 3, stable: 3 }))).toEqual([
      { stage: "beta", from: 3, to: 4 },
    ]);
    expect(promote("p/x", env, manifest({ canary: 4, beta: 4, stable: 3 }))).toEqual([
      { stage: "stable", from: 3, to: 4 },
    ]);
  });

  it("does nothing when no stage lags", () => {
    expect(promote("p/x", env, manifest({ canary: 4, beta: 4, stable: 4 }))).toEqual([]);
  });

  it("promotes a named stage; the first stage only when named, to the newest version", () => {
    expect(promote("p/x", env, manifest({ canary: 4, beta: 4, stable: 2 }), "stable")).toEqual([
      { stage: "stable", from: 2, to: 4 },
    ]);
    expect(promote("p/x", env, manifest({ canary: 4, beta: 4, stable: 2 }), "canary")).toEqual([]);
    expect(promote("p/x", env, manifest({ canary: 2, beta: 2, stable: 2 }))).toEqual([]);
    expect(promote("p/x", env, manifest({ canary: 2, beta: 2, stable: 2 }), "canary")).toEqual([
      { stage: "canary", from: 2, to: 4 },
    ]);
    expect(refused(() => promote("p/x", env, manifest({ canary: 4, beta: 4, stable: 2 }), "prod")).code).toBe(
      "ROLLOUT_REFUSED",
    );
  });

  it("refuses to work on a manifest that already breaks the order", () => {
    const e = refused(() => promote("p/x", env, manifest({ canary: 2, beta: 3, stable: 1 })));
    expect(e.message).toContain("ahead of the earlier stage canary");
  });
});

describe("rollback", () => {
  it("moves every stage on the newest live version back to the version below it", () => {
    expect(rollback("p/x", env, manifest({ canary: 4, beta: 4, stable: 3 }))).toEqual([
      { stage: "canary", from: 4, to: 3 },
      { stage: "beta", from: 4, to: 3 },
    ]);
  });

  it("skips versions that no longer exist when finding the one below", () => {
    expect(rollback("p/x", env, manifest({ canary: 4, beta: 2, stable: 2 }, [1, 2, 4]))).toEqual([
      { stage: "canary", from: 4, to: 2 },
    ]);
  });

  it("rolls back to a chosen version", () => {
    expect(rollback("p/x", env, manifest({ canary: 4, beta: 2, stable: 2 }), { to: 2 })).toEqual([
      { stage: "canary", from: 4, to: 2 },
    ]);
  });

  it("rolls back one stage only when the order allows it", () => {
    expect(rollback("p/x", env, manifest({ canary: 4, beta: 3, stable: 3 }), { stage: "canary" })).toEqual([
      { stage: "canary", from: 4, to: 3 },
    ]);
    const e = refused(() => rollback("p/x", env, manifest({ canary: 4, beta: 4, stable: 3 }), { stage: "canary" }));
    expect(e.code).toBe("ROLLOUT_REFUSED");
    expect(e.fix).toContain("roll back the later stages first");
  });

  it("refuses to roll back past the oldest version, forward, or to a version that does not exist", () => {
    expect(refused(() => rollback("p/x", env, manifest({ canary: 1, beta: 1, stable: 1 }))).message).toContain(
      "oldest",
    );
    expect(refused(() => rollback("p/x", env, manifest({ canary: 3, beta: 3, stable: 3 }), { to: 4 })).code).toBe(
      "ROLLOUT_REFUSED",
    );
    expect(
      refused(() => rollback("p/x", env, manifest({ canary: 3, beta: 3, stable: 3 }), { to: 9 })).message,
    ).toContain("no version 9");
  });

  it("a later stage is never left ahead of an earlier one, whatever is asked", () => {
    for (const stages of [
      { canary: 4, beta: 4, stable: 4 },
      { canary: 4, beta: 3, stable: 2 },
      { canary: 2, beta: 2, stable: 1 },
    ]) {
      for (const opts of [{}, { stage: "canary" }, { stage: "beta" }, { stage: "stable" }, { to: 1 }, { to: 2 }]) {
        let moves: { stage: string; to: number }[] = [];
        try {
          moves = rollback("p/x", env, manifest(stages), opts);
        } catch {
          continue; // refused: fine
        }
        const after: Record<string, number> = { ...stages };
        for (const m of moves) after[m.stage] = m.to;
        expect(after.canary! >= after.beta! && after.beta! >= after.stable!).toBe(true);
      }
    }
  });
});
