import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { planImport } from "../../../src/core/import-plan.js";
import { generateKey, parseIdentityFile } from "../../../src/crypto/keys.js";
import { LockstepError, NoIdentityError } from "../../../src/errors.js";
import { importFormatOf, readImportSource } from "../../../src/ops/import-sources/read-source.js";
import { errorOf } from "../../support/errors.js";
import { sopsFixturesDir, writeSopsFile } from "../../support/sops-writer.js";

const dir = sopsFixturesDir();
let fixtureKeyText: string;
const noKeys = { HOME: "/nonexistent", XDG_CONFIG_HOME: "/nonexistent" };

beforeAll(async () => {
  fixtureKeyText = await readFile(join(dir, "TEST-ONLY-age-key.txt"), "utf8");
});

describe("readImportSource", () => {
  test("a sops file read as plain input is refused, naming --from sops; so is a dotenvx file", async () => {
    for (const file of ["secret.enc.TEST-ONLY.env", "secret.enc.TEST-ONLY.yaml", "secret.enc.TEST-ONLY.json"]) {
      const text = await readFile(join(dir, file), "utf8");
      const err = await errorOf(readImportSource(text, { source: file, env: noKeys }));
      expect(err.code, file).toBe("INVALID_VALUE");
      expect(err.fix, file).toContain("--from sops");
    }
    const dotenvx = 'DOTENV_PUBLIC_KEY="02ab"\nA=encrypted:BOGUS\n';
    expect((await errorOf(readImportSource(dotenvx, { source: ".env" }))).fix).toContain("--from dotenvx");
  });

  test("--from sops reads sops' key places and lockstep's identities, and says what opened the file", async () => {
    const text = await readFile(join(dir, "secret.enc.TEST-ONLY.yaml"), "utf8");
    const viaSops = await readImportSource(text, {
      from: "sops",
      source: "secrets.yaml",
      env: { ...noKeys, SOPS_AGE_KEY: fixtureKeyText },
      identities: () => Promise.reject(new NoIdentityError("none")),
    });
    expect(viaSops.format).toBe("yaml");
    expect(viaSops.notes[0]).toMatch(/^sops 3\.8\.1 file, MAC verified, opened by age1je6/);
    const viaOwn = await readImportSource(text, {
      from: "sops",
      source: "secrets.yaml",
      env: noKeys,
      identities: () => parseIdentityFile(fixtureKeyText, "identity.txt"),
    });
    expect(viaOwn.tree).toEqual(viaSops.tree);
    const other = await generateKey(false);
    const err = await errorOf(
      readImportSource(text, {
        from: "sops",
        source: "secrets.yaml",
        env: noKeys,
        identities: () => parseIdentityFile(other.fileText, "mine.txt"),
      }),
    );
    expect(err.code).toBe("NO_IDENTITY");
    expect(err.fix).toContain("mine.txt");
  });

  test("formats: from the name, INI only with sops, dotenvx only for dotenv", async () => {
    expect(importFormatOf("a.yml")).toBe("yaml");
    expect(importFormatOf("a.json")).toBe("json");
    expect(importFormatOf("a.ini")).toBe("ini");
    expect(importFormatOf(".env.production", "dotenvx")).toBe("dotenv");
    expect(importFormatOf(undefined)).toBe("dotenv");
    expect((await errorOf(readImportSource("[a]\nb=c\n", { source: "a.ini" }))).code).toBe("USAGE");
    expect((await errorOf(readImportSource("{}", { source: "a.json", from: "dotenvx", format: "json" }))).code).toBe(
      "USAGE",
    );
    const k = await generateKey(false);
    const ini = writeSopsFile({ db: { user: "u" } }, { format: "ini", recipients: [k.recipient] }).text;
    const read = await readImportSource(ini, {
      source: "a.ini",
      from: "sops",
      env: { ...noKeys, SOPS_AGE_KEY: k.fileText },
    });
    expect(read.variables).toBe(false);
    expect(planImport(read.tree, { env: "production", source: "a.ini" }).secrets.map((s) => [s.id, s.value])).toEqual([
      ["production/db/user", "u"],
    ]);
  });
});

describe("planImport", () => {
  test("ids under the environment and prefix; a variable name recorded only where it differs", async () => {
    const { tree } = await readImportSource("database:\n  user: admin\nDB_PASS: x\nport: 5432\n", { source: "a.yaml" });
    const plan = planImport(tree, { env: "production", prefix: "api", source: "a.yaml" });
    expect(plan.secrets.map((s) => [s.id, s.envName, s.recordEnvName])).toEqual([
      ["production/api/database/user", "DATABASE_USER", "DATABASE_USER"],
      ["production/api/db_pass", "DB_PASS", "DB_PASS"],
      ["production/api/port", "port", "port"],
    ]);
    const noPrefix = planImport(tree, { env: "production", source: "a.yaml" });
    expect(noPrefix.secrets.map((s) => s.recordEnvName)).toEqual([undefined, undefined, "port"]);
  });

  test("dotenv keys must be variable names; empty input and bad prefixes are refused", async () => {
    const { tree, variables } = await readImportSource("GOOD=1\nbad.name=2\n", { source: "a.env" });
    expect(variables).toBe(true);
    const err = (() => {
      try {
        planImport(tree, { env: "production", source: "a.env", variables });
      } catch (e) {
        return e as LockstepError;
      }
    })();
    expect(err?.code).toBe("INVALID_VALUE");
    expect(err?.line).toBe(2);
    expect(() => planImport({ kind: "map", entries: [] }, { env: "p", source: "a" })).toThrow(/no variables/);
    const one = (await readImportSource("A=1\n", { source: "a.env" })).tree;
    expect(() => planImport(one, { env: "p", prefix: "../x", source: "a" })).toThrow(LockstepError);
  });
});
