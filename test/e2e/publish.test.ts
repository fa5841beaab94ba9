/**
 * Publishing values, through the built CLI: `export` in every format, each
 * read back by a real parser (the dotenv package, yaml, JSON, bash and sh,
 * the Actions runner's $GITHUB_ENV rules); stage and consumer selection;
 * where plaintext may be written; `exec`; the GitHub Action's bundle in a
 * simulated job; and the library's `export`.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import dotenv from "dotenv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument, parse as parseYaml } from "yaml";
import { openRepository, parseDotenv } from "../../src/index.js";
import { type JobState, newJob, runActionStep, runScriptStep, type StepResult } from "../support/actions-runner.js";
import { readGithubEnv } from "../support/github-env.js";
import {
  CLI,
  childEnv,
  expectError,
  expectOk,
  makeSandbox,
  ROOT,
  requireBuiltCli,
  runTool,
  type Sandbox,
} from "./helpers.js";

requireBuiltCli();

const CONFIG = `environments:
  staging:
    stages:
      - name: canary
      - name: stable
  production:
    stages:
      - name: canary
        consumers: [api-canary]
      - name: stable
        consumers: [api, worker]
`;

type Values = Record<string, string>;

/** Secret id -> value at stable (version 1 of each). Names are the ids' paths, upper-cased. */
const SECRETS: Record<string, { name: string; value: string }> = {
  "production/tls/cert": {
    name: "TLS_CERT",
    value: "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\nZm9vYmFy==\n-----END CERTIFICATE-----\n",
  },
  "production/app/quotes": { name: "APP_QUOTES", value: `it's "double" quoted` },
  // Expansions for the shells to leave alone (no ${...}: python-dotenv expands that in any quotes, so dotenv refuses it)
  "production/app/dollar": { name: "APP_DOLLAR", value: "$HOME $PATH $(whoami) `id` 100% \\$x" },
  "production/app/backslash": { name: "APP_BACKSLASH", value: "C:\\path\\to\\n\\file\\" },
  "production/app/unicode": { name: "APP_UNICODE", value: "pässwörd 🔐 日本\ttab" },
  // all three quote kinds: dotenv writes it unquoted (see src/core/dotenv-quote.ts)
  "production/app/both-quotes": { name: "APP_BOTH_QUOTES", value: 'it\'s `both` "and"' },
  "production/app/empty": { name: "APP_EMPTY", value: "" },
};
/** Only for consumer worker, exported under a name of its own (`env:`). */
const WORKER = { id: "production/worker/token", name: "WORKER_SECRET", value: "w0rk3r-t0ken\nqz-second-line\n" };
/** Version 2 of production/app/unicode, on canary only. */
const UNICODE_V2 = "ünïcødé v2 ✓\n";

const STABLE: Values = {
  ...Object.fromEntries(Object.values(SECRETS).map((x) => [x.name, x.value])),
  [WORKER.name]: WORKER.value,
};
const CANARY: Values = { ...STABLE, APP_UNICODE: UNICODE_V2 };
const without = (values: Values, name: string): Values =>
  Object.fromEntries(Object.entries(values).filter(([k]) => k !== name));
/** What consumer api (stable) and api-canary get: all but the worker's secret. */
const API = without(STABLE, WORKER.name);
const API_CANARY = without(CANARY, WORKER.name);

/**
 * Asserts stdout holds only `::add-mask::` commands, one per non-empty line
 * of every value (as the runner unescapes the command data).
 */
function expectMasks(stdout: string, values: Values): void {
  expect(stdout.endsWith("\n")).toBe(true);
  const lines = stdout.slice(0, -1).split("\n");
  for (const l of lines) expect(l).toMatch(/^::add-mask::./);
  const masked = lines.map((l) =>
    l.slice("::add-mask::".length).replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%"),
  );
  const wanted = Object.values(values).flatMap((v) => v.split(/\r?\n/).filter((l) => l !== ""));
  expect([...masked].sort()).toEqual([...wanted].sort());
}

/** No line of any value (of some length) shows in a log. */
function expectNoValueIn(text: string): void {
  for (const v of Object.values(STABLE).concat(UNICODE_V2)) {
    for (const line of v.split("\n").filter((l) => l.length >= 6)) expect(text).not.toContain(line);
  }
}

/** Every file under `dir`, with size and modification time. */
async function snapshot(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries.map(async (e) => {
      const p = join(e.parentPath, e.name);
      const st = await stat(p).catch(() => undefined);
      return `${p} ${st?.size} ${st?.mtimeMs}`;
    }),
  ).then((l) => l.sort());
}

let s: Sandbox;
const exportAs = (args: string[], env?: Record<string, string | undefined>) =>
  s.as("ci", ["export", "production", ...args], env === undefined ? {} : { env });
const exportJson = async (...args: string[]) =>
  JSON.parse(expectOk(await exportAs(["--format", "json", ...args])).stdout) as Values;

beforeAll(async () => {
  s = await makeSandbox();
  await s.write("lockstep.yaml", CONFIG);
  await mkdir(join(s.home, "values"));
  let n = 0;
  const setFile = async (id: string, value: string) => {
    const file = join(s.home, "values", String(++n));
    await writeFile(file, value);
    expectOk(await s.run(["set", id, "--file", file, ...(value === "" ? ["--allow-empty"] : [])]));
  };
  await Promise.all([
    ...Object.entries(SECRETS).map(([id, x]) => setFile(id, x.value)),
    setFile(WORKER.id, WORKER.value),
  ]);
  await setFile("production/app/unicode", UNICODE_V2);
  const rel = `secrets/${WORKER.id}.yaml`;
  const doc = parseDocument(await s.read(rel));
  doc.set("consumers", ["worker"]);
  doc.set("env", WORKER.name);
  await s.write(rel, doc.toString());
  // the values really are what the test thinks they are
  expect((await s.manifest("production/app/unicode")).stages).toEqual({ canary: 2, stable: 1 });
}, 90_000);
afterAll(() => s.cleanup());

describe("export formats, read back by real parsers", () => {
  it("dotenv (the default; the last stage by default): the dotenv package reads back every value", async () => {
    const r = expectOk(await exportAs([]));
    const parsed = dotenv.parse(r.stdout);
    expect(Object.keys(parsed).sort()).toEqual(Object.keys(STABLE).sort());
    expect(parsed).toEqual(STABLE);
    // lockstep's own dotenv reader (used by `import`) gets every value exactly too
    const own = Object.fromEntries(parseDotenv(r.stdout, "export.env").map((e) => [e.key, e.value]));
    expect(own).toEqual(STABLE);
    expect(r.stderr).toBe("");
  });

  it("json maps each variable to its value", async () => {
    expect(await exportJson()).toEqual(STABLE);
  });

  it("yaml maps each variable to its value", async () => {
    const r = expectOk(await exportAs(["--format", "yaml"]));
    expect(parseYaml(r.stdout)).toEqual(STABLE);
  });

  it("k8s is a v1 Secret: base64 data of every value, --name, --namespace, --label", async () => {
    const r = expectOk(
      await exportAs([
        "--format",
        "k8s",
        "--consumer",
        "api",
        "--name",
        "api-secrets",
        "--namespace",
        "prod",
        "--label",
        "app=api",
        "--label",
        "tier=web",
      ]),
    );
    const doc = parseYaml(r.stdout) as {
      apiVersion: string;
      kind: string;
      type: string;
      metadata: Record<string, unknown>;
      data: Values;
    };
    expect(doc).toMatchObject({ apiVersion: "v1", kind: "Secret", type: "Opaque" });
    expect(doc.metadata).toEqual({ name: "api-secrets", namespace: "prod", labels: { app: "api", tier: "web" } });
    for (const b64 of Object.values(doc.data)) expect(b64).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
    const decoded = Object.fromEntries(
      Object.entries(doc.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
    );
    expect(decoded).toEqual(API);
  });

  it("k8s without --name is named ENV-STAGE; a --label without = is a usage error", async () => {
    const r = expectOk(await exportAs(["--format", "k8s", "--stage", "canary"]));
    const doc = parseYaml(r.stdout) as { metadata: Record<string, unknown>; data: Values };
    expect(doc.metadata).toEqual({ name: "production-canary" });
    expect(Buffer.from(doc.data.APP_UNICODE as string, "base64").toString("utf8")).toBe(UNICODE_V2);
    expectError(await exportAs(["--format", "k8s", "--label", "novalue"]), 2, /--label novalue/);
  });

  it("shell: bash and sh sourcing the output get every value exactly", async () => {
    const r = expectOk(await exportAs(["--format", "shell"]));
    const file = join(s.home, "values.sh");
    await writeFile(file, r.stdout);
    for (const shell of ["bash", "sh"]) {
      const out = await runTool(
        shell,
        ["-c", `. "$1"; exec "$2" -p 'JSON.stringify(process.env)'`, shell, file, process.execPath],
        { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      );
      expect(out.code, out.stderr).toBe(0);
      const env = JSON.parse(out.stdout) as Values;
      expect(Object.fromEntries(Object.keys(STABLE).map((k) => [k, env[k]])), shell).toEqual(STABLE);
    }
  });

  it("--out PATH outside the repository: the same text, mode 0600, nothing on stdout", async () => {
    const [toStdout, out] = [await exportAs(["--format", "dotenv"]), join(s.home, "out", "prod.env")];
    await mkdir(join(s.home, "out"), { recursive: true });
    const r = expectOk(await exportAs(["--format", "dotenv", "--out", out]));
    expect(r.stdout).toBe("");
    expectNoValueIn(r.stderr);
    expect(await readFile(out, "utf8")).toBe(toStdout.stdout);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });
});

describe("--stage and --consumer", () => {
  it("--stage S: the versions S points at, every secret of the environment", async () => {
    expect(await exportJson("--stage", "canary")).toEqual(CANARY);
    expect(await exportJson("--stage", "stable")).toEqual(STABLE);
  });

  it("--consumer C: the versions of C's stage, and only the secrets C gets", async () => {
    expect(await exportJson("--consumer", "api-canary")).toEqual(API_CANARY);
    expect(await exportJson("--consumer", "api")).toEqual(API);
    expect(await exportJson("--consumer", "worker")).toEqual(STABLE);
  });

  it("an unknown consumer or stage: exit 1 naming what exists; both at once: exit 2", async () => {
    expectError(await exportAs(["--consumer", "billing"]), 1, /billing/, /api-canary, api, worker/);
    expectError(await exportAs(["--stage", "beta"]), 1, /beta/, /canary, stable/);
    const both = await exportAs(["--stage", "canary", "--consumer", "api"]);
    expectError(both, 2, /stage or a consumer/);
    expect(both.stdout).toBe("");
  });

  it("two secrets exporting under one variable name: exit 1 naming both, no values out", async () => {
    // set refuses to make such a pair (test/e2e/name-clash.test.ts): a hand edit makes it.
    expectOk(await s.run(["set", "staging/db/password"], { input: "second" }));
    expectOk(await s.run(["set", "staging/db-password", "--env", "DB_PASSWORD_TMP"], { input: "first" }));
    const file = "secrets/staging/db-password.yaml";
    await s.write(file, (await s.read(file)).replace("env: DB_PASSWORD_TMP", "env: DB_PASSWORD"));
    const r = await s.as("ci", ["export", "staging", "--format", "json"]);
    expectError(r, 1, "staging/db-password", "staging/db/password", "DB_PASSWORD");
    expect(r.stdout).toBe("");
    await rm(s.path(file)); // the pair would fail every later check of this repository
  });
});

describe("--format github in a simulated Actions step", () => {
  it("masks every line of every value on stdout (and nothing else); $GITHUB_ENV gives back every value", async () => {
    const file = join(s.home, "runner", "github_env");
    await mkdir(join(s.home, "runner"), { recursive: true });
    await writeFile(file, "EXISTING=kept\n");
    const r = expectOk(await exportAs(["--format", "github", "--consumer", "api"], { GITHUB_ENV: file }));
    expectMasks(r.stdout, API);
    expectNoValueIn(r.stderr);
    expect(readGithubEnv(await readFile(file, "utf8"))).toEqual({ EXISTING: "kept", ...API });
  });

  it("without GITHUB_ENV: exit 2, nothing printed", async () => {
    const r = await exportAs(["--format", "github"], { GITHUB_ENV: undefined });
    expectError(r, 2, /GITHUB_ENV/);
    expect(r.stdout).toBe("");
  });

  it("a GITHUB_ENV inside the repository's working tree is refused (exit 2), not written", async () => {
    const r = await exportAs(["--format", "github"], { GITHUB_ENV: s.path("github_env") });
    expectError(r, 2, /inside the repository's working tree/);
    expect(existsSync(s.path("github_env"))).toBe(false);
  });
});

describe("--format files and where plaintext may go", () => {
  it("writes one file per variable, mode 0600, exact contents", async () => {
    const dir = join(s.home, "files-out");
    const r = expectOk(await exportAs(["--format", "files", "--out", dir, "--stage", "canary"]));
    expect(r.stdout).toBe("");
    expect((await readdir(dir)).sort()).toEqual(Object.keys(CANARY).sort());
    for (const [name, value] of Object.entries(CANARY)) {
      expect(await readFile(join(dir, name)), name).toEqual(Buffer.from(value, "utf8"));
      expect((await stat(join(dir, name))).mode & 0o777, name).toBe(0o600);
    }
  });

  it("--format files without --out: exit 2", async () => {
    expectError(await exportAs(["--format", "files"]), 2, /--out/);
  });

  it("--out inside the repository's working tree: exit 2, nothing written; --force writes", async () => {
    const dir = s.path("deploy/files");
    const envFile = s.path("deploy/.env");
    const files = await exportAs(["--format", "files", "--out", dir]);
    expectError(files, 2, /inside the repository's working tree/, /--force/);
    const text = await exportAs(["--format", "dotenv", "--out", envFile]);
    expectError(text, 2, /inside the repository's working tree/);
    expect(existsSync(s.path("deploy"))).toBe(false);

    expectOk(await exportAs(["--format", "files", "--out", dir, "--force"]));
    expect((await readdir(dir)).sort()).toEqual(Object.keys(STABLE).sort());
    expect(await readFile(join(dir, "TLS_CERT"), "utf8")).toBe(STABLE.TLS_CERT);
    expectOk(await exportAs(["--format", "dotenv", "--out", envFile, "--force"]));
    expect(dotenv.parse(await readFile(envFile, "utf8")).APP_UNICODE).toBe(STABLE.APP_UNICODE);
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
  });

  it("a path that reaches the working tree through a symlink is refused too", async () => {
    const link = join(s.home, "innocent-link");
    await symlink(s.repo, link);
    const r = await exportAs(["--format", "json", "--out", join(link, "leak.json")]);
    expectError(r, 2, /inside the repository's working tree/);
    expect(existsSync(s.path("leak.json"))).toBe(false);
  });
});

describe("exec", () => {
  const printEnv = `process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => ${JSON.stringify(Object.keys(STABLE))}.includes(k)))))`;

  it("the child sees the values (consumer api: its secrets at stable); nothing is written to disk", async () => {
    const before = await snapshot(s.home);
    const r = expectOk(
      await s.as("ci", ["exec", "production", "--consumer", "api", "--", process.execPath, "-e", printEnv]),
    );
    expect(await snapshot(s.home)).toEqual(before);
    expect(JSON.parse(r.stdout)).toEqual(API);
    expectNoValueIn(r.stderr);
  });

  it("--stage canary: the canary versions", async () => {
    const r = expectOk(
      await s.as("ci", ["exec", "production", "--stage", "canary", "--", process.execPath, "-e", printEnv]),
    );
    expect(JSON.parse(r.stdout)).toEqual(CANARY);
  });

  it("the child never gets a key: LOCKSTEP_AGE_KEY and LOCKSTEP_AGE_KEY_FILE are removed from its environment", async () => {
    const seen = `process.stdout.write(JSON.stringify([process.env.LOCKSTEP_AGE_KEY ?? null, process.env.LOCKSTEP_AGE_KEY_FILE ?? null, process.env.APP_QUOTES]))`;
    const viaKey = expectOk(
      await s.run(["exec", "production", "--stage", "stable", "--", process.execPath, "-e", seen], {
        env: { LOCKSTEP_AGE_KEY: s.keys.ci.text },
      }),
    );
    expect(JSON.parse(viaKey.stdout)).toEqual([null, null, STABLE.APP_QUOTES]);
    const viaFile = expectOk(
      await s.run(["exec", "production", "--stage", "stable", "--", process.execPath, "-e", seen], {
        env: { LOCKSTEP_AGE_KEY_FILE: s.keys.ci.file },
      }),
    );
    expect(JSON.parse(viaFile.stdout)).toEqual([null, null, STABLE.APP_QUOTES]);
    // sops' variables are identity sources too (a sops user's key works as it is): removed as well.
    const sops = `process.stdout.write(JSON.stringify([process.env.SOPS_AGE_KEY ?? null, process.env.SOPS_AGE_KEY_FILE ?? null, process.env.APP_QUOTES]))`;
    for (const env of [{ SOPS_AGE_KEY: s.keys.ci.text }, { SOPS_AGE_KEY_FILE: s.keys.ci.file }]) {
      const r = expectOk(
        await s.run(["exec", "production", "--stage", "stable", "--", process.execPath, "-e", sops], {
          env: { ...env, XDG_CONFIG_HOME: join(s.home, "no-config") },
        }),
      );
      expect(JSON.parse(r.stdout)).toEqual([null, null, STABLE.APP_QUOTES]);
    }
  });

  it("a child that runs lockstep itself cannot decrypt another stage's version", async () => {
    const r = await s.run(
      ["exec", "production", "--stage", "stable", "--", process.execPath, CLI, "get", "production/app/unicode"],
      { env: { LOCKSTEP_AGE_KEY: s.keys.ci.text } },
    );
    expectError(r, 3, /no age identity/);
  });

  it("the child's exit code is ours; a signal that ends it gives 128 + its number", async () => {
    const seven = await s.as("ci", ["exec", "production", "--", process.execPath, "-e", "process.exit(7)"]);
    expect(seven.code).toBe(7);
    const killed = await s.as("ci", [
      "exec",
      "production",
      "--",
      process.execPath,
      "-e",
      "process.kill(process.pid, 'SIGKILL')",
    ]);
    expect(killed.code).toBe(137);
  });

  it("a command that does not exist: exit 127, saying so", async () => {
    const r = await s.as("ci", ["exec", "production", "--", "lockstep-test-no-such-command"]);
    expectError(r, 127, /command not found: lockstep-test-no-such-command/);
  });

  it("SIGTERM sent to lockstep reaches the child", async () => {
    const ready = join(s.home, "exec-ready");
    const marker = join(s.home, "exec-marker");
    const script = [
      `const fs = require("node:fs");`,
      `process.on("SIGTERM", () => { fs.writeFileSync(process.env.MARKER, "TERM " + process.env.APP_QUOTES); process.exit(0); });`,
      `fs.writeFileSync(process.env.READY, "");`,
      `setInterval(() => {}, 1000);`,
    ].join("\n");
    const child = spawn(
      process.execPath,
      [CLI, "--identity", s.keys.ci.file, "exec", "production", "--", process.execPath, "-e", script],
      { cwd: s.repo, env: childEnv(s.home, { READY: ready, MARKER: marker }), stdio: ["ignore", "pipe", "pipe"] },
    );
    const stderr: Buffer[] = [];
    child.stderr.on("data", (b: Buffer) => stderr.push(b));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("close", (code, signal) => resolve({ code, signal })),
    );
    try {
      const deadline = Date.now() + 20_000;
      while (!existsSync(ready)) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`the child never got ready: ${Buffer.concat(stderr).toString()}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill("SIGTERM");
      // lockstep itself survives the signal, and ends with the child's exit code
      expect(await closed).toEqual({ code: 0, signal: null });
      expect(await readFile(marker, "utf8")).toBe(`TERM ${STABLE.APP_QUOTES}`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});

describe("the JavaScript action (action.yml, action/index.cjs) in a simulated Actions job", () => {
  let runnerTemp: string;
  const job = () => newJob(runnerTemp, s.repo, childEnv(s.home));
  const step = (inputs: Record<string, string>, j = job()) => runActionStep(j, ROOT, inputs);
  const exportInputs = (extra: Record<string, string> = {}) => ({
    "age-key": s.keys.ci.text,
    environment: "production",
    "working-directory": "secrets/production",
    ...extra,
  });
  /** Masks on stdout: every non-blank line of every value of `values`, and the key's own line. */
  function expectMasked(r: StepResult, values: Values): void {
    const masks = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("::add-mask::"))
      .map((l) => l.slice("::add-mask::".length).replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%"));
    const wanted = Object.values(values).flatMap((v) => v.split(/\r?\n/).filter((l) => l.trim() !== ""));
    expect(masks).toEqual(expect.arrayContaining(wanted));
    expect(masks).toContain(s.keys.ci.text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-")));
  }
  /** The key appears in no file the step leaves behind, nor in the log. */
  function expectKeyKept(r: StepResult, j: JobState): void {
    const key = s.keys.ci.text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-")) as string;
    for (const text of [...Object.values(r.files), r.log, j.summary]) expect(text).not.toContain(key);
    expect(Object.values(j.env).join("\n")).not.toContain(key);
  }

  beforeAll(async () => {
    runnerTemp = join(s.home, "runner-temp");
    await mkdir(runnerTemp, { recursive: true });
  });

  it("action.yml is a JavaScript action on node 20 or later, and its main is the committed bundle", async () => {
    const meta = parseYaml(await readFile(join(ROOT, "action.yml"), "utf8")) as {
      runs: { using: string; main: string };
    };
    expect(Number(/^node(\d+)$/.exec(meta.runs.using)?.[1])).toBeGreaterThanOrEqual(20);
    expect(meta.runs.main).toBe("action/index.cjs");
    expect(existsSync(join(ROOT, "action", "index.cjs"))).toBe(true);
  });

  it("github format, consumer api: masks every line first, values to $GITHUB_ENV, the key to no later step", async () => {
    const j = job();
    const r = await step(exportInputs({ consumer: "api" }), j);
    expect(r.code, r.log).toBe(0);
    expectMasked(r, API);
    expect(r.env).toEqual(API);
    // The masks come before anything else the step prints.
    const firstOther = r.stdout.split("\n").findIndex((l) => l !== "" && !l.startsWith("::add-mask::"));
    const lastMask = r.stdout.split("\n").findLastIndex((l) => l.startsWith("::add-mask::"));
    expect(lastMask).toBeLessThan(firstOther);
    expectNoValueIn(r.log);
    expectKeyKept(r, j);
    expect(r.outputs).toEqual({ stage: "stable", names: Object.keys(API).sort().join(" ") });
  });

  it("the step summary names each variable's secret and version, never a value", async () => {
    const j = job();
    const r = await step(exportInputs({ stage: "canary" }), j);
    expect(r.code, r.log).toBe(0);
    expect(j.summary).toContain("production at stage canary");
    expect(j.summary).toMatch(/<td>APP_UNICODE<\/td><td>production\/app\/unicode<\/td><td>2<\/td>/);
    expect(j.summary).toMatch(/<td>TLS_CERT<\/td><td>production\/tls\/cert<\/td><td>1<\/td>/);
    expectNoValueIn(j.summary);
  });

  it("puts a lockstep on PATH that later steps run, on the runner's Node; install-only does only that", async () => {
    const j = job();
    const r = await step({ "install-only": "true" }, j);
    expect(r.code, r.log).toBe(0);
    expect(r.env).toEqual({});
    expect(r.paths).toEqual([join(runnerTemp, "lockstep-bin")]);
    const wrapper = await readFile(join(runnerTemp, "lockstep-bin", "lockstep"), "utf8");
    expect(wrapper).toContain(process.execPath);
    const later = await runScriptStep(j, "lockstep --version && lockstep check --format github");
    expect(later.code, later.log).toBe(0);
    expect(later.stdout.split("\n")[0]).toBe("0.1.0");
  });

  it("another format with out and stage: written there with mode 0600, nothing in the log", async () => {
    const out = join(runnerTemp, "values.json");
    const r = await step(exportInputs({ format: "json", out, stage: "canary" }));
    expect(r.code, r.log).toBe(0);
    expect(JSON.parse(await readFile(out, "utf8"))).toEqual(CANARY);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect(r.env).toEqual({});
    expectNoValueIn(r.log);
  });

  it("an out inside the repository's working tree is refused, nothing written", async () => {
    const r = await step(exportInputs({ format: "dotenv", out: "leak.env" }));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error title=lockstep%3A USAGE::.*inside the repository's working tree/m);
    expect(existsSync(s.path("secrets/production/leak.env"))).toBe(false);
  });

  it("invalid inputs: one ::error annotation per problem naming the input, exit 1, nothing exported", async () => {
    const cases: [Record<string, string>, string[]][] = [
      [{ "age-key": "" }, ["age-key"]],
      [{ environment: "" }, ["environment"]],
      [{ environment: "prod/uction" }, ["environment"]],
      [{ format: "dotenv" }, ["out"]],
      [{ format: "toml", out: "/tmp/x" }, ["format"]],
      [{ stage: "canary", consumer: "api" }, ["consumer"]],
      [{ "install-only": "maybe" }, ["install-only"]],
      [{ "age-key": "not-a-key-but-a-secret-looking-string" }, ["age-key"]],
      [{ "working-directory": "no/such/folder" }, ["working-directory"]],
      [{ "age-key": "", environment: "", format: "yaml" }, ["age-key", "environment", "out"]],
    ];
    for (const [inputs, named] of cases) {
      const r = await step(exportInputs(inputs));
      expect(r.code, JSON.stringify(inputs)).toBe(1);
      const annotations = r.stdout.split("\n").filter((l) => l.startsWith("::error title=lockstep action%3A input "));
      expect(
        annotations.map((l) => /input ([a-z-]+)::/.exec(l)?.[1]),
        JSON.stringify(inputs),
      ).toEqual(named);
      expect(r.stdout).toMatch(/^::error::the lockstep action's inputs are invalid/m);
      expect(r.files.env).toBe("");
      expect(r.paths).toEqual([]);
      expect(r.log).not.toContain("secret-looking-string");
    }
  });

  it("a key that is no reader's: an ::error annotation on the manifest, exit 1, nothing exported", async () => {
    const r = await step(exportInputs({ "age-key": s.keys.bob.text }));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error title=lockstep%3A NO_IDENTITY,file=secrets\/production\/[^:]+\.yaml::/m);
    expect(r.files.env).toBe("");
    expectNoValueIn(r.log);
  });
});

describe("the library", () => {
  it("openRepository({dir, files}) then export(env, {consumer}) returns the map", async () => {
    const repo = await openRepository({ dir: s.path("secrets"), files: [s.keys.ci.file] });
    expect(await repo.export("production", { consumer: "api" })).toEqual(API);
    expect(await repo.export("production", { consumer: "worker" })).toEqual(STABLE);
    expect(await repo.export("production", { stage: "canary" })).toEqual(CANARY);
    expect(await repo.export("production")).toEqual(STABLE);
  });

  it("an identity that is no reader's is refused with NO_IDENTITY", async () => {
    const repo = await openRepository({ dir: s.repo, files: [s.keys.bob.file] });
    await expect(repo.export("production", { consumer: "api" })).rejects.toMatchObject({ code: "NO_IDENTITY" });
  });
});
