/**
 * The bulk commands (import, export, rekey, check --decrypt) with their
 * crypto spread over worker threads, through the built CLI. Threads start
 * on their own only for large repositories; LOCKSTEP_WORKERS forces them
 * here, and every result must equal the one-thread run's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { expectError, expectOk, makeSandbox, requireBuiltCli, type Sandbox } from "./helpers.js";

requireBuiltCli();

const THREADS = { LOCKSTEP_WORKERS: "2" };
const ONE_THREAD = { LOCKSTEP_WORKERS: "0" };
const dotenv = Array.from({ length: 40 }, (_, i) => `VAR_${i}='value ${i} ${"é".repeat(i % 3)}'`).join("\n");

describe("bulk commands on worker threads", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    await s.write("vars.env", `${dotenv}\n`);
    expectOk(await s.run(["import", "production", "vars.env"], { env: THREADS }));
  });
  afterAll(() => s.cleanup());

  it("import on threads writes what export reads back, on threads and without", async () => {
    const threaded = expectOk(await s.as("alice", ["export", "production"], { env: THREADS })).stdout;
    const single = expectOk(await s.as("ci", ["export", "production"], { env: ONE_THREAD })).stdout;
    expect(threaded).toBe(single);
    expect(threaded).toContain("VAR_7='value 7 é'");
    expect(threaded.trim().split("\n")).toHaveLength(40);
  });

  it("rekey on threads adds a reader to every secret, who then reads them all", async () => {
    expectError(await s.as("bob", ["get", "production/var_3"]), 3);
    const access = await s.read("access.yaml");
    await s.write("access.yaml", access.replaceAll("readers: [platform, ci]", "readers: [platform, ci, bob]"));
    expectOk(await s.as("alice", ["rekey"], { env: THREADS }));
    const threaded = expectOk(await s.as("bob", ["export", "production"], { env: THREADS })).stdout;
    expect(threaded).toBe(expectOk(await s.as("ci", ["export", "production"], { env: ONE_THREAD })).stdout);
    expect((await s.manifest("production/var_3")).versions[0]?.recipients.map((r) => r.member)).toContain("bob");
    await s.write("access.yaml", access);
  });

  it("check --decrypt on threads finds a tampered ciphertext, as the main thread does", async () => {
    const file = "secrets/production/var_5.yaml";
    const original = await s.read(file);
    const other = (await s.manifest("production/var_6")).versions[0]?.ciphertext ?? "";
    const doc = parseDocument(original);
    doc.setIn(["versions", 0, "ciphertext"], other);
    await s.write(file, doc.toString());
    for (const env of [THREADS, ONE_THREAD]) {
      const r = await s.as("alice", ["check", "--decrypt", "--format", "json"], { env });
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as { findings: { code: string; id?: string }[] };
      expect(report.findings.filter((f) => f.code === "value-invalid").map((f) => f.id)).toEqual(["production/var_5"]);
    }
    expectError(await s.as("alice", ["export", "production"], { env: THREADS }), 4, "production/var_5");
    await s.write(file, original);
  });

  it("export on threads reports and skips exactly as one thread does", async () => {
    /** The same run on threads and on one thread: equal results, returned. */
    const both = async (args: string[]) => {
      const threaded = await s.as("ci", args, { env: THREADS });
      expect(await s.as("ci", args, { env: ONE_THREAD })).toEqual(threaded);
      return threaded;
    };
    const edit = async (id: string, f: (doc: ReturnType<typeof parseDocument>) => void) => {
      const doc = parseDocument(await s.read(`secrets/${id}.yaml`));
      f(doc);
      await s.write(`secrets/${id}.yaml`, doc.toString());
    };
    const originals = new Map<string, string>();
    for (const id of ["var_10", "var_20", "var_30", "var_31", "var_35"]) {
      originals.set(`secrets/production/${id}.yaml`, await s.read(`secrets/production/${id}.yaml`));
    }
    originals.set("lockstep.yaml", await s.read("lockstep.yaml"));
    try {
      // A hand-edited manifest (a comment: not the form lockstep writes), a consumer list and an env name.
      await s.write(
        "secrets/production/var_10.yaml",
        `# kept by hand\n${originals.get("secrets/production/var_10.yaml")}`,
      );
      await edit("production/var_20", (d) => d.set("consumers", ["api"]));
      await edit("production/var_30", (d) => d.set("env", "RENAMED"));
      const all = expectOk(await both(["export", "production"])).stdout;
      expect(all).toContain("VAR_10='value 10 é'");
      expect(all).toContain("RENAMED=");
      const config = parseDocument(await s.read("lockstep.yaml"));
      const stages = config.getIn(["environments", "production", "stages"]) as { items: unknown[] };
      config.setIn(["environments", "production", "stages", stages.items.length - 1, "consumers"], ["web"]);
      await s.write("lockstep.yaml", config.toString());
      const forWeb = expectOk(await both(["export", "production", "--consumer", "web"])).stdout;
      expect(forWeb).not.toContain("VAR_20=");
      expect(forWeb.trim().split("\n")).toHaveLength(39);
      // Two names taken twice, and a stage pointing nowhere after them: the first problem in id order wins.
      await edit("production/var_31", (d) => d.set("env", "RENAMED"));
      await edit("production/var_35", (d) => d.setIn(["stages", "stable"], 9));
      expectError(
        await both(["export", "production"]),
        1,
        "production/var_30 and production/var_31 both export as RENAMED",
      );
      await s.write("secrets/production/var_31.yaml", originals.get("secrets/production/var_31.yaml") ?? "");
      expectError(await both(["export", "production"]), 1, "production/var_35: stage stable points at version 9");
    } finally {
      for (const [file, text] of originals) await s.write(file, text);
    }
  });

  it("rekey with nothing to re-encrypt, and export of an empty environment, need no identity", async () => {
    const empty = await makeSandbox();
    try {
      const r = expectOk(await empty.run(["rekey"], { env: THREADS }));
      expect(r.stdout).toContain("Every version is already encrypted to its readers.");
      expect(expectOk(await empty.run(["export", "staging"], { env: THREADS })).stdout).toBe("");
      expectError(await s.run(["export", "production"], { env: THREADS }), 3, "no age identity");
    } finally {
      await empty.cleanup();
    }
  });
});
