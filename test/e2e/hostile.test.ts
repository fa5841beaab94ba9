/**
 * Hostile but parseable files (issue 13): a YAML alias bomb, names that
 * Object.prototype also has, and a glob that a backtracking matcher takes
 * minutes over. Each ends in a coded error or a finding, never an internal
 * error, and in bounded time (vitest's timeout bounds these tests).
 */
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, expectOk, makeSandbox, requireBuiltCli, type Sandbox } from "./helpers.js";

requireBuiltCli();

/** 9^24 strings once expanded: the "billion laughs" of YAML. */
function aliasBomb(): string {
  const lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
  for (let i = 1; i < 25; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  return `x-bomb:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;
}

const PROTO_NAMES = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"];

describe("hostile but parseable files", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    expectOk(await s.run(["set", "production/db/password"], { input: "v1" }));
  });
  afterAll(() => s.cleanup());

  async function withFile(rel: string, text: string, fn: () => Promise<void>): Promise<void> {
    const before = await s.read(rel);
    await s.write(rel, text);
    try {
      await fn();
    } finally {
      await s.write(rel, before);
    }
  }

  it("an alias bomb in access.yaml: every command exits 1 with a YAML error, check reports it", async () => {
    await withFile("access.yaml", aliasBomb() + (await s.read("access.yaml")), async () => {
      expectError(await s.run(["ls"]), 1, "access.yaml", /aliases .* expand too far/);
      expectError(await s.as("alice", ["get", "production/db/password"]), 1, /expand too far/);
      const check = await s.run(["check", "--format", "json"]);
      expect(check.code).toBe(1);
      const { findings } = JSON.parse(check.stdout) as { findings: { code: string; file: string; message: string }[] };
      expect(findings).toContainEqual(
        expect.objectContaining({
          code: "schema-invalid",
          file: "access.yaml",
          message: expect.stringMatching(/alias/),
        }),
      );
    });
  });

  it("an alias bomb in a manifest: get exits 1 naming it, check reports it and still checks the rest", async () => {
    const rel = "secrets/production/db/password.yaml";
    await withFile(rel, aliasBomb() + (await s.read(rel)), async () => {
      expectError(await s.as("alice", ["get", "production/db/password"]), 1, rel, /expand too far/);
      const check = await s.run(["check", "--format", "json"]);
      expect(check.code).toBe(1);
      const { findings } = JSON.parse(check.stdout) as { findings: { code: string; file: string }[] };
      expect(findings.map((f) => [f.code, f.file])).toEqual([["schema-invalid", rel]]);
    });
  });

  it.each(PROTO_NAMES)(
    "%s as a member, environment or stage on the command line is unknown, like any other",
    async (name) => {
      const access = await s.read("access.yaml");
      expectError(await s.run(["member", "rm", name]), 1, `no member "${name}"`);
      expect(await s.read("access.yaml")).toBe(access);
      expectError(await s.run(["ls", name]), 2, `no environment "${name}"`);
      expectError(await s.as("alice", ["get", "production/db/password", "--stage", name]), 1, `no stage "${name}"`);
      expectError(await s.as("ci", ["export", "production", "--consumer", name]), 1, `"${name}"`);
    },
  );

  it("those names in access.yaml's rules and groups are unknown members, reported by check", async () => {
    const access = await s.read("access.yaml");
    const hostile =
      `${access.replace("readers: [platform, ci]", "readers: [platform, ci, constructor, toString]")}`.replace(
        /^groups:\n/m,
        "groups:\n  valueOf: [__proto__]\n",
      );
    expect(hostile).toContain("valueOf");
    await withFile("access.yaml", hostile, async () => {
      const check = await s.run(["check", "--format", "json"]);
      expect(check.code).toBe(1);
      const { findings } = JSON.parse(check.stdout) as { findings: { code: string; message: string }[] };
      const unknown = findings.filter((f) => f.code === "unknown-member").map((f) => f.message);
      for (const n of ["constructor", "toString", "__proto__"]) expect(unknown.join("\n")).toContain(`"${n}"`);
    });
  });

  it("those names as an environment and stages of lockstep.yaml work like any other names", async () => {
    const config = await s.read("lockstep.yaml");
    const withProto = config.replace(
      /^environments:\n/m,
      "environments:\n  constructor:\n    stages:\n      - name: toString\n      - name: __proto__\n",
    );
    const access = await s.read("access.yaml");
    await withFile("lockstep.yaml", withProto, async () => {
      await withFile("access.yaml", `${access}  - match: "constructor/**"\n    readers: [platform]\n`, async () => {
        expectOk(await s.run(["set", "constructor/x"], { input: "odd but fine" }));
        expect(expectOk(await s.as("alice", ["get", "constructor/x", "--stage", "__proto__"])).stdout).toBe(
          "odd but fine",
        );
        expect(expectOk(await s.run(["status", "constructor", "--json"])).stdout).toContain("constructor/x");
        expectOk(await s.run(["check"]));
      });
    });
    await rm(s.path("secrets/constructor"), { recursive: true });
  });

  it("a rule glob with a dozen **/ segments: check and ls finish, matching as globs do", async () => {
    const glob = `production/${Array.from({ length: 12 }, () => "**/db").join("/")}/zz`;
    const access = await s.read("access.yaml");
    await withFile("access.yaml", `${access}  - match: "${glob}"\n    readers: [bob]\n`, async () => {
      for (let i = 0; i < 5; i++)
        expectOk(await s.run(["set", `production/${"db/".repeat(i)}deep${i}`], { input: "x" }));
      expectOk(await s.run(["ls", "production"]));
      const check = await s.run(["check", "--format", "json"]);
      expect(check.code, check.stdout).toBe(0);
    });
  });
});
