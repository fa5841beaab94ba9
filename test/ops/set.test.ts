/** set, get, rotate, show and list: writes of versions, and what reads give back. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSecret } from "../../src/ops/get.js";
import { listSecrets } from "../../src/ops/list.js";
import { rotateSecret } from "../../src/ops/rotate.js";
import { setSecret } from "../../src/ops/set.js";
import { showSecret } from "../../src/ops/show.js";
import { type Sandbox, sandbox } from "./support.js";

describe("set, get, rotate, show, list", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await sandbox();
  });
  afterAll(() => s.cleanup());

  it("a new secret points every stage at version 1; a new version goes to the first stage", async () => {
    const session = await s.open();
    const id = "production/db/password";
    expect(await setSecret(session, { id, value: "one", description: "the db" })).toEqual({
      id,
      version: 1,
      created: true,
      stages: ["canary", "stable"],
    });
    expect(await setSecret(session, { id, value: "two" })).toEqual({
      id,
      version: 2,
      created: false,
      stages: ["canary"],
    });
    expect(await getSecret(session, { id })).toBe("two");
    expect(await getSecret(session, { id, stage: "stable" })).toBe("one");
    expect(await getSecret(session, { id, version: 1 })).toBe("one");
    await expect(getSecret(session, { id, version: 9 })).rejects.toMatchObject({ code: "UNKNOWN_VERSION" });
    // Versions are dated by the session's clock.
    const info = await showSecret(session, { id });
    expect(info).toMatchObject({ latest: 2, description: "the db", stages: { canary: 2, stable: 1 } });
    expect(info.versions.map((v) => v.created)).toEqual(["2026-11-28T10:00:00Z", "2026-11-28T10:00:00Z"]);
    expect(JSON.stringify(info)).not.toMatch(/one|two/);
  });

  it("a generated value keeps its generator as the secret's own, once", async () => {
    const session = await s.open();
    const id = "production/api/token";
    await setSecret(session, { id, value: { generate: "hex:8" } });
    expect(await getSecret(session, { id })).toMatch(/^[0-9a-f]{16}$/);
    expect(await s.read(`secrets/${id}.yaml`)).toContain("rotation:\n  generate: hex:8\n");
    await rotateSecret(session, { id, generate: "hex:4", stages: "all" });
    // The secret had a generator: the one asked for this time is used, not kept.
    expect(await getSecret(session, { id, stage: "stable" })).toMatch(/^[0-9a-f]{8}$/);
    expect(await s.read(`secrets/${id}.yaml`)).toContain("generate: hex:8");
    expect(await s.read(`secrets/${id}.yaml`)).not.toContain("generate: hex:4");
  });

  it("rotate takes the repository's default generator without copying it into the secret", async () => {
    const config = await s.read("lockstep.yaml");
    const session = await s.open();
    const id = "production/queue/key";
    await setSecret(session, { id, value: "by hand" });
    await expect(rotateSecret(session, { id })).rejects.toMatchObject({ code: "INVALID_VALUE" });
    await s.write("lockstep.yaml", config.replace("  maxAge: 90d", "  maxAge: 90d\n  generate: uuid"));
    try {
      const result = await rotateSecret(await s.open(), { id });
      expect(result).toMatchObject({ version: 2, stages: ["canary"] });
      expect(await getSecret(session, { id })).toMatch(/^[0-9a-f-]{36}$/);
      expect(await s.read(`secrets/${id}.yaml`)).not.toContain("rotation:");
    } finally {
      await s.write("lockstep.yaml", config);
    }
  });

  it("a version added to a hand-edited manifest keeps its comments; metadata is set where a reader looks", async () => {
    const session = await s.open();
    const id = "production/mail/password";
    await setSecret(session, { id, value: "m1" });
    const file = `secrets/${id}.yaml`;
    await s.write(file, `# owned by the mail team\n${await s.read(file)}`);
    await setSecret(session, { id, value: "m2", description: "SMTP", envName: "SMTP_PASSWORD", stages: "none" });
    const text = await s.read(file);
    expect(text.startsWith("# owned by the mail team\n")).toBe(true);
    expect(text.indexOf("description: SMTP")).toBeLessThan(text.indexOf("stages:"));
    expect(text).toContain("env: SMTP_PASSWORD");
    expect((await showSecret(session, { id })).stages).toEqual({ canary: 1, stable: 1 });
  });

  it("lists every secret of an environment, sorted, and refuses an unknown one", async () => {
    const session = await s.open();
    expect((await listSecrets(session, { env: "production" })).map((i) => i.id)).toEqual([
      "production/api/token",
      "production/db/password",
      "production/mail/password",
      "production/queue/key",
    ]);
    await expect(listSecrets(session, { env: "staging" })).rejects.toMatchObject({ code: "INVALID_ID" });
  });

  it("nothing is written for a secret without readers", async () => {
    const session = await s.open();
    await expect(setSecret(session, { id: "production-x/a", value: "x" })).rejects.toMatchObject({
      code: "INVALID_ID",
    });
    const before = await s.git("status", "--porcelain", "--untracked-files=all");
    const access = await s.read("access.yaml");
    await s.write("access.yaml", access.replace('match: "production/**"', 'match: "production/db/**"'));
    try {
      await expect(setSecret(await s.open(), { id: "production/orphan", value: "x" })).rejects.toMatchObject({
        code: "NO_READERS",
      });
    } finally {
      await s.write("access.yaml", access);
    }
    expect(await s.git("status", "--porcelain", "--untracked-files=all")).toBe(before);
  });
});
