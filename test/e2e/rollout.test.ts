/**
 * The rollout life of a secret through the built CLI: set and rotate put a
 * new version on the first stage, `get --stage` reads what each stage
 * points at, `status` reports it, `promote` and `rollback` move stages
 * (optionally committing exactly the manifests they touched), and the
 * invariant (a later stage never ahead of an earlier one) holds against
 * commands and hand edits alike.
 */
import { chmod, cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseDocument } from "yaml";
import {
  childEnv,
  expectError,
  expectOk,
  makeSandbox,
  NO_GIT_IDENTITY,
  type RunResult,
  requireBuiltCli,
  runTool,
  type Sandbox,
} from "./helpers.js";

requireBuiltCli();

/**
 * production: canary (api-canary) then stable (api, worker); staging has
 * three stages, to see which one `promote` picks.
 */
const CONFIG = `# rollout test configuration
environments:
  staging:
    stages:
      - name: canary
      - name: beta
      - name: stable
  production:
    stages:
      - name: canary
        consumers: [api-canary]
      - name: stable
        consumers: [api, worker]
rotation:
  maxAge: 90d
`;

async function sandbox(): Promise<Sandbox> {
  const s = await makeSandbox();
  await s.write("lockstep.yaml", CONFIG);
  return s;
}

/** Sets a value from stdin (the harness closes stdin, so set never waits). */
async function setValue(s: Sandbox, id: string, value: string, ...flags: string[]): Promise<RunResult> {
  return expectOk(await s.run(["set", id, ...flags], { input: value }));
}

async function stagesOf(s: Sandbox, id: string): Promise<Record<string, number>> {
  return (await s.manifest(id)).stages;
}

/** Edits a manifest's YAML by hand, as a user in an editor would. */
async function editManifest(s: Sandbox, id: string, edit: (doc: ReturnType<typeof parseDocument>) => void) {
  const rel = `secrets/${id}.yaml`;
  const doc = parseDocument(await s.read(rel));
  edit(doc);
  await s.write(rel, doc.toString());
}

/**
 * Copies a manifest to another id, with its stages edited. Only for commands
 * that never decrypt (promote, rollback, status, check): the copy's
 * ciphertexts stay bound to the original id.
 */
async function cloneManifest(s: Sandbox, from: string, to: string, stages: Record<string, number> = {}) {
  await s.write(`secrets/${to}.yaml`, await s.read(`secrets/${from}.yaml`));
  await editManifest(s, to, (doc) => {
    doc.set("id", to);
    for (const [k, n] of Object.entries(stages)) doc.setIn(["stages", k], n);
  });
  return s.read(`secrets/${to}.yaml`);
}

function git(s: Sandbox, ...args: string[]): Promise<RunResult> {
  return runTool("git", args, { cwd: s.repo, env: childEnv(s.home) });
}

async function gitOut(s: Sandbox, ...args: string[]): Promise<string> {
  const r = await git(s, ...args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** A line of the status table for `id`, split on runs of spaces. */
function statusRow(text: string, id: string): string[] {
  const line = text.split("\n").find((l) => l.trim().startsWith(`${id} `));
  expect(line, `no row for ${id} in:\n${text}`).toBeDefined();
  return (line as string).trim().split(/\s{2,}/);
}

interface StatusJson {
  env: string;
  secrets: {
    id: string;
    latest: number;
    stages: Record<string, number>;
    pending: { version: number; stages: string[] }[];
    rotationDue?: string;
    overdue: boolean;
  }[];
  consumers: { consumer: string; stage: string; behind: { id: string; version: number; latest: number }[] }[];
}

describe("the rollout life of a secret", () => {
  let s: Sandbox;
  const id = "production/api/token";
  const file = `secrets/${id}.yaml`;
  /** The value of each version, read back once it exists. */
  const v: Record<number, string> = {};
  const get = async (...args: string[]) => expectOk(await s.as("ci", ["get", id, ...args])).stdout;

  beforeAll(async () => {
    s = await sandbox();
  });
  afterAll(() => s.cleanup());

  it("set: a new secret has every stage at version 1", async () => {
    const r = await setValue(s, id, "", "--generate", "hex:16");
    expect(r.stdout).toMatch(/version 1/);
    expect(await stagesOf(s, id)).toEqual({ canary: 1, stable: 1 });
    v[1] = await get("--stage", "canary");
    expect(v[1]).toMatch(/^[0-9a-f]{32}$/);
    expect(await get("--stage", "stable")).toBe(v[1]);
  });

  it("rotate: version 2 goes to canary only; stable keeps 1", async () => {
    const r = expectOk(await s.run(["rotate", id]));
    expect(r.stdout).toMatch(/version 2/);
    expect(await stagesOf(s, id)).toEqual({ canary: 2, stable: 1 });
    v[2] = await get("--stage", "canary");
    expect(v[2]).toMatch(/^[0-9a-f]{32}$/);
    expect(v[2]).not.toBe(v[1]);
    expect(await get("--stage", "stable")).toBe(v[1]);
  });

  it("promote: stable moves to canary's version, and says so", async () => {
    const r = expectOk(await s.run(["promote", id]));
    expect(r.stdout).toMatch(/promoted\s+production\/api\/token: stable 1 -> 2/);
    expect(await stagesOf(s, id)).toEqual({ canary: 2, stable: 2 });
    expect(await get("--stage", "stable")).toBe(v[2]);
  });

  it("promote again: nothing to promote, exit 0, manifest untouched", async () => {
    const before = await s.read(file);
    const r = expectOk(await s.run(["promote", id]));
    expect(r.stdout).toMatch(/Nothing to promote/);
    expect(r.stdout).not.toMatch(/promoted/);
    expect(await s.read(file)).toBe(before);
  });

  it("promote --stage on the first stage already at the newest version moves nothing; an unknown stage is refused", async () => {
    const before = await s.read(file);
    expect(expectOk(await s.run(["promote", id, "--stage", "canary"])).stdout).toMatch(/Nothing to promote/);
    expectError(await s.run(["promote", id, "--stage", "beta"]), 1, /no stage "beta"/, /canary, stable/);
    expect(await s.read(file)).toBe(before);
  });

  it("rollback: both stages on the newest version move back to the one below", async () => {
    const r = expectOk(await s.run(["rollback", id]));
    expect(r.stdout).toMatch(/rolled back\s+production\/api\/token: canary 2 -> 1/);
    expect(r.stdout).toMatch(/rolled back\s+production\/api\/token: stable 2 -> 1/);
    expect(await stagesOf(s, id)).toEqual({ canary: 1, stable: 1 });
    expect(await get("--stage", "canary")).toBe(v[1]);
  });

  // What happens today (see the report): the version rolled back from is
  // listed as pending again, although no command can move canary back to it.
  it("after a rollback, status lists the rolled-back version as pending", async () => {
    const st: StatusJson = JSON.parse(expectOk(await s.run(["status", "production", "--json"])).stdout);
    expect(st.secrets[0]).toMatchObject({
      id,
      latest: 2,
      stages: { canary: 1, stable: 1 },
      pending: [{ version: 2, stages: ["canary", "stable"] }],
    });
    expect(expectOk(await s.run(["promote", id])).stdout).toMatch(/Nothing to promote/);
  });

  it("rollback with only canary on the newest version moves canary alone", async () => {
    expectOk(await s.run(["rotate", id])); // v3: canary 3, stable 1
    const r = expectOk(await s.run(["rollback", id]));
    expect(r.stdout.trim()).toMatch(/^rolled back\s+production\/api\/token: canary 3 -> 2$/);
    expect(await stagesOf(s, id)).toEqual({ canary: 2, stable: 1 });
  });

  it("rollback --stage canary is allowed only while canary stays at or ahead of stable", async () => {
    expectOk(await s.run(["promote", id])); // canary 2, stable 2
    expect(await stagesOf(s, id)).toEqual({ canary: 2, stable: 2 });
    const before = await s.read(file);
    // canary 1 would leave stable (2) ahead of it
    expectError(await s.run(["rollback", id, "--stage", "canary"]), 1, id, /rollout order/, /stable/);
    expect(await s.read(file)).toBe(before);
    // the later stage first, then canary may follow
    expect(expectOk(await s.run(["rollback", id, "--stage", "stable"])).stdout).toMatch(/stable 2 -> 1/);
    expect(await stagesOf(s, id)).toEqual({ canary: 2, stable: 1 });
    expect(expectOk(await s.run(["rollback", id, "--stage", "canary"])).stdout).toMatch(/canary 2 -> 1/);
    expect(await stagesOf(s, id)).toEqual({ canary: 1, stable: 1 });
  });

  it("rollback --to N jumps to that version; an unknown, current or invalid N is refused", async () => {
    expectOk(await s.run(["rotate", id, "--all-stages"])); // v4 everywhere
    expect(await stagesOf(s, id)).toEqual({ canary: 4, stable: 4 });
    const before = await s.read(file);
    expectError(await s.run(["rollback", id, "--to", "9"]), 1, /no version 9/);
    expectError(await s.run(["rollback", id, "--to", "4"]), 1, /cannot roll back to version 4/);
    expectError(await s.run(["rollback", id, "--to", "0"]), 2);
    expect(await s.read(file)).toBe(before);

    const r = expectOk(await s.run(["rollback", id, "--to", "2"]));
    expect(r.stdout).toMatch(/canary 4 -> 2/);
    expect(r.stdout).toMatch(/stable 4 -> 2/);
    expect(await stagesOf(s, id)).toEqual({ canary: 2, stable: 2 });
    expect(await get("--stage", "stable")).toBe(v[2]);
  });

  it("rollback --to N below a later stage is refused when only canary moves", async () => {
    expectOk(await s.run(["rotate", id])); // v5: canary 5, stable 2
    const before = await s.read(file);
    expectError(await s.run(["rollback", id, "--to", "1"]), 1, /rollout order/);
    expect(await s.read(file)).toBe(before);
    expect(expectOk(await s.run(["rollback", id, "--to", "3"])).stdout).toMatch(/canary 5 -> 3/);
    expect(await stagesOf(s, id)).toEqual({ canary: 3, stable: 2 });
  });

  it("rollback past the oldest version is refused (exit 1), manifest untouched", async () => {
    expectOk(await s.run(["rollback", id, "--stage", "stable", "--to", "1"]));
    expectOk(await s.run(["rollback", id, "--to", "1"]));
    expect(await stagesOf(s, id)).toEqual({ canary: 1, stable: 1 });
    const before = await s.read(file);
    expectError(await s.run(["rollback", id]), 1, /version 1 is the oldest/);
    expect(await s.read(file)).toBe(before);
    // moving stages never deletes or changes a version
    expect((await s.manifest(id)).versions.map((x) => x.version)).toEqual([5, 4, 3, 2, 1]);
    expect(await get("--version", "2")).toBe(v[2]);
  });
});

describe("promote picks the first stage that lags its predecessor", () => {
  let s: Sandbox;
  const id = "staging/three/stages";
  beforeAll(async () => {
    s = await sandbox();
  });
  afterAll(() => s.cleanup());

  it("moves beta before stable, one stage per promote", async () => {
    await setValue(s, id, "one");
    await setValue(s, id, "two");
    expect(await stagesOf(s, id)).toEqual({ canary: 2, beta: 1, stable: 1 });
    expect(expectOk(await s.run(["promote", id])).stdout).toMatch(/beta 1 -> 2/);
    await setValue(s, id, "three");
    expect(await stagesOf(s, id)).toEqual({ canary: 3, beta: 2, stable: 1 });
    // beta lags canary: it moves first, although stable lags too
    expect(expectOk(await s.run(["promote", id])).stdout).toMatch(/beta 2 -> 3/);
    expect(expectOk(await s.run(["promote", id])).stdout).toMatch(/stable 1 -> 3/);
    expect(await stagesOf(s, id)).toEqual({ canary: 3, beta: 3, stable: 3 });
  });

  it("promote --stage S moves S to its predecessor's version, not the newest", async () => {
    await setValue(s, id, "four");
    expect(expectOk(await s.run(["promote", id, "--stage", "beta"])).stdout).toMatch(/beta 3 -> 4/);
    await setValue(s, id, "five");
    // stable goes to beta's version (4), not canary's (5)
    expect(expectOk(await s.run(["promote", id, "--stage", "stable"])).stdout).toMatch(/stable 3 -> 4/);
    expect(await stagesOf(s, id)).toEqual({ canary: 5, beta: 4, stable: 4 });
    expect((await s.as("ci", ["get", id, "--stage", "stable"])).stdout).toBe("four");
    // stable already equals beta: nothing to do
    expect(expectOk(await s.run(["promote", id, "--stage", "stable"])).stdout).toMatch(/Nothing to promote/);
  });

  it("promote and rollback need no identity (they never decrypt)", async () => {
    // every run above used none; a broken identity source does not matter either
    const r = await s.run(["promote", id], { env: { LOCKSTEP_AGE_KEY: "not a key" } });
    expect(expectOk(r).stdout).toMatch(/beta 4 -> 5/);
  });
});

describe("status", () => {
  let s: Sandbox;
  const token = "production/api/token";
  const workerOnly = "production/worker/queue";
  const old = "production/legacy/key";
  let text: RunResult;
  let json: StatusJson;
  let created: string;

  beforeAll(async () => {
    s = await sandbox();
    await setValue(s, token, "t1");
    await setValue(s, token, "t2");
    await setValue(s, token, "t3"); // canary 3, stable 1
    await setValue(s, workerOnly, "q1");
    await setValue(s, workerOnly, "q2"); // canary 2, stable 1; only for worker
    await editManifest(s, workerOnly, (doc) => doc.set("consumers", ["worker"]));
    await setValue(s, old, "o1", "--all-stages"); // up to date, but old
    await editManifest(s, old, (doc) => {
      doc.set("rotation", { maxAge: "30d" });
      doc.setIn(["versions", 0, "created"], "2020-01-01T00:00:00Z");
    });
    created = (await s.manifest(token)).versions[0]?.created as string;
    // status reads no value: no identity anywhere
    text = expectOk(await s.run(["status", "production"]));
    json = JSON.parse(expectOk(await s.run(["status", "production", "--json"])).stdout);
  });
  afterAll(() => s.cleanup());

  it("--json: newest version, version per stage, pending {version, stages}", () => {
    expect(json.env).toBe("production");
    const t = json.secrets.find((x) => x.id === token);
    expect(t).toMatchObject({
      latest: 3,
      stages: { canary: 3, stable: 1 },
      pending: [
        { version: 3, stages: ["stable"] },
        { version: 2, stages: ["stable"] },
      ],
      overdue: false,
    });
    const l = json.secrets.find((x) => x.id === old);
    expect(l).toMatchObject({ latest: 1, stages: { canary: 1, stable: 1 }, pending: [] });
    expect(json.secrets.map((x) => x.id).sort()).toEqual([old, token, workerOnly].sort());
  });

  it("--json: rotation due is the newest version's date plus maxAge (the secret's, else lockstep.yaml's)", () => {
    const t = json.secrets.find((x) => x.id === token);
    const due = new Date(Date.parse(created) + 90 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    expect(t?.rotationDue).toBe(due);
    expect(t?.overdue).toBe(false);
    const l = json.secrets.find((x) => x.id === old);
    expect(l?.rotationDue).toBe("2020-01-31T00:00:00Z");
    expect(l?.overdue).toBe(true);
  });

  it("--json: consumers behind, per their stage and the secret's consumers", () => {
    const byName = Object.fromEntries(json.consumers.map((c) => [c.consumer, c]));
    expect(Object.keys(byName).sort()).toEqual(["api", "api-canary", "worker"]);
    expect(byName["api-canary"]).toEqual({ consumer: "api-canary", stage: "canary", behind: [] });
    // api does not get the worker-only secret, so it is not behind on it
    expect(byName.api).toEqual({ consumer: "api", stage: "stable", behind: [{ id: token, version: 1, latest: 3 }] });
    expect(byName.worker?.stage).toBe("stable");
    expect(byName.worker?.behind).toEqual(
      expect.arrayContaining([
        { id: token, version: 1, latest: 3 },
        { id: workerOnly, version: 1, latest: 2 },
      ]),
    );
    expect(byName.worker?.behind).toHaveLength(2);
  });

  it("text: a row per secret with latest, each stage, pending and rotation due; overdue marked", () => {
    const lines = text.stdout.split("\n");
    expect(lines[0]).toBe("production");
    expect(lines[1]?.trim().split(/\s{2,}/)).toEqual([
      "SECRET",
      "LATEST",
      "CANARY",
      "STABLE",
      "PENDING",
      "ROTATION DUE",
    ]);
    expect(statusRow(text.stdout, token)).toEqual([
      token,
      "3",
      "3",
      "1",
      "v3 -> stable; v2 -> stable",
      expect.any(String),
    ]);
    expect(statusRow(text.stdout, old)).toEqual([old, "1", "1", "1", "-", "2020-01-31T00:00:00Z (overdue)"]);
    expect(statusRow(text.stdout, token)[5]).not.toMatch(/overdue/);
    expect(text.stdout).not.toContain("\u001b["); // NO_COLOR
  });

  it("text: which consumers are behind on what, and which are up to date", () => {
    expect(text.stdout).toMatch(/consumer api-canary \(canary\): up to date/);
    expect(text.stdout).toMatch(/consumer api \(stable\): behind on production\/api\/token v1 < v3$/m);
    const worker = text.stdout.split("\n").find((l) => l.includes("consumer worker"));
    expect(worker).toContain("production/api/token v1 < v3");
    expect(worker).toContain("production/worker/queue v1 < v2");
  });

  it("without ENV: every environment, one JSON document (an array)", async () => {
    const all = JSON.parse(expectOk(await s.run(["status", "--json"])).stdout) as StatusJson[];
    expect(all.map((e) => e.env)).toEqual(["staging", "production"]);
    expect(all[0]?.secrets).toEqual([]);
    const t = expectOk(await s.run(["status"])).stdout;
    expect(t).toMatch(/^staging\n\s+no secrets$/m);
    expect(t).toMatch(/^production$/m);
  });

  it("an unknown environment is a usage error", async () => {
    expectError(await s.run(["status", "nowhere"]), 2, /nowhere/);
  });

  it("after promote --env --all: nothing pending, no consumer behind", async () => {
    expectOk(await s.run(["promote", "--env", "production", "--all"]));
    const after: StatusJson = JSON.parse(expectOk(await s.run(["status", "production", "--json"])).stdout);
    expect(after.secrets.find((x) => x.id === token)).toMatchObject({ stages: { canary: 3, stable: 3 }, pending: [] });
    expect(after.secrets.find((x) => x.id === workerOnly)).toMatchObject({
      stages: { canary: 2, stable: 2 },
      pending: [],
    });
    expect(after.consumers.flatMap((c) => c.behind)).toEqual([]);
  });
});

describe("--commit", () => {
  let s: Sandbox;
  const a = "production/commit/a";
  const b = "production/commit/b";
  const c = "production/commit/c";
  const head = async () => (await gitOut(s, "rev-parse", "HEAD")).trim();
  const count = async () => Number((await gitOut(s, "rev-list", "--count", "HEAD")).trim());

  beforeAll(async () => {
    s = await sandbox();
    for (const id of [a, b, c]) await setValue(s, id, "1");
    await setValue(s, a, "2");
    await setValue(s, b, "2");
    expect(await stagesOf(s, c)).toEqual({ canary: 1, stable: 1 });
    await gitOut(s, "add", "-A");
    await gitOut(s, "commit", "-q", "-m", "baseline");
    // unrelated work in progress: a staged edit and an untracked file
    await s.write("lockstep.yaml", `${CONFIG}# work in progress\n`);
    await gitOut(s, "add", "lockstep.yaml");
    await s.write("notes.txt", "draft\n");
  });
  afterAll(() => s.cleanup());

  const unrelatedStillPending = async () => {
    const status = await gitOut(s, "status", "--porcelain");
    expect(status).toMatch(/^M {2}lockstep\.yaml$/m);
    expect(status).toMatch(/^\?\? notes\.txt$/m);
  };

  it("promote --commit: exactly one commit, touching only the manifest, naming the move", async () => {
    const n = await count();
    const r = expectOk(await s.run(["promote", a, "--commit"]));
    expect(await count()).toBe(n + 1);
    expect(r.stdout).toContain(`Committed ${await head()}`);
    expect((await gitOut(s, "log", "-1", "--name-only", "--format=%s")).trim()).toBe(
      `lockstep promote: ${a}: stable 1 -> 2\n\nsecrets/${a}.yaml`,
    );
    // the commit holds the promoted manifest as it is on disk
    expect(await gitOut(s, "show", `HEAD:secrets/${a}.yaml`)).toBe(await s.read(`secrets/${a}.yaml`));
    expect(parse(await gitOut(s, "show", `HEAD:secrets/${a}.yaml`)).stages).toEqual({ canary: 2, stable: 2 });
    await unrelatedStillPending();
    expect(await gitOut(s, "status", "--porcelain", "secrets")).toBe("");
  });

  it("rollback --commit: one commit, the moves in its message", async () => {
    const n = await count();
    expectOk(await s.run(["rollback", a, "--commit"]));
    expect(await count()).toBe(n + 1);
    const [subject, , ...files] = (await gitOut(s, "log", "-1", "--name-only", "--format=%s")).trim().split("\n");
    expect(subject).toMatch(/^lockstep roll back: /);
    expect(files).toEqual([`secrets/${a}.yaml`]);
    const body = await gitOut(s, "log", "-1", "--format=%B");
    expect(body).toContain(`${a}: canary 2 -> 1`);
    expect(body).toContain(`${a}: stable 2 -> 1`);
    await unrelatedStillPending();
  });

  it("promote --env E --all --commit: one commit with every moved manifest, and only those", async () => {
    await setValue(s, a, "3"); // a: canary 3, stable 1
    await gitOut(s, "commit", "-q", "-m", "a v3", "--", `secrets/${a}.yaml`);
    const n = await count();
    const r = expectOk(await s.run(["promote", "--env", "production", "--all", "--commit"]));
    expect(r.stdout).toMatch(new RegExp(`promoted\\s+${a}: stable 1 -> 3`));
    expect(r.stdout).toMatch(new RegExp(`promoted\\s+${b}: stable 1 -> 2`));
    expect(r.stdout).not.toContain(c);
    expect(await count()).toBe(n + 1);
    const [subject, , ...files] = (await gitOut(s, "log", "-1", "--name-only", "--format=%s")).trim().split("\n");
    expect(subject).toBe("lockstep promote: 2 stage moves");
    expect(files.sort()).toEqual([`secrets/${a}.yaml`, `secrets/${b}.yaml`]);
    const body = await gitOut(s, "log", "-1", "--format=%B");
    expect(body).toContain(`${a}: stable 1 -> 3`);
    expect(body).toContain(`${b}: stable 1 -> 2`);
    await unrelatedStillPending();
  });

  it("nothing to promote with --commit makes no commit", async () => {
    const before = await head();
    expect(expectOk(await s.run(["promote", a, "--commit"])).stdout).toMatch(/Nothing to promote/);
    expect(await head()).toBe(before);
  });

  it("without --commit the manifest changes but nothing is committed", async () => {
    await setValue(s, c, "2");
    await gitOut(s, "commit", "-q", "-m", "c v2", "--", `secrets/${c}.yaml`);
    const before = await head();
    expectOk(await s.run(["promote", c]));
    expect(await head()).toBe(before);
    expect(await gitOut(s, "status", "--porcelain", "secrets")).toBe(` M secrets/${c}.yaml\n`);
  });
});

describe("--commit when git cannot commit", () => {
  let s: Sandbox;
  const a = "production/commit/a";
  const head = async () => (await gitOut(s, "rev-parse", "HEAD")).trim();

  beforeAll(async () => {
    s = await sandbox();
    await setValue(s, a, "1");
    await setValue(s, a, "2");
    await gitOut(s, "add", "-A");
    await gitOut(s, "commit", "-q", "-m", "baseline");
  });
  afterAll(() => s.cleanup());

  it("--commit with no git identity: exit 1 before anything moves, saying how to set one", async () => {
    const id = "production/commit/no-identity";
    await setValue(s, id, "1");
    await setValue(s, id, "2");
    const before = await s.read(`secrets/${id}.yaml`);
    const r = await s.run(["promote", id, "--commit"], { env: NO_GIT_IDENTITY });
    expectError(
      r,
      1,
      /cannot --commit: git knows no name and email/,
      /nothing was changed/,
      /git config --global user\.email/,
    );
    expect(await s.read(`secrets/${id}.yaml`)).toBe(before);
  });

  it("--commit refused by a pre-commit hook: exit 1, the move written, and the git command that finishes it", async () => {
    const id = "production/commit/hooked";
    await setValue(s, id, "1");
    await setValue(s, id, "2");
    await gitOut(s, "add", "-A");
    await gitOut(s, "commit", "-qm", "two versions");
    const hook = s.path(".git/hooks/pre-commit");
    await s.write(".git/hooks/pre-commit", "#!/bin/sh\necho 'policy: no commits today' >&2\nexit 1\n");
    await chmod(hook, 0o755);
    try {
      const before = await head();
      const r = await s.run(["promote", id, "--commit"]);
      expectError(
        r,
        1,
        /written but not committed/,
        /policy: no commits today/,
        `commit -m 'lockstep promote: ${id}: stable 1 -> 2' -- secrets/${id}.yaml`,
      );
      expect(await head()).toBe(before);
      expect(await stagesOf(s, id)).toEqual({ canary: 2, stable: 2 });
    } finally {
      await rm(hook);
    }
  });

  it("--commit refuses, before anything moves, when the manifest has changes not committed (they would ride along)", async () => {
    const id = "production/commit/pending-rotation";
    await setValue(s, id, "1");
    await gitOut(s, "add", "-A");
    await gitOut(s, "commit", "-qm", "v1");
    await setValue(s, id, "2"); // not committed: it must not be committed as part of a "promote"
    const before = await head();
    const r = await s.run(["promote", id, "--commit"]);
    expectError(r, 1, `secrets/${id}.yaml already has changes that are not committed`, /commit those changes first/);
    expect(await head()).toBe(before);
    expect(await stagesOf(s, id)).toEqual({ canary: 2, stable: 1 });
    await gitOut(s, "commit", "-qam", "v2");
    expectOk(await s.run(["promote", id, "--commit"]));
    expect((await gitOut(s, "log", "-1", "--format=%s")).trim()).toBe(`lockstep promote: ${id}: stable 1 -> 2`);
    expect(await gitOut(s, "status", "--porcelain")).toBe("");
  });

  it("--commit outside a git repository: exit 1 before anything moves", async () => {
    const outside = await mkdtemp(join(tmpdir(), "lockstep-e2e-nogit-"));
    try {
      await cp(s.repo, outside, { recursive: true, filter: (src) => !src.includes(`${sep}.git`) });
      const env = { GIT_CEILING_DIRECTORIES: tmpdir() };
      const id = a;
      const before = await readFile(join(outside, "secrets", `${id}.yaml`), "utf8");
      const r = await s.run(["promote", id, "--commit", "--stage", "stable"], { cwd: outside, env });
      expectError(r, 1, /not inside a git repository/, /nothing was changed/);
      expect(await readFile(join(outside, "secrets", `${id}.yaml`), "utf8")).toBe(before);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe("promote --env E --all", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await sandbox();
  });
  afterAll(() => s.cleanup());

  it("promotes every lagging secret of E, leaves the others and other environments alone", async () => {
    await setValue(s, "production/x", "1");
    await setValue(s, "production/x", "2"); // canary 2, stable 1
    await cloneManifest(s, "production/x", "production/y");
    await cloneManifest(s, "production/x", "production/z", { stable: 2 }); // up to date
    await setValue(s, "staging/w", "1");
    await setValue(s, "staging/w", "2"); // canary 2, beta 1, stable 1
    const untouched = {
      z: await s.read("secrets/production/z.yaml"),
      w: await s.read("secrets/staging/w.yaml"),
    };
    const r = expectOk(await s.run(["promote", "--env", "production", "--all"]));
    expect(r.stdout.trim().split("\n").sort()).toEqual([
      expect.stringMatching(/^promoted\s+production\/x: stable 1 -> 2$/),
      expect.stringMatching(/^promoted\s+production\/y: stable 1 -> 2$/),
    ]);
    expect(await stagesOf(s, "production/x")).toEqual({ canary: 2, stable: 2 });
    expect(await stagesOf(s, "production/y")).toEqual({ canary: 2, stable: 2 });
    expect(await s.read("secrets/production/z.yaml")).toBe(untouched.z);
    expect(await s.read("secrets/staging/w.yaml")).toBe(untouched.w);
    expect(expectOk(await s.run(["promote", "--env", "production", "--all"])).stdout).toMatch(/Nothing to promote/);
    // one stage per secret per run: staging's beta first, then stable
    expect(expectOk(await s.run(["promote", "--env", "staging", "--all"])).stdout).toMatch(/staging\/w: beta 1 -> 2/);
    expect(await stagesOf(s, "staging/w")).toEqual({ canary: 2, beta: 2, stable: 1 });
  });

  it("usage: an id, or --env with --all, not both or half (exit 2)", async () => {
    expectError(await s.run(["promote"]), 2);
    expectError(await s.run(["promote", "--env", "production"]), 2, /--all/);
    expectError(await s.run(["promote", "--all"]), 2);
    expectError(await s.run(["promote", "production/x", "--env", "production", "--all"]), 2);
  });
});

describe("the invariant: a later stage never ahead of an earlier one", () => {
  let s: Sandbox;
  const template = "production/template/secret";
  beforeAll(async () => {
    s = await sandbox();
    await setValue(s, template, "one");
    await setValue(s, template, "two", "--all-stages");
  });
  afterAll(() => s.cleanup());

  /** A secret with versions 1 and 2 (both stages at 2) whose stages were then edited by hand. */
  const handEdited = (id: string, stages: Record<string, number>) => cloneManifest(s, template, id, stages);

  interface Finding {
    code: string;
    severity: string;
    file: string;
    id?: string;
    line?: number;
    message: string;
  }
  async function checkFindings(): Promise<{ code: number; findings: Finding[] }> {
    const r = await s.run(["check", "--format", "json"]);
    return { code: r.code, findings: (JSON.parse(r.stdout) as { findings: Finding[] }).findings };
  }

  it("stable hand-edited ahead of canary: promote and rollback refuse, check reports stage-invalid", async () => {
    const id = "production/edited/ahead";
    const before = await handEdited(id, { canary: 1, stable: 2 });

    expectError(await s.run(["promote", id]), 1, id, /stable is at version 2, ahead of the earlier stage canary at 1/);
    expectError(await s.run(["promote", id, "--stage", "stable"]), 1, /ahead of the earlier stage/);
    expectError(await s.run(["rollback", id]), 1, /ahead of the earlier stage/);
    expectError(await s.run(["rollback", id, "--stage", "stable"]), 1, /ahead of the earlier stage/);
    expectError(await s.run(["rollback", id, "--to", "1"]), 1, /ahead of the earlier stage/);
    expect(await s.read(`secrets/${id}.yaml`)).toBe(before);

    const { code, findings } = await checkFindings();
    expect(code).toBe(1);
    expect(findings).toContainEqual(
      expect.objectContaining({
        code: "stage-invalid",
        severity: "error",
        id,
        file: `secrets/${id}.yaml`,
        line: expect.any(Number),
        message: expect.stringMatching(/stable.*ahead.*canary/),
      }),
    );
    // text format too, with exit 1
    const text = await s.run(["check"]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("stage-invalid");
    // repaired by hand, promote works again
    await editManifest(s, id, (doc) => {
      doc.setIn(["stages", "canary"], 2);
      doc.setIn(["stages", "stable"], 1);
    });
    expect(expectOk(await s.run(["promote", id])).stdout).toMatch(/stable 1 -> 2/);
  });

  it("a stage pointing at a version that does not exist: refused, and stage-invalid", async () => {
    const id = "production/edited/missing";
    const before = await handEdited(id, { canary: 7 });
    expectError(await s.run(["promote", id]), 1, /version 7, which does not exist/);
    expectError(await s.run(["rollback", id]), 1, /version 7, which does not exist/);
    expect(await s.read(`secrets/${id}.yaml`)).toBe(before);
    const { findings } = await checkFindings();
    expect(findings).toContainEqual(
      expect.objectContaining({
        code: "stage-invalid",
        id,
        message: expect.stringMatching(/version 7.*does not exist/),
      }),
    );
    await editManifest(s, id, (doc) => doc.setIn(["stages", "canary"], 2));
  });

  it("a stage missing from the manifest: refused, and stage-invalid", async () => {
    const id = "production/edited/gone";
    await handEdited(id, {});
    await editManifest(s, id, (doc) => doc.deleteIn(["stages", "stable"]));
    const before = await s.read(`secrets/${id}.yaml`);
    expectError(await s.run(["promote", id]), 1, /stage stable is missing/);
    expect(await s.read(`secrets/${id}.yaml`)).toBe(before);
    const { findings } = await checkFindings();
    expect(findings).toContainEqual(expect.objectContaining({ code: "stage-invalid", id }));
    await editManifest(s, id, (doc) => doc.setIn(["stages", "stable"], 1));
  });

  it("commands cannot break it from the canary side either", async () => {
    const id = template; // canary 2, stable 2, made by set
    const before = await s.read(`secrets/${id}.yaml`);
    expectError(await s.run(["rollback", id, "--stage", "canary"]), 1, /rollout order/);
    expectError(await s.run(["rollback", id, "--stage", "canary", "--to", "1"]), 1, /rollout order/);
    expect(await s.read(`secrets/${id}.yaml`)).toBe(before);
    // and no stage is invalid once every hand edit above was repaired; what is left are the hand-made
    // clones themselves: the template's ciphertexts copied into other manifests, which check names
    const { code, findings } = await checkFindings();
    expect(findings.filter((f) => f.code === "stage-invalid")).toEqual([]);
    for (const f of findings) {
      expect(f).toMatchObject({ code: "manifest-moved", message: expect.stringContaining("ciphertext is also in") });
    }
    expect(code).toBe(findings.length > 0 ? 1 : 0);
  });

  // BUG (reported): `promote --env E --all` stops at the first secret it must
  // refuse, after it has already rewritten the manifests of the secrets before
  // it; it exits 1 without saying that anything moved, and with --commit
  // commits nothing. The user is left with an unreported, uncommitted
  // half-promotion in the working tree.
  const bulk = { good: "production/all/a-good", before: "", after: "", stdout: "" };
  it("promote --env E --all with one broken manifest: exit 1 naming it, no commit", async () => {
    await handEdited(bulk.good, { stable: 1 }); // canary 2, stable 1: promotable
    await handEdited("production/all/b-broken", { canary: 1, stable: 2 });
    bulk.before = await s.read(`secrets/${bulk.good}.yaml`);
    const r = await s.run(["promote", "--env", "production", "--all", "--commit"]);
    expectError(r, 1, "production/all/b-broken", /ahead of the earlier stage/);
    expect(r.stdout).not.toMatch(/Committed/);
    expect((await git(s, "rev-list", "--all")).stdout).toBe("");
    bulk.after = await s.read(`secrets/${bulk.good}.yaml`);
    bulk.stdout = r.stdout;
  });
  it("... and moves nothing: every secret is planned before any is written", () => {
    expect(bulk.after === bulk.before || bulk.stdout.includes(`${bulk.good}: stable 1 -> 2`)).toBe(true);
  });
});

describe("--no-stage: a pending version", () => {
  let s: Sandbox;
  const id = "production/pending/key";
  const file = `secrets/${id}.yaml`;
  beforeAll(async () => {
    s = await sandbox();
    await setValue(s, id, "live");
    const r = await setValue(s, id, "pending", "--no-stage");
    expect(r.stdout).toMatch(/version 2/);
    expect(r.stdout).toMatch(/pending/);
  });
  afterAll(() => s.cleanup());

  it("no stage points at it; get reads it only as the newest, or by --version", async () => {
    expect(await stagesOf(s, id)).toEqual({ canary: 1, stable: 1 });
    expect((await s.as("ci", ["get", id, "--stage", "canary"])).stdout).toBe("live");
    expect((await s.as("ci", ["get", id, "--stage", "stable"])).stdout).toBe("live");
    expect((await s.as("ci", ["get", id])).stdout).toBe("pending");
  });

  it("status lists it as pending for every stage", async () => {
    const st: StatusJson = JSON.parse(expectOk(await s.run(["status", "production", "--json"])).stdout);
    expect(st.secrets[0]).toMatchObject({
      id,
      latest: 2,
      stages: { canary: 1, stable: 1 },
      pending: [{ version: 2, stages: ["canary", "stable"] }],
    });
    expect(statusRow(expectOk(await s.run(["status", "production"])).stdout, id)[4]).toBe("v2 -> canary,stable");
  });

  // An unnamed promote never moves the first stage (a rolled-back version must
  // stay back); naming the first stage releases the newest version to it.
  it("promote without --stage moves nothing; rollback is refused", async () => {
    const before = await s.read(file);
    expect(expectOk(await s.run(["promote", id])).stdout).toMatch(/Nothing to promote/);
    expect(expectOk(await s.run(["promote", "--env", "production", "--all"])).stdout).toMatch(/Nothing to promote/);
    expectError(await s.run(["rollback", id]), 1, /oldest/);
    expect(await s.read(file)).toBe(before);
  });

  it("promote --stage canary releases the pending version to canary, then promote takes it to stable", async () => {
    expect(expectOk(await s.run(["promote", id, "--stage", "canary"])).stdout).toMatch(/canary 1 -> 2/);
    expect(await stagesOf(s, id)).toEqual({ canary: 2, stable: 1 });
    expectOk(await s.run(["promote", id]));
    expect(await stagesOf(s, id)).toEqual({ canary: 2, stable: 2 });
  });
});
