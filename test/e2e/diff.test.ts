/**
 * `lockstep diff [REV]` and `lockstep codeowners` through the built CLI:
 * diff describes what set, rotate, promote, rekey and access changes do
 * against HEAD or an older revision, in text, markdown and json, and never
 * shows a value or a line of ciphertext; codeowners --write/--check and the
 * codeowners-drift finding of check.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { childEnv, expectError, expectOk, makeSandbox, requireBuiltCli, runTool, type Sandbox } from "./helpers.js";

requireBuiltCli();

interface DiffJson {
  rev: string;
  secrets: {
    id: string;
    kind: "created" | "changed" | "deleted";
    versionsAdded: number[];
    versionsRemoved: number[];
    stageMoves: { stage: string; from?: number; to?: number }[];
    rekeyed: number[];
    rewritten: number[];
    renumbered: { from: number; to: number }[];
    recipientsAdded: string[];
    recipientsRemoved: string[];
    metadata: string[];
  }[];
  access: { kind: string; subject: string; detail?: string }[];
}

interface DiffOutputs {
  text: string;
  markdown: string;
  json: DiffJson;
}

const A = "production/db/password";
const B = "production/api/token";
const C = "staging/db/password";
const VALUES: Record<string, string> = {
  [A]: "Zq7-prod-db-password-v1-unmistakable",
  [B]: "Wk3-prod-api-token-v1-unmistakable",
  [C]: "Jx9-staging-db-password-v1-unmistakable",
};

async function git(s: Sandbox, ...args: string[]): Promise<string> {
  const r = await runTool("git", args, { cwd: s.repo, env: childEnv(s.home) });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

async function commitAll(s: Sandbox, message: string): Promise<string> {
  await git(s, "add", "-A");
  await git(s, "commit", "-q", "-m", message);
  return (await git(s, "rev-parse", "HEAD")).trim();
}

/** Every line of every ciphertext in the manifests, as they are in the working tree and at `revs`. */
async function ciphertextLines(s: Sandbox, ids: readonly string[], revs: readonly string[]): Promise<Set<string>> {
  const texts: string[] = [];
  for (const id of ids) {
    texts.push(await s.read(`secrets/${id}.yaml`).catch(() => ""));
    for (const rev of revs) {
      const r = await runTool("git", ["show", `${rev}:secrets/${id}.yaml`], { cwd: s.repo, env: childEnv(s.home) });
      if (r.code === 0) texts.push(r.stdout);
    }
  }
  const lines = new Set<string>();
  for (const t of texts) {
    const m = parse(t) as { versions?: { ciphertext: string }[] } | null;
    for (const v of m?.versions ?? []) {
      for (const l of v.ciphertext.split("\n")) if (l.trim().length > 0) lines.add(l.trim());
    }
  }
  expect(lines.size).toBeGreaterThan(0);
  return lines;
}

/**
 * Runs diff in the three formats; asserts that none shows a value, a
 * ciphertext line or armor, and returns the three outputs.
 */
async function diffAll(s: Sandbox, values: readonly string[], rev?: string): Promise<DiffOutputs> {
  const args = ["diff", ...(rev === undefined ? [] : [rev])];
  const [text, markdown, json] = await Promise.all([
    s.run(args),
    s.run([...args, "--format", "markdown"]),
    s.run([...args, "--format", "json"]),
  ]);
  const secretLines = await ciphertextLines(s, [A, B, C, "production/new/key"], ["HEAD", ...(rev ? [rev] : [])]);
  for (const r of [text, markdown, json]) {
    expectOk(r);
    expect(r.stderr).toBe("");
    for (const v of values) expect(r.stdout).not.toContain(v);
    expect(r.stdout).not.toMatch(/BEGIN AGE|END AGE|AGE-SECRET-KEY|-----/);
    for (const line of r.stdout.split("\n")) {
      for (const word of line.split(/[\s"|`]+/)) expect(secretLines.has(word), `ciphertext in: ${line}`).toBe(false);
    }
  }
  return { text: text.stdout, markdown: markdown.stdout, json: JSON.parse(json.stdout) as DiffJson };
}

const secretChange = (d: DiffOutputs, id: string) => d.json.secrets.find((c) => c.id === id);
const secretLine = (d: DiffOutputs, id: string) => d.text.split("\n").find((l) => l.startsWith(`  ${id}: `));
const markdownRow = (d: DiffOutputs, id: string) => d.markdown.split("\n").find((l) => l.startsWith(`| \`${id}\` |`));

async function get(s: Sandbox, id: string, ...flags: string[]): Promise<string> {
  return expectOk(await s.as("alice", ["get", id, ...flags])).stdout;
}

describe("diff against HEAD, step by step", () => {
  let s: Sandbox;
  /** Every value written so far, none of which may appear in any output. */
  const seen: string[] = Object.values(VALUES);
  let baseline: string;

  beforeAll(async () => {
    s = await makeSandbox();
    await Promise.all(
      [A, B, C].map(async (id) => {
        expectOk(await s.run(["set", id, "--generate", "password:24"]));
        // Replace the generated first value with a known one, as version 2 on every stage.
        expectOk(await s.run(["set", id, "--all-stages"], { input: VALUES[id] }));
      }),
    );
  });
  afterAll(() => s.cleanup());

  it("before the first commit: every secret created, every member added", async () => {
    const d = await diffAll(s, seen);
    expect(d.json.rev).toBe("HEAD");
    expect(d.json.secrets.map((c) => [c.id, c.kind, c.versionsAdded])).toEqual([
      [B, "created", [1, 2]],
      [A, "created", [1, 2]],
      [C, "created", [1, 2]],
    ]);
    expect(d.json.access.filter((c) => c.kind === "member-added").map((c) => c.subject)).toEqual([
      "alice",
      "bob",
      "ci",
    ]);
    expect(secretLine(d, A)).toBe(`  ${A}: created (v1, v2)`);
    baseline = await commitAll(s, "baseline");
  });

  it("no changes right after a commit", async () => {
    const d = await diffAll(s, seen);
    expect(d.text).toBe("No changes against HEAD.\n");
    // (A blank line after the heading would match the other markdown outputs; either renders the same.)
    expect(d.markdown).toMatch(/^### lockstep diff against `HEAD`\n\n?No secret or access changes\.\n$/);
    expect(d.json).toEqual({ rev: "HEAD", secrets: [], access: [] });
  });

  it("set: a new version on the first stage", async () => {
    const value = "Qp4-prod-db-password-v3-unmistakable";
    seen.push(value);
    expectOk(await s.run(["set", A], { input: value }));
    const d = await diffAll(s, seen);
    expect(d.json.secrets).toEqual([
      {
        id: A,
        kind: "changed",
        versionsAdded: [3],
        versionsRemoved: [],
        stageMoves: [{ stage: "canary", from: 2, to: 3 }],
        rekeyed: [],
        rewritten: [],
        renumbered: [],
        recipientsAdded: [],
        recipientsRemoved: [],
        metadata: [],
      },
    ]);
    expect(d.json.access).toEqual([]);
    expect(d.text).toBe(`Changes against HEAD:\n  ${A}: new version v3; canary v2 -> v3 (new version)\n`);
    expect(d.markdown.split("\n")).toEqual([
      "### lockstep diff against `HEAD`",
      "",
      "| Secret | Change |",
      "|---|---|",
      `| \`${A}\` | new version v3<br>canary v2 -> v3 (new version) |`,
      "",
      "_Values and ciphertexts are never shown._",
      "",
    ]);
  });

  it("rotate: a generated version, whose value is never shown either", async () => {
    expectOk(await s.run(["rotate", B]));
    seen.push(await get(s, B));
    expect(seen.at(-1)).toHaveLength(24);
    const d = await diffAll(s, seen);
    expect(secretChange(d, B)).toMatchObject({
      kind: "changed",
      versionsAdded: [3],
      stageMoves: [{ stage: "canary", from: 2, to: 3 }],
      metadata: [],
    });
    expect(secretLine(d, B)).toBe(`  ${B}: new version v3; canary v2 -> v3 (new version)`);
    expect(secretChange(d, A)?.versionsAdded).toEqual([3]); // still there: diff is against HEAD
  });

  it("promote: the later stage moves", async () => {
    expectOk(await s.run(["promote", A]));
    const d = await diffAll(s, seen);
    expect(secretChange(d, A)?.stageMoves).toEqual([
      { stage: "canary", from: 2, to: 3 },
      { stage: "stable", from: 2, to: 3 },
    ]);
    expect(secretLine(d, A)).toBe(
      `  ${A}: new version v3; canary v2 -> v3 (new version); stable v2 -> v3 (new version)`,
    );
    expect(markdownRow(d, A)).toBe(
      `| \`${A}\` | new version v3<br>canary v2 -> v3 (new version)<br>stable v2 -> v3 (new version) |`,
    );
  });

  it("rollback: described as such", async () => {
    await commitAll(s, "set, rotate, promote");
    expectOk(await s.run(["rollback", A, "--stage", "stable"]));
    const d = await diffAll(s, seen);
    expect(d.json.secrets).toEqual([
      expect.objectContaining({ id: A, versionsAdded: [], stageMoves: [{ stage: "stable", from: 3, to: 2 }] }),
    ]);
    expect(secretLine(d, A)).toBe(`  ${A}: stable v3 -> v2 (rolled back)`);
    await git(s, "checkout", "--", `secrets/${A}.yaml`);
  });

  it("a member joins a group: the access change; after rekey, the versions re-encrypted and the reader added", async () => {
    expectOk(await s.run(["member", "add", "bob", "--key", s.keys.bob.recipient, "--group", "platform"]));
    let d = await diffAll(s, seen);
    expect(d.json.secrets).toEqual([]);
    expect(d.json.access).toEqual([{ kind: "group-changed", subject: "platform", detail: "+bob" }]);
    expect(d.text).toBe("Changes against HEAD:\n  group changed: platform (+bob)\n");
    expect(d.markdown).toContain("**Access**\n\n- group changed: platform (+bob)\n");

    expectOk(await s.as("alice", ["rekey"]));
    d = await diffAll(s, seen);
    for (const id of [A, B, C]) {
      expect(secretChange(d, id)).toMatchObject({
        kind: "changed",
        versionsAdded: [],
        stageMoves: [],
        rekeyed: [1, 2, 3].slice(0, id === C ? 2 : 3),
        recipientsAdded: ["bob"],
        recipientsRemoved: [],
      });
    }
    expect(secretLine(d, C)).toBe(`  ${C}: re-encrypted: v1, v2; readers added: bob`);
    expect(d.text.split("\n").at(-2)).toBe("  group changed: platform (+bob)");
    expect(markdownRow(d, C)).toBe(`| \`${C}\` | re-encrypted: v1, v2<br>readers added: bob |`);
  });

  it("a member removed and a rule changed: access changes and readers removed", async () => {
    await commitAll(s, "bob joins");
    expectOk(await s.run(["member", "rm", "ci"]));
    expectOk(await s.as("alice", ["rekey"]));
    const d = await diffAll(s, seen);
    expect(d.json.access).toEqual(
      expect.arrayContaining([
        { kind: "member-removed", subject: "ci" },
        expect.objectContaining({ kind: "rule-changed", subject: "production/**" }),
      ]),
    );
    expect(d.text).toContain("  member removed: ci\n");
    expect(d.text).toMatch(/^ {2}rule changed: production\/\*\* \(readers: platform; approvers: platform\)$/m);
    for (const id of [A, B, C]) expect(secretChange(d, id)?.recipientsRemoved).toEqual(["ci"]);
    expect(secretLine(d, A)).toContain("readers removed: ci");
    await git(s, "checkout", "--", ".");
  });

  it("a new secret and a deleted one", async () => {
    const value = "Nv8-new-key-unmistakable";
    seen.push(value);
    expectOk(await s.run(["set", "production/new/key"], { input: value }));
    await git(s, "rm", "-q", `secrets/${C}.yaml`);
    const d = await diffAll(s, seen);
    expect(d.json.secrets.map((c) => [c.id, c.kind])).toEqual([
      ["production/new/key", "created"],
      [C, "deleted"],
    ]);
    expect(secretLine(d, "production/new/key")).toBe("  production/new/key: created (v1)");
    expect(secretLine(d, C)).toBe(`  ${C}: deleted`);
    await git(s, "reset", "-q", "--hard");
    await git(s, "clean", "-q", "-fd");
  });

  it("against an older revision: everything since then, and only that", async () => {
    const d = await diffAll(s, seen, baseline);
    expect(d.json.rev).toBe(baseline);
    expect(d.text.split("\n")[0]).toBe(`Changes against ${baseline}:`);
    expect(d.markdown.split("\n")[0]).toBe(`### lockstep diff against \`${baseline}\``);
    expect(secretChange(d, A)).toMatchObject({
      versionsAdded: [3],
      stageMoves: [
        { stage: "canary", from: 2, to: 3 },
        { stage: "stable", from: 2, to: 3 },
      ],
      rekeyed: [1, 2],
      recipientsAdded: ["bob"],
    });
    expect(secretChange(d, B)).toMatchObject({
      versionsAdded: [3],
      stageMoves: [{ stage: "canary", from: 2, to: 3 }],
      rekeyed: [1, 2],
    });
    expect(secretChange(d, C)).toMatchObject({ versionsAdded: [], stageMoves: [], rekeyed: [1, 2] });
    expect(d.json.access).toEqual([{ kind: "group-changed", subject: "platform", detail: "+bob" }]);
    // HEAD~1 is "set, rotate, promote": only bob's arrival since.
    const d1 = await diffAll(s, seen, "HEAD~1");
    expect(d1.json.secrets.every((c) => c.versionsAdded.length === 0 && c.stageMoves.length === 0)).toBe(true);
    expect(d1.json.access).toEqual([{ kind: "group-changed", subject: "platform", detail: "+bob" }]);
  });

  it("an unknown revision is a usage error (exit 2)", async () => {
    expectError(await s.run(["diff", "no-such-rev"]), 2, /unknown revision "no-such-rev"/);
  });
});

describe("codeowners", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    expectOk(await s.run(["member", "add", "alice", "--key", s.keys.alice.recipient, "--github", "alice-gh"]));
    expectOk(await s.run(["member", "add", "bob", "--key", s.keys.bob.recipient, "--github", "bob-gh"]));
    await Promise.all([A, C].map(async (id) => expectOk(await s.run(["set", id], { input: VALUES[id] }))));
  });
  afterAll(() => s.cleanup());

  it("--check without a CODEOWNERS file: exit 1", async () => {
    const r = await s.run(["codeowners", "--check"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CODEOWNERS is missing.*lockstep codeowners --write/);
  });

  it("prints, then --write writes the same text; --check then exits 0", async () => {
    const printed = expectOk(await s.run(["codeowners"])).stdout;
    expect(printed).toContain(`/secrets/${A}.yaml @alice-gh\n`);
    expect(printed).not.toContain("bob-gh"); // bob approves nothing yet
    expect(expectOk(await s.run(["codeowners", "--write"])).stdout).toContain("Wrote .github/CODEOWNERS");
    expect(await s.read(".github/CODEOWNERS")).toBe(printed);
    expect(expectOk(await s.run(["codeowners", "--check"])).stdout).toContain("up to date");
    const check = JSON.parse(expectOk(await s.run(["check", "--format", "json"])).stdout);
    expect(check.findings).toEqual([]);
  });

  it("after an access change: --check exits 1, check warns codeowners-drift (exit 0), diff names the rule", async () => {
    await commitAll(s, "codeowners");
    const access = await s.read("access.yaml");
    const changed = access.replace(
      /(- match: "production\/\*\*"\n\s+readers: .*\n\s+approvers: )\[ ?platform ?\]/,
      "$1[platform, bob]",
    );
    expect(changed).not.toBe(access);
    await s.write("access.yaml", changed);
    const r = await s.run(["codeowners", "--check"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/out of date/);
    const check = await s.run(["check", "--format", "json"]);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout).findings).toEqual([
      expect.objectContaining({ code: "codeowners-drift", severity: "warning", file: ".github/CODEOWNERS" }),
    ]);
    const diff = expectOk(await s.run(["diff"])).stdout;
    expect(diff).toBe(
      "Changes against HEAD:\n  rule changed: production/** (readers: platform, ci; approvers: platform, bob)\n",
    );
    expectOk(await s.run(["codeowners", "--write"]));
    expect(await s.read(".github/CODEOWNERS")).toContain(`/secrets/${A}.yaml @alice-gh @bob-gh\n`);
    expectOk(await s.run(["codeowners", "--check"]));
    expect(JSON.parse(expectOk(await s.run(["check", "--format", "json"])).stdout).findings).toEqual([]);
  });

  it("--write and --check together: usage error", async () => {
    expectError(await s.run(["codeowners", "--write", "--check"]), 2, /exclude each other/);
  });
});
