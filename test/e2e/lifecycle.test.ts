/**
 * The whole lifecycle of a secrets repository, through the built CLI:
 * keys, init, members, set/get, stages, rotate, ls/show, import, rekey,
 * identity sources, and interop with the real `age` CLI.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import {
  childEnv,
  expectError,
  expectOk,
  gitInit,
  makeSandbox,
  requireBuiltCli,
  runCli,
  runTool,
  type Sandbox,
  writeKeyFile,
} from "./helpers.js";

requireBuiltCli();
// Every step spawns the CLI; on a loaded machine a test of many steps needs time.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const X25519_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

/** Text of `show --json` parsed. */
interface ShowJson {
  id: string;
  type: string;
  latest: number;
  stages: Record<string, number>;
  readers: string[];
  versions: { version: number; recipients: { member: string; key: string }[] }[];
}

describe("keygen", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lockstep-keygen-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const keygen = (args: string[]) => runCli(["keygen", ...args], dir, childEnv(dir));

  it("writes an X25519 identity with mode 0600 and prints its recipient on stderr", async () => {
    const file = join(dir, "me.txt");
    const r = expectOk(await keygen(["-o", file]));
    expect(r.stdout).toBe("");
    const recipient = /^Public key: (\S+)$/m.exec(r.stderr)?.[1];
    expect(recipient).toMatch(X25519_RECIPIENT);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, "utf8");
    expect(text).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/m);
    expect(text).toContain(`# public key: ${recipient}`);
    // The real age tooling agrees on the recipient.
    const y = await runTool("age-keygen", ["-y", file]);
    expect(y.stdout.trim()).toBe(recipient);
  });

  it("refuses to overwrite an existing file (exit 1) and leaves it as it was", async () => {
    const file = join(dir, "taken.txt");
    await writeFile(file, "precious\n");
    const r = await keygen(["-o", file]);
    expectError(r, 1, "taken.txt", /already exists/);
    expect(await readFile(file, "utf8")).toBe("precious\n");
    expect(r.stderr).not.toContain("Public key:");
  });

  it("makes a hybrid post-quantum key with --pq", async () => {
    const file = join(dir, "pq.txt");
    const r = expectOk(await keygen(["-o", file, "--pq"]));
    expect(r.stderr).toMatch(/^Public key: age1pq1[0-9a-z]+$/m);
    expect(await readFile(file, "utf8")).toMatch(/^AGE-SECRET-KEY-PQ-1[0-9A-Z]+$/m);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("writes the identity to stdout without -o, and two keys differ", async () => {
    const a = expectOk(await keygen([]));
    const b = expectOk(await keygen([]));
    expect(a.stdout).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/m);
    expect(a.stderr).toMatch(/^Public key: age1/m);
    expect(a.stdout).not.toBe(b.stdout);
  });
});

describe("init", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lockstep-init-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("writes lockstep.yaml with the environments asked for, access.yaml and secrets/", async () => {
    const repo = join(dir, "repo");
    await gitInit(repo, dir);
    const r = expectOk(await runCli(["init", "--env", "dev", "--env", "prod"], repo, childEnv(dir)));
    expect(r.stdout).toContain("lockstep.yaml");
    const config = parse(await readFile(join(repo, "lockstep.yaml"), "utf8"));
    expect(Object.keys(config.environments)).toEqual(["dev", "prod"]);
    expect(config.environments.prod.stages.map((s: { name: string }) => s.name)).toEqual(["canary", "stable"]);
    const access = parse(await readFile(join(repo, "access.yaml"), "utf8"));
    expect(access.members).toEqual({});
    expect((await stat(join(repo, "secrets"))).isDirectory()).toBe(true);
  });

  it("refuses a second init and leaves the files alone", async () => {
    const repo = join(dir, "repo2");
    await gitInit(repo, dir);
    expectOk(await runCli(["init"], repo, childEnv(dir)));
    await writeFile(join(repo, "lockstep.yaml"), "# mine\nenvironments:\n  x:\n    stages: [{ name: only }]\n");
    const r = await runCli(["init"], repo, childEnv(dir));
    expectError(r, 1, "lockstep.yaml", /already exists/);
    expect(await readFile(join(repo, "lockstep.yaml"), "utf8")).toContain("# mine");
  });

  it("makes a folder that is not in a git work tree a git repository", async () => {
    const repo = join(dir, "plain");
    expectOk(await runCli(["init", "-C", repo], dir, childEnv(dir)));
    expect((await stat(join(repo, ".git"))).isDirectory()).toBe(true);
    expect((await stat(join(repo, "lockstep.yaml"))).isFile()).toBe(true);
  });
});

describe("member add and rm", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
  });
  afterAll(() => s.cleanup());

  it("keep hand-written comments and key order in access.yaml", async () => {
    const before = await s.read("access.yaml");
    const edited = before
      .replace(/^members:/m, "# Members: people and CI jobs. KEEP THIS COMMENT\nmembers:")
      .replace("readers: [platform, ci]", "readers: [platform, ci, bob] # bob reads staging (inline comment)");
    expect(edited).not.toBe(before);
    await s.write("access.yaml", edited);

    const dave = (await s.run(["keygen"])).stderr.match(/age1\S+/)?.[0] as string;
    const add = expectOk(
      await s.run(["member", "add", "dave", "--key", dave, "--github", "dave-gh", "--group", "ops"]),
    );
    expect(add.stdout).toMatch(/Added member dave/);
    let text = await s.read("access.yaml");
    expect(text).toContain("# Members: people and CI jobs. KEEP THIS COMMENT");
    expect(text).toContain("# bob reads staging (inline comment)");
    let data = parse(text);
    expect(Object.keys(data)).toEqual(["members", "groups", "rules"]);
    expect(Object.keys(data.members)).toEqual(["alice", "bob", "ci", "dave"]);
    expect(data.members.dave).toEqual({ recipients: [dave], github: "dave-gh" });
    expect(data.groups.ops).toEqual(["dave"]);

    const rm = expectOk(await s.run(["member", "rm", "bob"]));
    expect(rm.stdout).toMatch(/Removed member bob/);
    text = await s.read("access.yaml");
    expect(text).toContain("# Members: people and CI jobs. KEEP THIS COMMENT");
    expect(text).toContain("# bob reads staging (inline comment)");
    data = parse(text);
    expect(Object.keys(data)).toEqual(["members", "groups", "rules"]);
    expect(Object.keys(data.members)).toEqual(["alice", "ci", "dave"]);
    expect(data.rules[0].readers).toEqual(["platform", "ci"]);
    expect(data.rules.map((r: { match: string }) => r.match)).toEqual(["staging/**", "production/**"]);
  });

  it("refuses an invalid recipient and an unknown member, changing nothing", async () => {
    const before = await s.read("access.yaml");
    expectError(await s.run(["member", "add", "eve", "--key", "age1notakey"]), 1, /not a valid age recipient/);
    expectError(await s.run(["member", "rm", "nobody"]), 1, "nobody");
    expect(await s.read("access.yaml")).toBe(before);
  });
});

describe("set and get", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
  });
  afterAll(() => s.cleanup());

  it("takes the value from stdin, dropping only one final newline", async () => {
    expectOk(await s.run(["set", "production/stdin/one", "--description", "from a pipe"], { input: "s3cret\n" }));
    expect((await s.as("alice", ["get", "production/stdin/one"])).stdout).toBe("s3cret");
    expectOk(await s.run(["set", "production/stdin/two"], { input: "two lines\nand a blank\n\n" }));
    expect((await s.as("alice", ["get", "production/stdin/two"])).stdout).toBe("two lines\nand a blank\n");
  });

  it("takes --file exactly, trailing newline and all", async () => {
    const value = "héllo wörld\r\nline 2\n\ttabbed  \n";
    const file = join(s.home, "value.txt");
    await writeFile(file, value);
    expectOk(await s.run(["set", "production/file/exact", "--file", file]));
    const got = await s.as("alice", ["get", "production/file/exact"]);
    expectOk(got);
    expect(got.stdout).toBe(value);
    // Every reader gets the same bytes.
    expect((await s.as("ci", ["get", "production/file/exact"])).stdout).toBe(value);
  });

  const generators: [string, (v: string) => void][] = [
    ["password:24", (v) => expect(v).toMatch(/^[A-Za-z0-9\-_.~!#%+=@^]{24}$/)],
    ["password:100", (v) => expect([...v]).toHaveLength(100)],
    ["hex:16", (v) => expect(v).toMatch(/^[0-9a-f]{32}$/)],
    [
      "base64:18",
      (v) => {
        expect(v).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
        expect(Buffer.from(v, "base64")).toHaveLength(18);
      },
    ],
    ["uuid", (v) => expect(v).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)],
    ["age-identity", (v) => expect(v).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/)],
  ];
  for (const [spec, check] of generators) {
    it(`--generate ${spec} makes a value of that form and keeps the generator`, async () => {
      const id = `production/gen/${spec.replace(/[^a-z0-9]/g, "-")}`;
      expectOk(await s.run(["set", id, "--generate", spec]));
      check(expectOk(await s.as("alice", ["get", id])).stdout);
      expect((await s.manifest(id)).rotation?.generate).toBe(spec);
    });
  }

  it("a generated age identity is usable by the real age tooling", async () => {
    const id = "production/gen/ageid";
    expectOk(await s.run(["set", id, "--generate", "age-identity"]));
    const key = join(s.home, "generated.txt");
    await writeKeyFile(key, `${(await s.as("alice", ["get", id])).stdout}\n`, 0o600);
    const y = await runTool("age-keygen", ["-y", key]);
    expect(y.code).toBe(0);
    expect(y.stdout.trim()).toMatch(X25519_RECIPIENT);
  });

  describe("versions and stages", () => {
    const id = "production/app/token";
    beforeAll(async () => {
      for (const v of ["one", "two", "three"]) expectOk(await s.run(["set", id], { input: v }));
    });

    it("get reads the newest version by default", async () => {
      expect((await s.as("alice", ["get", id])).stdout).toBe("three");
    });

    it("get --version=N reads that version", async () => {
      expect((await s.as("alice", ["get", id, "--version=1"])).stdout).toBe("one");
      expect((await s.as("alice", ["get", id, "--version=2"])).stdout).toBe("two");
    });

    // Regression: commander's program-level --version once took this flag
    // over, printing "0.1.0" as if it were the value.
    it("get --version N (space-separated) reads that version", async () => {
      expect(expectOk(await s.as("alice", ["get", id, "--version", "1"])).stdout).toBe("one");
      expect(expectOk(await s.run(["get", id, "--version", "2", "--identity", s.keys.ci.file])).stdout).toBe("two");
    });

    it("get --stage S reads what the stage points at", async () => {
      expect((await s.as("alice", ["get", id, "--stage", "canary"])).stdout).toBe("three");
      expect((await s.as("alice", ["get", id, "--stage", "stable"])).stdout).toBe("one");
    });

    it("an unknown version or stage is an error naming what exists", async () => {
      expectError(await s.as("alice", ["get", id, "--version=9"]), 1, /no version 9/, /1, 2|3, 2, 1/);
      expectError(await s.as("alice", ["get", id, "--stage", "beta"]), 1, /beta/, /canary, stable/);
    });
  });

  it("moves stages: new secret everywhere at 1, a new version only to the first stage", async () => {
    const id = "staging/stages/s";
    const stagesOf = async () => (await s.manifest(id)).stages;

    const created = expectOk(await s.run(["set", id], { input: "v1" }));
    expect(created.stdout).toMatch(/Created staging\/stages\/s: version 1/);
    expect(await stagesOf()).toEqual({ canary: 1, stable: 1 });

    expectOk(await s.run(["set", id], { input: "v2" }));
    expect(await stagesOf()).toEqual({ canary: 2, stable: 1 });

    expectOk(await s.run(["set", id, "--all-stages"], { input: "v3" }));
    expect(await stagesOf()).toEqual({ canary: 3, stable: 3 });

    const pending = expectOk(await s.run(["set", id, "--no-stage"], { input: "v4" }));
    expect(pending.stdout).toMatch(/version 4/);
    expect(pending.stdout).toMatch(/pending/);
    expect(await stagesOf()).toEqual({ canary: 3, stable: 3 });

    const m = await s.manifest(id);
    expect(m.versions.map((v) => v.version)).toEqual([4, 3, 2, 1]);
    expect((await s.as("alice", ["get", id])).stdout).toBe("v4");
    expect((await s.as("alice", ["get", id, "--stage", "stable"])).stdout).toBe("v3");
  });

  it("a new version never changes an older one", async () => {
    const id = "staging/immutable/x";
    expectOk(await s.run(["set", id], { input: "first" }));
    const v1 = (await s.manifest(id)).versions[0];
    expectOk(await s.run(["set", id], { input: "second" }));
    const m = await s.manifest(id);
    expect(m.versions.find((v) => v.version === 1)).toEqual(v1);
  });

  it("rotate uses the stored generator, to the first stage (or --all-stages)", async () => {
    const id = "production/rotate/key";
    expectOk(await s.run(["set", id, "--generate", "hex:8"]));
    const v1 = (await s.as("alice", ["get", id])).stdout;
    const r = expectOk(await s.run(["rotate", id]));
    expect(r.stdout).toMatch(/version 2/);
    const v2 = (await s.as("alice", ["get", id])).stdout;
    expect(v2).toMatch(/^[0-9a-f]{16}$/);
    expect(v2).not.toBe(v1);
    expect((await s.manifest(id)).stages).toEqual({ canary: 2, stable: 1 });
    expectOk(await s.run(["rotate", id, "--all-stages"]));
    expect((await s.manifest(id)).stages).toEqual({ canary: 3, stable: 3 });
    const v3 = (await s.as("alice", ["get", id])).stdout;
    expect(v3).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set([v1, v2, v3]).size).toBe(3);
  });

  it("rotate without a generator is an error that changes nothing; --generate supplies one", async () => {
    const id = "production/rotate/manual";
    expectOk(await s.run(["set", id], { input: "typed by hand" }));
    const before = await s.read(`secrets/${id}.yaml`);
    const r = await s.run(["rotate", id]);
    expectError(r, 1, /no generator/, "--generate");
    expect(await s.read(`secrets/${id}.yaml`)).toBe(before);
    expectOk(await s.run(["rotate", id, "--generate", "uuid"]));
    expect((await s.as("alice", ["get", id])).stdout).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("--type json stores a JSON value and refuses one that is not JSON", async () => {
    const id = "production/json/config";
    const value = '{"host":"db","port":5432}';
    expectOk(await s.run(["set", id, "--type", "json"], { input: value }));
    expect((await s.as("alice", ["get", id])).stdout).toBe(value);
    expect((await s.manifest(id)).type).toBe("json");

    expectError(
      await s.run(["set", "production/json/bad", "--type", "json"], { input: "{not json" }),
      1,
      /not valid JSON/,
    );
    expect(await s.run(["show", "production/json/bad"]).then((r) => r.code)).toBe(1);
    // An existing json secret keeps its type for later versions.
    expectError(await s.run(["set", id], { input: "plain text" }), 1, /not valid JSON/);
    expect((await s.manifest(id)).versions).toHaveLength(1);
  });

  it("a value schema in the secrets repository refuses a value that breaks it", async () => {
    await s.write(
      "schemas/db-config.schema.json",
      JSON.stringify({
        type: "object",
        required: ["port"],
        properties: { port: { type: "integer", minimum: 1, maximum: 65535 } },
      }),
    );
    const id = "production/schema/db";
    const bad = await s.run(["set", id, "--type", "json", "--schema", "db-config"], { input: '{"port":70000}' });
    expectError(bad, 1, /db-config/, /port/);
    expect(bad.stdout + bad.stderr).not.toContain("70000");
    expectOk(await s.run(["set", id, "--type", "json", "--schema", "db-config"], { input: '{"port":5432}' }));
    expect((await s.manifest(id)).schema).toBe("db-config");
    // Later versions are held to the stored schema.
    expectError(await s.run(["set", id], { input: '{"port":"x"}' }), 1, /db-config/);
    expectError(await s.run(["set", id], { input: "{}" }), 1, /port/);
    expect((await s.manifest(id)).versions).toHaveLength(1);
    expectOk(await s.run(["set", id], { input: '{"port":6432}' }));
    expect((await s.as("alice", ["get", id])).stdout).toBe('{"port":6432}');
  });

  it("a string value schema applies to plain strings too", async () => {
    await s.write("schemas/long.schema.json", JSON.stringify({ type: "string", minLength: 12 }));
    expectError(await s.run(["set", "production/schema/short", "--schema", "long"], { input: "short" }), 1, /long/);
    expectOk(await s.run(["set", "production/schema/short", "--schema", "long"], { input: "long enough value" }));
  });
});

describe("ls and show", () => {
  let s: Sandbox;
  const values = {
    "production/db/password": "VALUE-prod-db-7c1f",
    "production/api/key": "VALUE-prod-api-99aa",
    "staging/db/password": "VALUE-staging-db-0b0b",
  };
  beforeAll(async () => {
    s = await makeSandbox();
    for (const [id, v] of Object.entries(values)) {
      expectOk(await s.run(["set", id, "--description", `the ${id}`], { input: v }));
    }
    expectOk(await s.run(["set", "production/db/password"], { input: "VALUE-prod-db-v2-5e5e" }));
  });
  afterAll(() => s.cleanup());

  /** Nothing secret: no value, no ciphertext, no private key. */
  async function expectNoSecrets(text: string) {
    for (const v of [...Object.values(values), "VALUE-prod-db-v2-5e5e"]) expect(text).not.toContain(v);
    expect(text).not.toContain("AGE ENCRYPTED FILE");
    expect(text).not.toContain("AGE-SECRET-KEY");
    const m = await s.manifest("production/db/password");
    for (const v of m.versions) {
      for (const line of v.ciphertext.split("\n").slice(1, -2)) {
        if (line.length > 16) expect(text).not.toContain(line);
      }
    }
  }

  it("ls lists every secret with type, newest version and stages", async () => {
    const r = expectOk(await s.run(["ls"]));
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+TYPE\s+LATEST\s+STAGES/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([
      "production/api/key",
      "production/db/password",
      "staging/db/password",
    ]);
    expect(r.stdout).toMatch(/production\/db\/password\s+string\s+2\s+canary=2 stable=1/);
    await expectNoSecrets(r.stdout + r.stderr);
  });

  it("ls ENV lists that environment only; --json is one document", async () => {
    const r = expectOk(await s.run(["ls", "staging"]));
    expect(r.stdout).toContain("staging/db/password");
    expect(r.stdout).not.toContain("production/");
    const j = expectOk(await s.run(["ls", "production", "--json"]));
    const list = JSON.parse(j.stdout) as ShowJson[];
    expect(list.map((x) => x.id)).toEqual(["production/api/key", "production/db/password"]);
    expect(list[1]?.latest).toBe(2);
    expect(list[1]?.stages).toEqual({ canary: 2, stable: 1 });
    await expectNoSecrets(j.stdout + j.stderr);
  });

  it("show prints metadata, readers and versions, never the value", async () => {
    const r = expectOk(await s.run(["show", "production/db/password"]));
    expect(r.stdout).toMatch(/^production\/db\/password$/m);
    expect(r.stdout).toMatch(/description\s+the production\/db\/password/);
    expect(r.stdout).toMatch(/readers\s+alice, ci/);
    expect(r.stdout).toMatch(/approvers\s+alice/);
    expect(r.stdout).toMatch(/stages\s+canary -> 2, stable -> 1/);
    await expectNoSecrets(r.stdout + r.stderr);

    const j = JSON.parse(expectOk(await s.run(["show", "production/db/password", "--json"])).stdout) as ShowJson;
    expect(j.id).toBe("production/db/password");
    expect(j.readers).toEqual(["alice", "ci"]);
    expect(j.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(j.versions[0]?.recipients.map((x) => x.member).sort()).toEqual(["alice", "ci"]);
    expect(j.versions[0]?.recipients.find((x) => x.member === "alice")?.key).toBe(s.keys.alice.recipient);
    await expectNoSecrets(JSON.stringify(j));
  });

  it("ls and show need no identity", async () => {
    // The sandbox has no default identity file and no LOCKSTEP_AGE_KEY.
    expectOk(await s.run(["ls"]));
    expectOk(await s.run(["show", "staging/db/password"]));
  });
});

describe("import", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
  });
  afterAll(() => s.cleanup());
  const get = async (id: string) => expectOk(await s.as("alice", ["get", id])).stdout;

  it("reads dotenv as npm dotenv does: export prefix, comments, quotes, escapes, multi-line values, with --prefix", async () => {
    const file = join(s.home, "app.env");
    await writeFile(
      file,
      [
        "# a comment line",
        "",
        "export DB_USER=admin",
        'DB_PASS="p@ss \\"quoted\\"\\n\\tTab"   # trailing comment',
        "SINGLE='literal $HOME \\n stays'",
        'MULTI="line one',
        'line two"',
        "PLAIN=value with spaces # comment",
        "HASH=abc#def",
        "",
      ].join("\n"),
    );
    const r = expectOk(await s.run(["import", "production", file, "--prefix", "app"]));
    expect(r.stdout).toMatch(/Imported 6 secrets \(6 new/);
    expect(await get("production/app/db_user")).toBe("admin");
    // In double quotes only \n and \r are escapes (the first milestone also read \" and \t); # ends a bare value.
    expect(await get("production/app/db_pass")).toBe('p@ss \\"quoted\\"\n\\tTab');
    expect(await get("production/app/single")).toBe("literal $HOME \\n stays");
    expect(await get("production/app/multi")).toBe("line one\nline two");
    expect(await get("production/app/plain")).toBe("value with spaces");
    expect(await get("production/app/hash")).toBe("abc");
    // The variable name is kept for export.
    expect((await s.manifest("production/app/db_pass")).env).toBe("DB_PASS");
  });

  it("reads JSON: nested objects become paths, lists json secrets; --keep-objects keeps objects whole", async () => {
    const file = join(s.home, "vars.json");
    await writeFile(file, JSON.stringify({ API_KEY: "k-123", LIMITS: { rps: 10, burst: [1, 2] } }));
    expectOk(await s.run(["import", "staging", file]));
    expect(await get("staging/api_key")).toBe("k-123");
    expect(await get("staging/limits/rps")).toBe("10");
    expect(await get("staging/limits/burst")).toBe("[1,2]");
    expect((await s.manifest("staging/limits/burst")).type).toBe("json");
    // Under a prefix the variables keep their names: API_KEY again would clash with staging/api_key.
    await writeFile(file, JSON.stringify({ LIMITS: { rps: 10, burst: [1, 2] } }));
    expectOk(await s.run(["import", "staging", file, "--keep-objects", "--prefix", "whole"]));
    expect(JSON.parse(await get("staging/whole/limits"))).toEqual({ rps: 10, burst: [1, 2] });
    expect((await s.manifest("staging/whole/limits")).type).toBe("json");
  });

  it("reads stdin with --format, and adds versions to existing secrets", async () => {
    const r = expectOk(await s.run(["import", "staging", "--format", "json"], { input: '{"API_KEY":"k-456"}' }));
    expect(r.stdout).toMatch(/updated\s+staging\/api_key\s+version 2/);
    expect(await get("staging/api_key")).toBe("k-456");
    expectOk(await s.run(["import", "staging", "--prefix", "piped"], { input: "A_B=from stdin\n" }));
    expect(await get("staging/piped/a_b")).toBe("from stdin");
  });

  it.each([
    ["a line that is not KEY=value", "GOOD_ONE=1\nGOOD_TWO=2\nthis line is bad\n", /bad\.env:3/],
    ["an unclosed quote", 'GOOD_ONE=1\nBROKEN="never closed\n', /bad\.env:2/],
    ["text after a quoted value", "GOOD_ONE=1\nX='a' b\n", /bad\.env:2/],
    ["a name import cannot use", "GOOD_ONE=1\nbad.name=2\n", /bad\.name/],
  ])("a bad entry (%s) leaves nothing imported", async (_what, text, where) => {
    const file = join(s.home, "bad.env");
    await writeFile(file, text);
    const r = await s.run(["import", "production", file, "--prefix", "bad"]);
    expectError(r, 1, where);
    const ls = expectOk(await s.run(["ls", "production", "--json"]));
    expect(ls.stdout).not.toContain("production/bad/");
  });

  it("a bad JSON input leaves nothing imported", async () => {
    const r = await s.run(["import", "production", "--format", "json", "--prefix", "badjson"], {
      input: '{"GOOD":"x","BAD KEY":"y"}',
    });
    expectError(r, 1, /BAD KEY/);
    expect(expectOk(await s.run(["ls", "production"])).stdout).not.toContain("badjson");
    expectError(await s.run(["import", "production", "--format", "json"], { input: "[1,2]" }), 1, /JSON object/);
  });
});

describe("rekey", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
  });
  afterAll(() => s.cleanup());

  it("after a member joins a group, rekey lets them read every version; numbers and stages stay", async () => {
    const id = "production/db/password";
    expectOk(await s.run(["set", id], { input: "old-value" }));
    expectOk(await s.run(["set", id], { input: "new-value" }));
    expectOk(await s.run(["set", "staging/other"], { input: "staging-value" }));
    const before = await s.manifest(id);

    expectOk(await s.run(["member", "add", "bob", "--key", s.keys.bob.recipient, "--group", "platform"]));
    // Joining a group changes readers, not ciphertexts: bob cannot read yet.
    const denied = await s.as("bob", ["get", id]);
    expectError(denied, 3, `${id} version 2`, /none of your identities/);
    expect(denied.stdout).toBe("");

    const r = expectOk(await s.as("alice", ["rekey", id]));
    expect(r.stdout).toMatch(new RegExp(`rekeyed\\s+${id}\\s+versions 2, 1`));
    expect(r.stdout).not.toContain("staging/other"); // only the named secret

    expect((await s.as("bob", ["get", id])).stdout).toBe("new-value");
    expect((await s.as("bob", ["get", id, "--version=1"])).stdout).toBe("old-value");
    expect((await s.as("ci", ["get", id, "--version=1"])).stdout).toBe("old-value");
    const after = await s.manifest(id);
    expect(after.versions.map((v) => [v.version, v.created])).toEqual(
      before.versions.map((v) => [v.version, v.created]),
    );
    expect(after.stages).toEqual(before.stages);
    expect(after.versions[0]?.recipients.map((x) => x.member).sort()).toEqual(["alice", "bob", "ci"]);

    // The rest, without ids; then nothing is left to do.
    expectError(await s.as("bob", ["get", "staging/other"]), 3);
    expect(expectOk(await s.as("alice", ["rekey"])).stdout).toMatch(/rekeyed\s+staging\/other\s+versions 1/);
    expect((await s.as("bob", ["get", "staging/other"])).stdout).toBe("staging-value");
    expect(expectOk(await s.as("alice", ["rekey"])).stdout).toMatch(/already encrypted/);
  });

  it("after a member is removed, rekey drops them from the recipients", async () => {
    const id = "production/leaving";
    expectOk(await s.run(["set", id], { input: "v" }));
    expectOk(await s.run(["member", "rm", "ci"]));
    expectOk(await s.as("alice", ["rekey", id]));
    expect((await s.manifest(id)).versions[0]?.recipients.map((x) => x.member).sort()).toEqual(["alice", "bob"]);
    expectError(await s.as("ci", ["get", id]), 3);
  });
});

describe("identity sources", () => {
  let s: Sandbox;
  const id = "production/ident/x";
  beforeAll(async () => {
    s = await makeSandbox();
    expectOk(await s.run(["set", id], { input: "identity-test-value" }));
  });
  afterAll(() => s.cleanup());

  it("LOCKSTEP_AGE_KEY holds the key text", async () => {
    const r = expectOk(await s.run(["get", id], { env: { LOCKSTEP_AGE_KEY: s.keys.ci.text } }));
    expect(r.stdout).toBe("identity-test-value");
  });

  it("LOCKSTEP_AGE_KEY_FILE names a key file", async () => {
    const r = expectOk(await s.run(["get", id], { env: { LOCKSTEP_AGE_KEY_FILE: s.keys.alice.file } }));
    expect(r.stdout).toBe("identity-test-value");
  });

  it("$XDG_CONFIG_HOME/lockstep/identity.txt is the default", async () => {
    const xdg = join(s.home, "xdg-default");
    await writeKeyFile(join(xdg, "lockstep", "identity.txt"), s.keys.alice.text, 0o600);
    const r = expectOk(await s.run(["get", id], { env: { XDG_CONFIG_HOME: xdg } }));
    expect(r.stdout).toBe("identity-test-value");
    expect(r.stderr).toBe("");
  });

  it("takes the first source that is set: --identity, then LOCKSTEP_AGE_KEY, then LOCKSTEP_AGE_KEY_FILE", async () => {
    // bob is no reader: each time the higher source (bob) must win and fail.
    expectError(await s.as("bob", ["get", id], { env: { LOCKSTEP_AGE_KEY: s.keys.alice.text } }), 3);
    expectError(
      await s.run(["get", id], {
        env: { LOCKSTEP_AGE_KEY: s.keys.bob.text, LOCKSTEP_AGE_KEY_FILE: s.keys.alice.file },
      }),
      3,
    );
    // ...and a lower source is used when the higher one is a reader.
    const ok = await s.as("alice", ["get", id], { env: { LOCKSTEP_AGE_KEY: s.keys.bob.text } });
    expect(expectOk(ok).stdout).toBe("identity-test-value");
  });

  it("--identity is repeatable, and works after the command too", async () => {
    const r = await s.run(["get", id, "--identity", s.keys.bob.file, "--identity", s.keys.alice.file]);
    expect(expectOk(r).stdout).toBe("identity-test-value");
  });

  it("warns about a key file that others can read, and still uses it", async () => {
    const loose = join(s.home, "loose.txt");
    await writeKeyFile(loose, s.keys.alice.text, 0o640);
    const r = expectOk(await s.run(["--identity", loose, "get", id]));
    expect(r.stdout).toBe("identity-test-value");
    expect(r.stderr).toMatch(/warning:.*loose\.txt/);
    expect(r.stderr).toMatch(/chmod 600/);

    const viaEnv = expectOk(await s.run(["get", id], { env: { LOCKSTEP_AGE_KEY_FILE: loose } }));
    expect(viaEnv.stderr).toMatch(/warning:.*loose\.txt/);

    const tight = expectOk(await s.as("alice", ["get", id]));
    expect(tight.stderr).not.toMatch(/warning/);
  });
});

describe("interop with the age CLI", () => {
  let s: Sandbox;
  const id = "production/interop/secret";
  beforeAll(async () => {
    s = await makeSandbox();
    expectOk(await s.run(["set", id], { input: "v1-plain" }));
    expectOk(await s.run(["set", id], { input: 'v2 "quoted"\nmulti-line' }));
  });
  afterAll(() => s.cleanup());

  it("`age -d -i` opens a manifest's ciphertext; the plaintext is an envelope with id and version", async () => {
    const m = await s.manifest(id);
    for (const [version, value] of [
      [1, "v1-plain"],
      [2, 'v2 "quoted"\nmulti-line'],
    ] as const) {
      const v = m.versions.find((x) => x.version === version);
      expect(v?.ciphertext.startsWith("-----BEGIN AGE ENCRYPTED FILE-----\n")).toBe(true);
      const ct = join(s.home, `v${version}.age`);
      await writeFile(ct, v?.ciphertext ?? "");
      for (const who of ["alice", "ci"] as const) {
        const r = await runTool("age", ["-d", "-i", s.keys[who].file, ct]);
        expect(r.code, r.stderr).toBe(0);
        const envelope = JSON.parse(r.stdout);
        expect(envelope).toMatchObject({ id, version, value });
      }
      // Recipients are recorded in stanza order, one stanza each.
      expect(v?.recipients.map((x) => x.key)).toEqual([s.keys.alice.recipient, s.keys.ci.recipient]);
      const bob = await runTool("age", ["-d", "-i", s.keys.bob.file, ct]);
      expect(bob.code).not.toBe(0);
    }
  });

  it("lockstep reads a ciphertext made by the age CLI once it carries a valid envelope", async () => {
    // A version re-encrypted by hand with `age -r` (e.g. in an emergency) stays readable.
    const m = await s.manifest(id);
    const envelope = JSON.stringify({ lockstep: 1, id, version: 1, value: "from-age-cli" });
    const r = await runTool("age", ["-a", "-r", s.keys.alice.recipient, "-r", s.keys.ci.recipient], {
      input: envelope,
    });
    expect(r.code, r.stderr).toBe(0);
    const text = await s.read(`secrets/${id}.yaml`);
    const old = m.versions.find((v) => v.version === 1)?.ciphertext as string;
    const indent = (t: string) => t.trimEnd().split("\n").join("\n      ");
    expect(text).toContain(indent(old));
    await s.write(`secrets/${id}.yaml`, text.replace(indent(old), indent(r.stdout)));
    expect((await s.as("ci", ["get", id, "--version=1"])).stdout).toBe("from-age-cli");
  });
});
