/**
 * kill -9 at random moments: `import` of 2000 entries, `rekey`, `set` and
 * `promote --env E --all`. After each kill, every manifest is the old one or
 * the new one (never a part), the next command succeeds without any manual
 * cleanup (the dead writer's lock is taken over, its temporary files go),
 * and `check` passes. No timings are asserted: the moments are random, and
 * what must hold, holds at any of them.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { CLI, childEnv, expectOk, makeSandbox, requireBuiltCli, type Sandbox } from "./helpers.js";

requireBuiltCli();

const ENTRIES = 2000;
const ROUNDS = 2;

/** Every manifest's text, by repository-relative path. */
async function manifests(s: Sandbox): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(s.path(rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(child);
      else if (e.name.endsWith(".yaml")) out.set(child, await readFile(s.path(child), "utf8"));
    }
  };
  await walk("secrets");
  return out;
}

interface Parsed {
  stages: Record<string, number>;
  versions: { version: number; ciphertext: string; recipients: { member: string }[] }[];
}
const parse = (text: string): Parsed => {
  const doc = parseDocument(text);
  expect(doc.errors).toEqual([]);
  return doc.toJS() as Parsed;
};

/** Starts the CLI and kills it with SIGKILL after a random moment within `windowMs`. */
async function killed(s: Sandbox, args: string[], windowMs: number, input?: string): Promise<void> {
  const child = spawn(process.execPath, [CLI, "--identity", s.keys.alice.file, ...args], {
    cwd: s.repo,
    env: childEnv(s.home),
    stdio: [input === undefined ? "ignore" : "pipe", "ignore", "ignore"],
  });
  if (input !== undefined) child.stdin?.end(input);
  const ended = once(child, "exit");
  const timer = setTimeout(() => child.kill("SIGKILL"), Math.floor(Math.random() * windowMs));
  await ended;
  clearTimeout(timer);
}

/** What must hold after any kill: no temporary file survives the next write, and check is clean. */
async function expectRecovered(s: Sandbox): Promise<void> {
  const check = await s.run(["check", "--format", "json"]);
  expect(check.code, check.stdout).toBe(0);
}

describe("kill -9 at random moments", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    const lines = Array.from({ length: ENTRIES }, (_, i) => `BULK_${i}=first ${i}`);
    await s.write("bulk.env", `${lines.join("\n")}\n`);
    expectOk(await s.run(["import", "production", "bulk.env"]));
  });
  afterAll(() => s.cleanup());

  it(`import of ${ENTRIES} entries: each manifest old or new; the rerun completes; check passes`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const before = await manifests(s);
      const lines = Array.from({ length: ENTRIES }, (_, i) => `BULK_${i}=round ${round} ${i}`);
      await s.write("bulk.env", `${lines.join("\n")}\n`);
      await killed(s, ["import", "production", "bulk.env"], 4000);
      for (const [rel, text] of await manifests(s)) {
        const old = before.get(rel);
        if (old === undefined || text === old) continue;
        const now = parse(text);
        const was = parse(old);
        // The new one: one version more, the older ones byte for byte as they were.
        expect(now.versions.slice(1)).toEqual(was.versions);
      }
      expectOk(await s.run(["import", "production", "bulk.env"]));
      const values = expectOk(await s.as("ci", ["export", "production", "--stage", "canary", "--format", "json"]));
      const exported = JSON.parse(values.stdout) as Record<string, string>;
      expect(exported.BULK_0).toBe(`round ${round} 0`);
      expect(exported[`BULK_${ENTRIES - 1}`]).toBe(`round ${round} ${ENTRIES - 1}`);
      await expectRecovered(s);
    }
  }, 600_000);

  it("rekey: each manifest old or re-encrypted for the new readers; the rerun completes; check passes", async () => {
    let readers = ["alice", "ci"];
    for (let round = 0; round < ROUNDS; round++) {
      // A new reader each round (removing one would rightly leave exposure findings).
      const name = `extra${round}`;
      const key = /age1\S+/.exec(expectOk(await s.run(["keygen"])).stderr)?.[0] ?? "";
      expectOk(await s.run(["member", "add", name, "--key", key, "--group", "platform"]));
      readers = [...readers, name].sort();
      const before = await manifests(s);
      await killed(s, ["rekey"], 4000);
      for (const [rel, text] of await manifests(s)) {
        if (text === before.get(rel)) continue;
        const members = parse(text).versions.map((v) =>
          v.recipients
            .map((r) => r.member)
            .sort()
            .join(","),
        );
        expect(new Set(members)).toEqual(new Set([readers.join(",")]));
      }
      expectOk(await s.as("alice", ["rekey"]));
      await expectRecovered(s);
    }
  }, 600_000);

  it("set: the manifest old or new; the next set completes at once; check passes", async () => {
    const id = "production/crash/one";
    expectOk(await s.run(["set", id], { input: "v1" }));
    for (let round = 0; round < 4; round++) {
      const rel = `secrets/${id}.yaml`;
      const old = await s.read(rel);
      await killed(s, ["set", id], 600, `killed ${round}`);
      const now = await s.read(rel);
      if (now !== old) expect(parse(now).versions.slice(1)).toEqual(parse(old).versions);
      expectOk(await s.run(["set", id], { input: `after ${round}` }));
      expect(expectOk(await s.as("alice", ["get", id])).stdout).toBe(`after ${round}`);
    }
    await expectRecovered(s);
  }, 300_000);

  it("promote --env production --all: each manifest old or promoted; the rerun completes; check passes", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const before = await manifests(s);
      await killed(s, ["promote", "--env", "production", "--all"], 3000);
      for (const [rel, text] of await manifests(s)) {
        const old = before.get(rel);
        if (old === undefined || text === old) continue;
        const now = parse(text);
        const was = parse(old);
        expect(now.versions).toEqual(was.versions);
        expect(now.stages.stable).toBe(now.stages.canary);
      }
      expectOk(await s.run(["promote", "--env", "production", "--all"]));
      const after = await manifests(s);
      for (const text of after.values()) {
        const m = parse(text);
        expect(m.stages.stable).toBe(m.stages.canary);
      }
      await expectRecovered(s);
      // Something to promote in the next round: a new version of a few secrets on canary.
      for (const i of [0, 1, 2]) expectOk(await s.run(["set", `production/bulk_${i}`], { input: `next ${round}` }));
    }
  }, 600_000);

  it("check reports a temporary file a kill -9 left, as a warning, and the next write in its folder removes it", async () => {
    const leftover = "secrets/production/crash/one.yaml.99999999.0badc0de-0.tmp";
    await s.write(leftover, "half a manifest");
    const check = await s.run(["check", "--format", "json"]);
    expect(check.code).toBe(0);
    const { findings } = JSON.parse(check.stdout) as { findings: { code: string; severity: string; file: string }[] };
    expect(findings).toContainEqual(
      expect.objectContaining({ code: "leftover-file", severity: "warning", file: leftover }),
    );
    expectOk(await s.run(["set", "production/crash/one"], { input: "swept" }));
    expect(existsSync(s.path(leftover))).toBe(false);
  });

  it("no lock folder or temporary file is left once the next commands have run", async () => {
    const left: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.name === ".git") continue;
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.name.endsWith(".tmp")) left.push(p);
      }
    };
    await walk(s.repo);
    expect(left).toEqual([]);
    expect(await readdir(s.path(".lockstep/locks"))).toEqual([]);
  });
});
