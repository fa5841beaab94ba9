import { describe, expect, it } from "vitest";
import type { EnvironmentConfig, SecretManifest, SecretRotation, SecretVersion } from "../../src/core/model.js";
import {
  appliesCredential,
  checkRotationSettings,
  credentialStates,
  finishWait,
  planRotation,
  refuseRevoked,
} from "../../src/core/rotation.js";
import type { LockstepError } from "../../src/errors.js";

const env: EnvironmentConfig = { stages: [{ name: "canary" }, { name: "beta" }, { name: "stable" }] };
const postgres: SecretRotation = { strategy: "postgres", admin: "production/db/admin" };

function manifest(
  stages: Record<string, number>,
  n: number,
  extra: Record<number, Partial<SecretVersion>> = {},
  rotation: SecretRotation = postgres,
): SecretManifest {
  return {
    rotation,
    stages,
    versions: Array.from({ length: n }, (_, i) => ({
      version: n - i,
      created: `2026-01-0${n - i}T00:00:00Z`,
      recipients: [],
      ciphertext: "",
      ...extra[n - i],
    })),
  };
}

function thrown(f: () => unknown): LockstepError {
  try {
    f();
  } catch (e) {
    return e as LockstepError;
  }
  throw new Error("expected an error");
}

describe("credential states", () => {
  it("current is the last stage's version, pending the newer ones, previous the newest unretired below", () => {
    const m = manifest({ canary: 5, beta: 4, stable: 3 }, 5, { 1: { revoked: "2026-01-03T00:00:00Z" } });
    expect(credentialStates(env, m)).toEqual({ current: 3, pending: [4, 5], previous: 2, revoked: [1] });
    expect(credentialStates(env, manifest({ canary: 1, beta: 1, stable: 1 }, 1))).toEqual({
      current: 1,
      pending: [],
      revoked: [],
    });
  });

  it("only strategies that apply credentials have them", () => {
    expect(appliesCredential(undefined)).toBe(false);
    expect(appliesCredential({ strategy: "generate" })).toBe(false);
    expect(appliesCredential({ strategy: "hook", hooks: { set: "x" } })).toBe(true);
    expect(appliesCredential(postgres)).toBe(true);
  });
});

describe("finish", () => {
  const now = new Date("2026-02-10T12:00:00Z");

  it("waits once every stage has the new version, counting revokeAfter from its release", () => {
    const released = { 4: { released: "2026-02-10T00:00:00Z" } };
    const m = manifest({ canary: 4, beta: 4, stable: 4 }, 4, released, { ...postgres, revokeAfter: "1d" });
    expect(finishWait(env, m, now)).toEqual({
      previous: 3,
      current: 4,
      since: "2026-02-10T00:00:00Z",
      due: "2026-02-11T00:00:00Z",
      ready: false,
    });
    expect(finishWait(env, m, new Date("2026-02-11T00:00:00Z"))?.ready).toBe(true);
  });

  it("without revokeAfter, is ready at once; without a release date, counts from the version's creation", () => {
    const w = finishWait(env, manifest({ canary: 4, beta: 4, stable: 4 }, 4), now);
    expect(w).toMatchObject({ previous: 3, since: "2026-01-04T00:00:00Z", ready: true });
  });

  it("nothing waits while a rotation rolls out (it retired the rest), after finish, or for the generate strategy", () => {
    const rolling = { 2: { revoked: "x" }, 1: { revoked: "x" } };
    expect(finishWait(env, manifest({ canary: 4, beta: 4, stable: 3 }, 4, rolling), now)).toBeUndefined();
    const retired = { 3: { revoked: "2026-02-01T00:00:00Z" }, ...rolling };
    expect(finishWait(env, manifest({ canary: 4, beta: 4, stable: 4 }, 4, retired), now)).toBeUndefined();
    expect(finishWait(env, manifest({ canary: 4, beta: 4, stable: 4 }, 4, {}, {}), now)).toBeUndefined();
  });
});

describe("planning a rotation", () => {
  it("keeps the current and the new credential; every other one is retired", () => {
    const m = manifest({ canary: 4, beta: 4, stable: 4 }, 4, { 1: { revoked: "x" } });
    expect(planRotation(env, m, 5, "first", "p/db")).toEqual({ stages: { canary: 5 }, retires: [3, 2] });
  });

  it("retires an abandoned pending version the new one replaces on its stage", () => {
    const m = manifest({ canary: 5, beta: 4, stable: 4 }, 5, { 3: { revoked: "x" }, 2: { revoked: "x" } });
    expect(planRotation(env, m, 6, "first", "p/db").retires).toEqual([5, 1]);
  });

  it("refuses while another rotation is rolling out through a middle stage", () => {
    const m = manifest({ canary: 5, beta: 5, stable: 4 }, 5);
    const e = thrown(() => planRotation(env, m, 6, "first", "p/db"));
    expect(e.code).toBe("ROLLOUT_REFUSED");
    expect(e.message).toBe(
      "p/db: stage beta (version 5) would keep a credential this rotation retires (only the current version 4 and the new one keep working)",
    );
    expect(e.fix).toMatch(/^finish the rotation under way first/);
  });

  it("single-user mode needs every stage at once, and retires the current credential too", () => {
    const single: SecretRotation = { ...postgres, postgres: { users: "single" } };
    const m = manifest({ canary: 2, beta: 2, stable: 2 }, 2, {}, single);
    const e = thrown(() => planRotation(env, m, 3, "first", "p/db"));
    expect(e.code).toBe("ROLLOUT_REFUSED");
    expect(e.fix).toContain("--all-stages");
    expect(planRotation(env, m, 3, "all", "p/db")).toEqual({
      stages: { canary: 3, beta: 3, stable: 3 },
      retires: [2, 1],
    });
  });
});

describe("rotation settings and rollback", () => {
  it("each strategy has what it needs, named with the file and an example", () => {
    const file = "secrets/production/db/password.yaml";
    const hook = thrown(() => checkRotationSettings({ strategy: "hook" }, "production/db/password", file));
    expect(hook).toMatchObject({ code: "INVALID_VALUE", file });
    expect(hook.message).toBe("production/db/password: rotation strategy hook needs rotation.hooks");
    expect(thrown(() => checkRotationSettings({ strategy: "postgres" }, "p/x", file)).fix).toContain("admin:");
    expect(thrown(() => checkRotationSettings({ ...postgres, admin: "p/x" }, "p/x", file)).message).toContain(
      "names the secret itself",
    );
    expect(() => checkRotationSettings(postgres, "production/db/password", file)).not.toThrow();
    expect(() => checkRotationSettings(undefined, "production/db/password", file)).not.toThrow();
  });

  it("refuses to point a stage at a retired credential, saying why and what to do", () => {
    const m = manifest({ canary: 4, beta: 4, stable: 4 }, 4, { 3: { revoked: "2026-02-01T00:00:00Z" } });
    expect(() => refuseRevoked(m, 4, "p/db", "f.yaml")).not.toThrow();
    const e = thrown(() => refuseRevoked(m, 3, "p/db", "f.yaml"));
    expect(e.code).toBe("ROLLOUT_REFUSED");
    expect(e.message).toContain("version 3's credential was retired on 2026-02-01T00:00:00Z");
    expect(e.fix).toContain("lockstep rotate");
  });
});
