import { describe, expect, it } from "vitest";
import type { EnvironmentConfig, SecretManifest } from "../../src/core/model.js";
import { initialStages, stageProblems, stagesForNewVersion, versionAtStage } from "../../src/core/stages.js";
import type { LockstepError } from "../../src/errors.js";

const env: EnvironmentConfig = { stages: [{ name: "canary" }, { name: "beta" }, { name: "stable" }] };
const version = (n: number) => ({ version: n, created: "2026-01-01T00:00:00Z", recipients: [], ciphertext: "" });
const manifest = (stages: Record<string, number>, n = 3): SecretManifest => ({
  stages,
  versions: Array.from({ length: n }, (_, i) => version(n - i)),
});

describe("stages", () => {
  it("a new secret points every stage at version 1", () => {
    expect(initialStages(env)).toEqual({ canary: 1, beta: 1, stable: 1 });
  });

  it("a new version goes to the first stage, every stage, or none", () => {
    expect(stagesForNewVersion(env, 4, "first")).toEqual({ canary: 4 });
    expect(stagesForNewVersion(env, 4, "all")).toEqual({ canary: 4, beta: 4, stable: 4 });
    expect(stagesForNewVersion(env, 4, "none")).toEqual({});
  });

  it("a consistent stage map has no problems", () => {
    expect(stageProblems(env, manifest({ canary: 3, beta: 2, stable: 2 }))).toEqual([]);
  });

  it("finds a later stage ahead of an earlier one, missing stages, unknown versions and stages", () => {
    const problems = stageProblems(env, manifest({ canary: 2, beta: 3, prod: 1, stable: 9 }));
    expect(problems.map((p) => p.stage).sort()).toEqual(["beta", "prod", "stable", "stable"]);
    expect(stageProblems(env, manifest({ canary: 1, stable: 1 })).map((p) => p.stage)).toEqual(["beta"]);
  });

  it("versionAtStage names the stages when asked for an unknown one", () => {
    expect(versionAtStage(env, manifest({ canary: 3, beta: 2, stable: 1 }), "beta", "p/x")).toBe(2);
    try {
      versionAtStage(env, manifest({ canary: 3 }), "prod", "p/x");
      expect.unreachable();
    } catch (e) {
      expect((e as LockstepError).code).toBe("UNKNOWN_STAGE");
      expect((e as LockstepError).fix).toContain("canary, beta, stable");
    }
  });
});
