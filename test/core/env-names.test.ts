import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  checkedExportName,
  exportName,
  exportNameClashes,
  isVariableName,
  suggestVariableName,
  variableNameProblem,
} from "../../src/core/env-names.js";
import type { LockstepError } from "../../src/errors.js";

/** Whether `sh` (dash) accepts `export NAME=x` and gives the child NAME. */
function shellAccepts(name: string): boolean {
  try {
    const out = execFileSync("dash", ["-c", `export ${name}=x && exec env`], { encoding: "utf8", stdio: "pipe" });
    return out.split("\n").includes(`${name}=x`);
  } catch {
    return false;
  }
}

describe("variable names", () => {
  it.each([
    ["DB_PASSWORD", true],
    ["_PRIVATE", true],
    ["a1", true],
    ["2FA_SEED", false],
    ["MY-KEY", false],
    ["MY.KEY", false],
    ["ÜBER", false],
    ["", false],
    ["A B", false],
  ])("%s: valid %s, as dash agrees", (name, valid) => {
    expect(isVariableName(name)).toBe(valid);
    expect(shellAccepts(name)).toBe(valid);
    expect(variableNameProblem(name) === undefined).toBe(valid);
  });

  it("a suggested name is always valid and keeps the letters", () => {
    for (const name of ["2FA_SEED", "MY-KEY", "", "ü", "9"]) {
      expect(isVariableName(suggestVariableName(name))).toBe(true);
      expect(shellAccepts(suggestVariableName(name))).toBe(true);
    }
    expect(suggestVariableName("2FA_SEED")).toBe("_2FA_SEED");
  });

  it("the export name is the manifest's env:, else the path upper-cased", () => {
    expect(exportName("production/db/password")).toBe("DB_PASSWORD");
    expect(exportName("production/db/password", "PGPASSWORD")).toBe("PGPASSWORD");
    expect(exportName("production/api.key-v2")).toBe("API_KEY_V2");
  });

  it("production/2fa/seed is refused with a fix that names --env and a valid name", () => {
    try {
      checkedExportName("production/2fa/seed");
      expect.unreachable();
    } catch (e) {
      const err = e as LockstepError;
      expect(err.code).toBe("INVALID_NAME");
      expect(err.message).toContain("production/2fa/seed");
      expect(err.message).toContain("2FA_SEED");
      expect(err.message).toContain("starts with a digit");
      expect(err.fix).toContain("--env _2FA_SEED");
    }
    expect(checkedExportName("production/2fa/seed", "SEED_2FA")).toBe("SEED_2FA");
  });
});

describe("exportNameClashes", () => {
  it("pairs secrets of one name that serve a common consumer; no consumers means every consumer", () => {
    expect(
      exportNameClashes([
        { id: "p/db/password", name: "DB_PASSWORD" },
        { id: "p/db_password", name: "DB_PASSWORD" },
        { id: "p/api/key", name: "API_KEY" },
      ]),
    ).toEqual([{ name: "DB_PASSWORD", ids: ["p/db/password", "p/db_password"] }]);
    expect(
      exportNameClashes([
        { id: "p/api/db_url", name: "DB_URL", consumers: ["api"] },
        { id: "p/worker/db_url", name: "DB_URL", consumers: ["worker"] },
      ]),
    ).toEqual([]);
    expect(
      exportNameClashes([
        { id: "p/api/db_url", name: "DB_URL", consumers: ["api"] },
        { id: "p/worker/db_url", name: "DB_URL", consumers: ["worker"] },
        { id: "p/shared/db_url", name: "DB_URL", consumers: ["worker", "cron"] },
      ]),
    ).toEqual([{ name: "DB_URL", ids: ["p/shared/db_url", "p/worker/db_url"] }]);
  });
});
