/**
 * Two secrets of one environment that export under one variable name make
 * every deploy of it fail (`export` and `exec` refuse both). `set` and
 * `import` refuse to create such a pair, nothing written; `check` reports
 * one made by hand (`duplicate-variable-name`).
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, expectOk, makeSandbox, requireBuiltCli, type Sandbox } from "./helpers.js";

requireBuiltCli();

describe("one variable name, two secrets", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    expectOk(await s.run(["set", "production/db/password"], { input: "first" }));
  });
  afterAll(() => s.cleanup());

  it("set refuses a new secret whose default name another secret exports as, and writes nothing", async () => {
    const r = await s.run(["set", "production/db_password"], { input: "second" });
    expectError(
      r,
      1,
      "production/db_password would export as DB_PASSWORD, as production/db/password does",
      "--env NAME",
    );
    expect(existsSync(s.path("secrets/production/db_password.yaml"))).toBe(false);
    // Under another name it is welcome.
    expectOk(await s.run(["set", "production/db_password", "--env", "LEGACY_DB_PASSWORD"], { input: "second" }));
    expectOk(await s.as("alice", ["export", "production"]));
  });

  it("set --env refuses a name another secret exports as by default", async () => {
    const r = await s.run(["set", "production/cache/token", "--env", "DB_PASSWORD"], { input: "third" });
    expectError(r, 1, "as production/db/password does");
    expect(existsSync(s.path("secrets/production/cache/token.yaml"))).toBe(false);
  });

  it("import refuses a batch with such a name before writing any of it", async () => {
    const file = join(s.home, "more.env");
    await writeFile(file, "API_KEY=a\nDB_PASSWORD=b\n");
    const r = await s.run(["import", "production", file, "--prefix", "dx"]);
    expectError(r, 1, "production/dx/db_password would export as DB_PASSWORD, as production/db/password does");
    expect(existsSync(s.path("secrets/production/dx/api_key.yaml"))).toBe(false);
  });

  it("check reports a pair made by hand, naming both, and fails", async () => {
    expectOk(await s.run(["set", "production/db/user"], { input: "app" }));
    const manifest = await s.read("secrets/production/db/user.yaml");
    await s.write("secrets/production/db/user.yaml", manifest.replace(/^type:/m, "env: DB_PASSWORD\ntype:"));
    const r = await s.run(["check", "--format", "json"]);
    expect(r.code).toBe(1);
    const { findings } = JSON.parse(r.stdout) as { findings: { code: string; message: string; fix?: string }[] };
    const clash = findings.find((f) => f.code === "duplicate-variable-name");
    expect(clash?.message).toContain(
      "production/db/password and production/db/user both export as DB_PASSWORD for a common consumer",
    );
    expect(clash?.fix).toContain("--keep-value --env NAME");
    expectError(await s.as("alice", ["export", "production"]), 1, "both export as DB_PASSWORD");
  });
});
