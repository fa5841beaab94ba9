/** The import use case on a real repository: plan, checks before the first write, and what it returns. */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSecret } from "../../src/ops/get.js";
import { importSecrets } from "../../src/ops/import.js";
import { showSecret } from "../../src/ops/show.js";
import { writeSopsFile } from "../support/sops-writer.js";
import { type Sandbox, sandbox } from "./support.js";

describe("importSecrets", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await sandbox();
  });
  afterAll(() => s.cleanup());

  it("nested YAML: one secret per value, the key path and kind kept for the summary", async () => {
    const session = await s.open();
    const result = await importSecrets(session, {
      env: "production",
      text: "database:\n  user: admin\n  port: 5432\nhosts: [a, b]\nnone: {}\n",
      source: "app.yaml",
      prefix: "app",
    });
    expect(result.secrets.map((r) => [r.id, r.version, r.created, r.from.keys, r.from.was, r.from.envName])).toEqual([
      ["production/app/database/user", 1, true, ["database", "user"], "string", "DATABASE_USER"],
      ["production/app/database/port", 1, true, ["database", "port"], "number", "DATABASE_PORT"],
      ["production/app/hosts", 1, true, ["hosts"], "list", "hosts"],
    ]);
    expect(result.skipped).toEqual([{ keys: ["none"], reason: "an empty object", line: 5 }]);
    expect(result.notes).toEqual([]);
    expect(await getSecret(session, { id: "production/app/database/port" })).toBe("5432");
    expect(await getSecret(session, { id: "production/app/hosts" })).toBe('["a","b"]');
    expect((await showSecret(session, { id: "production/app/hosts" })).type).toBe("json");
    // The variable name is recorded where the path (with its prefix) would give another.
    expect((await showSecret(session, { id: "production/app/database/user" })).env).toBe("DATABASE_USER");
  });

  it("a sops file with the key in SOPS_AGE_KEY (keyEnv): decrypted, verified, said how", async () => {
    const session = await s.open("bob");
    const keyText = await s.read("alice.test-only.key");
    const { text } = writeSopsFile(
      { api: { token: "t0k" } },
      { format: "json", recipients: [s.recipients.alice as string] },
    );
    const result = await importSecrets(session, {
      env: "production",
      text,
      source: "secrets.json",
      from: "sops",
      keyEnv: { SOPS_AGE_KEY: keyText, HOME: s.dir, XDG_CONFIG_HOME: s.dir },
    });
    expect(result.secrets.map((r) => r.id)).toEqual(["production/api/token"]);
    expect(result.notes[0]).toMatch(/^sops 3\.9\.4 file, MAC verified, opened by age1/);
    expect(await getSecret(await s.open("alice"), { id: "production/api/token" })).toBe("t0k");
  });

  it("refuses before the first write: a secret without readers, a bad key, a still-encrypted value", async () => {
    const access = await s.read("access.yaml");
    // Only production/mixed/a has readers: b, after it in the file, has none.
    await s.write("access.yaml", access.replace('match: "production/**"', 'match: "production/mixed/a"'));
    const files = async () => (await readdir(join(s.dir, "secrets"), { recursive: true })).sort();
    const filesBefore = await files();
    try {
      const session = await s.open();
      await expect(
        importSecrets(session, { env: "production", text: "a: 1\nb: 2\n", source: "x.yaml", prefix: "mixed" }),
      ).rejects.toMatchObject({
        code: "NO_READERS",
      });
    } finally {
      await s.write("access.yaml", access);
    }
    const session = await s.open();
    for (const text of ["a: 1\nb:\n  bad key: 2\n", "a: 1\nb: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]\n"]) {
      await expect(
        importSecrets(session, { env: "production", text, source: "x.yaml", prefix: "mixed" }),
      ).rejects.toMatchObject({
        code: "INVALID_VALUE",
      });
    }
    expect(await files()).toEqual(filesBefore);
  });
});
