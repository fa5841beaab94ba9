/**
 * Moving in: `import --from sops|dotenvx`, `--format yaml` and nested JSON,
 * driven through the built CLI in real temporary git repositories. sops
 * files are sops' own (shared/fixtures/sops, read in place) or written by
 * the tests from sops' format; dotenvx files by the real dotenvx CLI.
 */
import { execFile } from "node:child_process";
import { cp, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sopsFixturesDir, writeSopsFile } from "../support/sops-writer.js";
import { expectError, expectOk, makeSandbox, requireBuiltCli, type Sandbox } from "./helpers.js";

requireBuiltCli();

const fixtures = sopsFixturesDir();
const fixtureKey = join(fixtures, "TEST-ONLY-age-key.txt");
/** No key from the machine running the tests: only what a test passes. */
const CLEAN = { SOPS_AGE_KEY: undefined, SOPS_AGE_KEY_FILE: undefined, DOTENV_PRIVATE_KEY: undefined };

async function ids(s: Sandbox, env: string): Promise<string[]> {
  const r = expectOk(await s.run(["ls", env, "--json"]));
  const data = JSON.parse(r.stdout) as { id: string }[];
  return data.map((d) => d.id).sort();
}

describe("from sops", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
  });
  afterAll(() => s.cleanup());
  const get = async (id: string) => expectOk(await s.as("alice", ["get", id])).stdout;

  it("a YAML file sops wrote: every value exact, nested keys as paths, metadata left out", async () => {
    const r = expectOk(
      await s.run(["import", "production", join(fixtures, "secret.enc.TEST-ONLY.yaml"), "--from", "sops"], {
        env: { ...CLEAN, SOPS_AGE_KEY_FILE: fixtureKey },
      }),
    );
    expect(r.stdout).toMatch(/created\s+production\/complex\/value\s+version 1\s+<- complex\.value\s+as COMPLEX_VALUE/);
    expect(r.stdout).toMatch(/created\s+production\/complex\/array\s+version 1\s+<- complex\.array \(list -> json\)/);
    expect(r.stdout).toMatch(/Imported 7 secrets \(7 new, 0 new versions\)/);
    expect(r.stdout).toContain("MAC verified");
    expect(r.stdout).not.toContain("this is a secret");
    expect(await ids(s, "production")).toEqual(
      ["boolean", "complex/array", "complex/value", "float", "int", "secret", "string"].map((p) => `production/${p}`),
    );
    expect(await get("production/secret")).toBe("this is a secret");
    expect(await get("production/int")).toBe("7");
    expect(await get("production/float")).toBe("3.14");
    expect(await get("production/boolean")).toBe("true");
    expect(await get("production/complex/value")).toBe("this is a secret");
    expect(JSON.parse(await get("production/complex/array"))).toEqual(["one", "two", "three"]);
    expect((await s.manifest("production/complex/array")).type).toBe("json");
    // Variable names: as `sops exec-env` gives the top level, upper-cased paths below it.
    const exported = expectOk(await s.as("alice", ["export", "production", "--format", "json"])).stdout;
    expect(JSON.parse(exported)).toMatchObject({ secret: "this is a secret", COMPLEX_VALUE: "this is a secret" });
  });

  it("JSON and dotenv files sops wrote, with lockstep's own --identity", async () => {
    const key = join(s.home, "sops-key.txt");
    await cp(fixtureKey, key);
    expectOk(
      await s.run(
        ["--identity", key, "import", "staging", join(fixtures, "secret.enc.TEST-ONLY.json"), "--from", "sops"],
        {
          env: CLEAN,
        },
      ),
    );
    expect(await get("staging/0word")).toBe("gotta match go");
    expect((await s.manifest("staging/0word")).env).toBe("_0WORD");
    expectOk(
      await s.run(
        [
          "--identity",
          key,
          "import",
          "staging",
          join(fixtures, "secret.enc.TEST-ONLY.env"),
          "--from",
          "sops",
          "--prefix",
          "env",
        ],
        { env: CLEAN },
      ),
    );
    expect(await get("staging/env/another_secret")).toBe("7");
    expect((await ids(s, "staging")).filter((id) => id.includes("sops"))).toEqual([]);
  });

  it("a tampered file is refused with exit 4 and nothing is written; no key is exit 3", async () => {
    const text = await readFile(join(fixtures, "secret.enc.TEST-ONLY.yaml"), "utf8");
    const tampered = text.replace(
      /^string: ENC\[AES256_GCM,data:([A-Za-z])/m,
      (m, c: string) => m.slice(0, -1) + (c === "A" ? "B" : "A"),
    );
    expect(tampered).not.toBe(text);
    const file = join(s.home, "tampered.yaml");
    await writeFile(file, tampered);
    const before = await ids(s, "production");
    const r = await s.run(["import", "production", file, "--from", "sops", "--prefix", "t"], {
      env: { ...CLEAN, SOPS_AGE_KEY_FILE: fixtureKey },
    });
    expectError(r, 4, "tampered.yaml", /string/);
    expect(await ids(s, "production")).toEqual(before);
    const noKey = await s.as("alice", ["import", "production", file, "--from", "sops", "--prefix", "t"], {
      env: CLEAN,
    });
    expectError(noKey, 3, "age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr");
  });

  it("a sops file imported as plain input is refused, naming --from sops", async () => {
    for (const f of ["secret.enc.TEST-ONLY.env", "secret.enc.TEST-ONLY.json", "secret.enc.TEST-ONLY.yaml"]) {
      const r = await s.run(["import", "production", join(fixtures, f), "--prefix", "plain"], { env: CLEAN });
      expectError(r, 1, "--from sops");
    }
    expect((await ids(s, "production")).some((id) => id.startsWith("production/plain/"))).toBe(false);
  });

  it("an INI file written from sops' format: sections become paths", async () => {
    const { text } = writeSopsFile(
      { region: "eu", database: { user: "admin", password: "p;w#d" }, cache: { url_unencrypted: "redis://h" } },
      { format: "ini", recipients: [s.keys.alice.recipient] },
    );
    const file = join(s.home, "app.ini");
    await writeFile(file, text);
    expectOk(await s.as("alice", ["import", "staging", file, "--from", "sops", "--prefix", "ini"], { env: CLEAN }));
    expect(await get("staging/ini/region")).toBe("eu");
    expect(await get("staging/ini/database/password")).toBe("p;w#d");
    expect(await get("staging/ini/cache/url_unencrypted")).toBe("redis://h");
  });
});

describe("from dotenvx", () => {
  let s: Sandbox;
  const run = promisify(execFile);
  const require = createRequire(import.meta.url);
  const dotenvxCli = join(dirname(require.resolve("@dotenvx/dotenvx/package.json")), "src", "cli", "dotenvx.js");
  let envFile: string;
  beforeAll(async () => {
    s = await makeSandbox();
    envFile = join(s.home, "app", ".env.production");
    await s.write("../app/.env.production", 'DATABASE_URL="postgres://u:p@db/app"\nMULTI="a\nb"\nPLAIN=kept\n');
    await run(process.execPath, [dotenvxCli, "encrypt", "-f", envFile, "-ek", "PLAIN", "--no-armor", "--no-native"], {
      cwd: dirname(envFile),
      env: { PATH: process.env.PATH, HOME: s.home },
    });
  }, 60_000);
  afterAll(() => s.cleanup());
  const get = async (id: string) => expectOk(await s.as("alice", ["get", id])).stdout;

  it("decrypts with the .env.keys beside the file; dotenvx's public key is not a secret", async () => {
    expect(await readFile(envFile, "utf8")).toContain("encrypted:");
    const r = expectOk(await s.run(["import", "production", envFile, "--from", "dotenvx"], { env: CLEAN }));
    expect(r.stdout).toMatch(/DOTENV_PUBLIC_KEY_PRODUCTION/);
    expect(r.stdout).toContain("DOTENV_PRIVATE_KEY_PRODUCTION");
    expect(await get("production/database_url")).toBe("postgres://u:p@db/app");
    expect(await get("production/multi")).toBe("a\nb");
    expect(await get("production/plain")).toBe("kept");
    expect((await ids(s, "production")).some((id) => id.includes("dotenv"))).toBe(false);
  });

  it("takes DOTENV_PRIVATE_KEY_<ENV> from the environment; a missing or wrong key is exit 3", async () => {
    const keys = await readFile(join(dirname(envFile), ".env.keys"), "utf8");
    const key = (/^DOTENV_PRIVATE_KEY_PRODUCTION=(\S+)$/m.exec(keys) as RegExpExecArray)[1] as string;
    const moved = join(s.home, "copied.env.production");
    await cp(envFile, moved);
    const missing = await s.run(["import", "staging", moved, "--from", "dotenvx"], { env: CLEAN });
    expectError(missing, 3, "DOTENV_PRIVATE_KEY_PRODUCTION");
    const wrong = await s.run(["import", "staging", moved, "--from", "dotenvx"], {
      env: { ...CLEAN, DOTENV_PRIVATE_KEY_PRODUCTION: "1".repeat(64) },
    });
    expectError(wrong, 3);
    expectOk(
      await s.run(["import", "staging", moved, "--from", "dotenvx"], {
        env: { ...CLEAN, DOTENV_PRIVATE_KEY_PRODUCTION: key },
      }),
    );
    expect(await get("staging/database_url")).toBe("postgres://u:p@db/app");
  });

  it("a dotenvx file imported as plain input is refused, naming --from dotenvx", async () => {
    expectError(await s.run(["import", "staging", envFile, "--prefix", "raw"], { env: CLEAN }), 1, "--from dotenvx");
  });
});

describe("plain YAML and nested JSON", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
  });
  afterAll(() => s.cleanup());
  const get = async (id: string) => expectOk(await s.as("alice", ["get", id])).stdout;

  it("--format yaml: nested maps flatten by path, lists are json, scalars keep their text", async () => {
    const yaml = [
      "database:",
      "  user: admin",
      '  password: "p: w"',
      "  port: 5432",
      "ratio: 1.50",
      "debug: false",
      "hosts: [a.example, b.example]",
      "empty:",
      "",
    ].join("\n");
    const r = expectOk(await s.run(["import", "production", "--format", "yaml", "--prefix", "app"], { input: yaml }));
    expect(r.stdout).toMatch(
      /created\s+production\/app\/database\/port\s+version 1\s+<- database\.port \(number\)\s+as DATABASE_PORT/,
    );
    expect(await get("production/app/database/user")).toBe("admin");
    expect(await get("production/app/database/password")).toBe("p: w");
    expect(await get("production/app/database/port")).toBe("5432");
    expect(await get("production/app/ratio")).toBe("1.50");
    expect(await get("production/app/debug")).toBe("false");
    expect(await get("production/app/empty")).toBe("");
    expect(JSON.parse(await get("production/app/hosts"))).toEqual(["a.example", "b.example"]);
    const exported = JSON.parse(expectOk(await s.as("alice", ["export", "production", "--format", "json"])).stdout);
    expect(exported).toMatchObject({ DATABASE_USER: "admin", ratio: "1.50", hosts: '["a.example","b.example"]' });
  });

  it("nested JSON flattens; --keep-objects keeps top-level objects whole as json secrets", async () => {
    const json = JSON.stringify({ API_KEY: "k", limits: { rps: 10, burst: [1, 2] } });
    expectOk(await s.run(["import", "staging", "--format", "json"], { input: json }));
    expect(await get("staging/limits/rps")).toBe("10");
    expect(await get("staging/limits/burst")).toBe("[1,2]");
    // Under a prefix the variables keep their names: API_KEY again would clash with staging/api_key.
    const objects = JSON.stringify({ limits: { rps: 10, burst: [1, 2] } });
    expectOk(
      await s.run(["import", "staging", "--format", "json", "--prefix", "kept", "--keep-objects"], { input: objects }),
    );
    expect(JSON.parse(await get("staging/kept/limits"))).toEqual({ rps: 10, burst: [1, 2] });
    expect((await s.manifest("staging/kept/limits")).type).toBe("json");
  });

  it("a bad key deep in the file, or two keys for one id, leaves nothing imported", async () => {
    for (const yaml of ["a: 1\nb:\n  c: 2\n  bad key: 3\n", "A_B: 1\na:\n  b: 2\n"]) {
      const r = await s.run(["import", "production", "--format", "yaml", "--prefix", "bad"], { input: yaml });
      expectError(r, 1);
    }
    expect((await ids(s, "production")).some((id) => id.startsWith("production/bad/"))).toBe(false);
  });
});

describe("import into existing secrets: all or nothing (issue 13)", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    await s.write("schemas/port.schema.json", JSON.stringify({ type: "string", pattern: "^[0-9]+$" }));
    expectOk(await s.run(["set", "production/db_port", "--schema", "port"], { input: "5432" }));
    expectOk(await s.run(["set", "production/settings", "--type", "json"], { input: '{"a":1}' }));
  });
  afterAll(() => s.cleanup());

  /** Every manifest's text. */
  const snapshot = async () => {
    const { readdir } = await import("node:fs/promises");
    const names = (await readdir(s.path("secrets/production"))).sort();
    return Promise.all(names.map(async (n) => [n, await s.read(`secrets/production/${n}`)]));
  };

  it("one existing secret's new value breaks its value schema: exit 1 naming it, and not one of 81 written", async () => {
    const before = await snapshot();
    const lines = Array.from({ length: 80 }, (_, i) => `VAR_${i}=value ${i}`);
    await s.write("many.env", `${[...lines.slice(0, 40), "DB_PORT=not a port", ...lines.slice(40)].join("\n")}\n`);
    expectError(await s.run(["import", "production", "many.env"]), 1, "production/db_port", /breaks schema "port"/);
    expect(await snapshot()).toEqual(before);
  });

  it("an existing json secret keeps its type; a value that is not JSON is refused before any write", async () => {
    const before = await snapshot();
    await s.write("bad.env", "FIRST=one\nSETTINGS=not json\n");
    expectError(await s.run(["import", "production", "bad.env"]), 1, "production/settings", /not valid JSON/);
    expect(await snapshot()).toEqual(before);
    await s.write("good.env", 'SETTINGS={"a":2}\n');
    expectOk(await s.run(["import", "production", "good.env"]));
    const m = await s.manifest("production/settings");
    expect(m.type).toBe("json");
    expect(m.versions.map((v) => v.version)).toEqual([2, 1]);
  });

  it("re-importing an unchanged file adds no version where a key can tell, and says so", async () => {
    await s.write("same.env", 'DB_PORT=5432\nSETTINGS={"a":2}\nNEW_ONE=fresh\n');
    const r = expectOk(await s.as("alice", ["import", "production", "same.env"]));
    expect(r.stdout).toMatch(/Unchanged \(same value, no new version\): production\/db_port, production\/settings/);
    expect((await s.manifest("production/db_port")).versions).toHaveLength(1);
    expect((await s.manifest("production/settings")).versions).toHaveLength(2);
    expect((await s.manifest("production/new_one")).versions).toHaveLength(1);
  });

  it("with no key that reads them, existing secrets get a new version, and the summary says why", async () => {
    const r = expectOk(await s.run(["import", "production", "same.env"]));
    expect(r.stdout).toMatch(
      /3 existing secrets got a new version without comparing values: no identity of yours reads them/,
    );
    expect((await s.manifest("production/db_port")).versions).toHaveLength(2);
  });
});
