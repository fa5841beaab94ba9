/**
 * `lockstep check`, the pull-request gate, through the built CLI: one
 * fixture per finding code (code, severity, file and line through
 * `--format json`), exit 1 iff an error, no key needed without --decrypt,
 * the github and markdown formats line by line, and the whole offboarding
 * story (member removed -> drift and exposure -> rekey -> rotate -> clean).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_RULES,
  expectError,
  expectOk,
  makeSandbox,
  type RunResult,
  requireBuiltCli,
  type Sandbox,
} from "./helpers.js";
import { commitAll, editManifest, type Finding, git, lineNo, manifestFile, setValue } from "./repo-helpers.js";

requireBuiltCli();

interface CheckJson {
  findings: Finding[];
  summary: { secrets: number; errors: number; warnings: number };
}

/** Runs `check --format json` (no identity unless `who` is given) and parses it; asserts exit 1 iff an error. */
async function checkJson(s: Sandbox, options: { decrypt?: "alice" | "bob" | "ci" } = {}): Promise<CheckJson> {
  const args = ["check", "--format", "json", ...(options.decrypt ? ["--decrypt"] : [])];
  const r = options.decrypt ? await s.as(options.decrypt, args) : await s.run(args);
  expect(r.stderr).not.toMatch(/^\s{4}at /m);
  const json = JSON.parse(r.stdout) as CheckJson;
  const errors = json.findings.filter((f) => f.severity === "error").length;
  expect(r.code, `exit code with findings ${JSON.stringify(json.findings, null, 2)}\n${r.stderr}`).toBe(
    errors > 0 ? 1 : 0,
  );
  expect(json.summary).toEqual({ secrets: json.summary.secrets, errors, warnings: json.findings.length - errors });
  return json;
}

/** The findings with a code (and, optionally, in a file). */
function withCode(json: CheckJson, code: string, file?: string): Finding[] {
  return json.findings.filter((f) => f.code === code && (file === undefined || f.file === file));
}

/** Secret-shaped strings, assembled so that this file is not one itself. */
const AWS_KEY = ["AKIA", "IOSFODNN7EXAMPLE"].join("");
const PEM_KEY = ["-----BEGIN ", "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\n-----END RSA PRIVATE KEY-----\n"].join("");
const OPENSSH_KEY = [
  "-----BEGIN ",
  "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
].join("");

/** Replaces the `rules:` block of access.yaml. */
async function setRules(s: Sandbox, rules: string): Promise<void> {
  const text = await s.read("access.yaml");
  const at = text.search(/^rules:/m);
  expect(at).toBeGreaterThan(-1);
  await s.write("access.yaml", `${text.slice(0, at)}${rules}`);
}

describe("a clean repository", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    await setValue(s, "production/db/password", "clean-prod-value");
    await setValue(s, "staging/db/password", "clean-staging-value");
    await s.write("README.md", "# secrets\nManaged by lockstep.\n");
    await s.write(".env.example", "DATABASE_PASSWORD=changeme\n");
    await commitAll(s, "baseline");
  });
  afterAll(() => s.cleanup());

  it("exits 0 with 'No problems found', with no identity anywhere", async () => {
    expect(existsSync(join(s.home, ".config", "lockstep", "identity.txt"))).toBe(false);
    const env = { LOCKSTEP_AGE_KEY: undefined, LOCKSTEP_AGE_KEY_FILE: undefined };
    const r = expectOk(await s.run(["check"], { env }));
    expect(r.stdout).toBe("No problems found in 2 secrets.\n");
    expect(r.stderr).toBe("");
  });

  it("json: no findings and a summary", async () => {
    const json = await checkJson(s);
    expect(json).toEqual({ findings: [], summary: { secrets: 2, errors: 0, warnings: 0 } });
  });

  it("github: only the summary line", async () => {
    const r = expectOk(await s.run(["check", "--format", "github"]));
    expect(r.stdout).toBe("lockstep check: no problems found in 2 secrets\n");
  });

  it("markdown: a passed heading and the summary, no table", async () => {
    const r = expectOk(await s.run(["check", "--format", "markdown"]));
    expect(r.stdout.split("\n")).toEqual([
      "### :white_check_mark: lockstep check passed",
      "",
      "No problems found in 2 secrets.",
      "",
    ]);
  });

  it("--decrypt with a reader's key opens every live version and finds nothing", async () => {
    expect(await checkJson(s, { decrypt: "alice" })).toEqual({
      findings: [],
      summary: { secrets: 2, errors: 0, warnings: 0 },
    });
  });

  it("--decrypt with a key that opens nothing warns that versions went unchecked", async () => {
    const r = expectOk(await s.as("bob", ["check", "--decrypt"]));
    expect(r.stdout).toContain("No problems found in 2 secrets.");
    expect(r.stderr).toMatch(/2 live versions were not checked/);
  });

  it("--decrypt with no identity at all: exit 3", async () => {
    expectError(await s.run(["check", "--decrypt"]), 3, /no age identity/);
  });

  it("an unknown --format is a usage error", async () => {
    expectError(await s.run(["check", "--format", "xml"]), 2);
  });
});

describe("schema-invalid", () => {
  const ID = "production/db/password";
  const LEAK = "deploy/notes.txt";

  /** One good secret and a tracked leak, so that other findings can be seen next to the broken file. */
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    await setValue(s, ID, "schema-test-value");
    await s.write(LEAK, `deploy notes\n${AWS_KEY}\n`);
    await commitAll(s);
  });
  afterAll(() => s.cleanup());
  // Each test breaks something: back to the commit after it.
  afterEach(async () => {
    await git(s, "reset", "-q", "--hard");
    await git(s, "clean", "-q", "-fd");
  });

  function expectLeakToo(json: CheckJson): void {
    expect(withCode(json, "plaintext-secret")).toMatchObject([{ file: LEAK, line: 2, severity: "error" }]);
  }

  it("a manifest that is not YAML: its file and line; other files still checked", async () => {
    const bad = "production/api/broken";
    await s.write(manifestFile(bad), "description: one\ntype: string\ndescription: two\n");
    // Another manifest with its own problem, to see it reported too.
    await editManifest(s, ID, (doc) => doc.setIn(["stages", "canary"], 9));
    const json = await checkJson(s);
    expect(withCode(json, "schema-invalid")).toMatchObject([
      { severity: "error", file: manifestFile(bad), line: 3, message: expect.stringMatching(/not valid YAML/) },
    ]);
    expect(withCode(json, "stage-invalid", manifestFile(ID))).toHaveLength(1);
    expectLeakToo(json);
    expect(json.summary.secrets).toBe(2);
  });

  it("a manifest that breaks its schema: its file and the line of the violation", async () => {
    const bad = "production/api/typo";
    const text = [
      "description: api token",
      "type: string",
      "stages:",
      "  canary: one",
      "  stable: 1",
      "versions:",
      "  - version: 1",
      "    created: 2026-01-01T00:00:00Z",
      "    recipients: []",
      "    ciphertext: nope",
      "",
    ].join("\n");
    await s.write(manifestFile(bad), text);
    const json = await checkJson(s);
    const [f] = withCode(json, "schema-invalid");
    expect(withCode(json, "schema-invalid")).toHaveLength(1);
    expect(f).toMatchObject({ severity: "error", file: manifestFile(bad), line: lineNo(text, "canary: one") });
    expect(f?.message).toMatch(/stages\.canary must be integer/);
    expect(f?.fix).toMatch(/secret\.schema\.json/);
    expectLeakToo(json);
  });

  it("access.yaml that is not YAML: its line; manifests and leaks still checked", async () => {
    const text = `${await s.read("access.yaml")}groups:\n  extra: [alice]\n`;
    await s.write("access.yaml", text);
    await editManifest(s, ID, (doc) => doc.setIn(["stages", "canary"], 7));
    const json = await checkJson(s);
    expect(withCode(json, "schema-invalid")).toMatchObject([
      {
        severity: "error",
        file: "access.yaml",
        line: text.split("\n").lastIndexOf("groups:") + 1,
        message: expect.stringMatching(/not valid YAML/),
      },
    ]);
    expect(withCode(json, "stage-invalid", manifestFile(ID))).toHaveLength(1);
    expectLeakToo(json);
  });

  it("access.yaml that breaks its schema: its line", async () => {
    const text = (await s.read("access.yaml")).replace(
      '  - match: "production/**"\n    readers:',
      '  - match: "production/**"\n    readres:',
    );
    expect(text).toContain("readres:");
    await s.write("access.yaml", text);
    const json = await checkJson(s);
    const found = withCode(json, "schema-invalid");
    expect(found).toMatchObject([{ severity: "error", file: "access.yaml" }]);
    expect(found[0]?.line).toBeGreaterThanOrEqual(lineNo(text, 'match: "production/**"'));
    expect(found[0]?.line).toBeLessThanOrEqual(lineNo(text, "readres:"));
    expect(found[0]?.message).toMatch(/readres/);
    expect(found[0]?.fix).toMatch(/access\.schema\.json/);
    expectLeakToo(json);
  });

  it("lockstep.yaml that is not YAML: its line; access.yaml and leaks still checked", async () => {
    await s.write("lockstep.yaml", "environments:\n  production:\n\tstages: []\n");
    await setRules(s, `${DEFAULT_RULES}  - match: "staging/**"\n    readers: [ghost]\n`);
    const json = await checkJson(s);
    expect(withCode(json, "schema-invalid")).toMatchObject([
      { severity: "error", file: "lockstep.yaml", line: 3, message: expect.stringMatching(/not valid YAML/) },
    ]);
    expect(withCode(json, "unknown-member")).toMatchObject([{ file: "access.yaml" }]);
    expectLeakToo(json);
  });

  it("lockstep.yaml that breaks its schema: its line; access.yaml and leaks still checked", async () => {
    const text = (await s.read("lockstep.yaml")).replace(/maxAge: 90d/, "maxAge: 90 days");
    expect(text).toContain("90 days");
    await s.write("lockstep.yaml", text);
    await setRules(s, `${DEFAULT_RULES}  - match: "staging/**"\n    readers: [ghost]\n`);
    const json = await checkJson(s);
    const found = withCode(json, "schema-invalid");
    expect(found).toMatchObject([{ severity: "error", file: "lockstep.yaml", line: lineNo(text, "maxAge:") }]);
    expect(found[0]?.message).toMatch(/rotation\.maxAge/);
    expect(withCode(json, "unknown-member")).toMatchObject([{ file: "access.yaml" }]);
    expectLeakToo(json);
  });

  // BUG (reported, not fixed): with lockstep.yaml broken, checkRepository skips checkManifest entirely, so
  // findings that do not need lockstep.yaml (recipients-drift, exposed-to-former-reader, ciphertext-mismatch)
  // in other files go unreported. DESIGN 4 / check.ts: "a broken file is a finding, and the rest is still
  // checked". Remove `.fails` once fixed.
  it("lockstep.yaml broken: drift and exposure in the manifests are still reported", async () => {
    await s.write("lockstep.yaml", (await s.read("lockstep.yaml")).replace(/maxAge: 90d/, "maxAge: 90 days"));
    await setRules(s, DEFAULT_RULES.replace(/readers: \[platform, ci\]/g, "readers: [platform]"));
    const json = await checkJson(s);
    expect(withCode(json, "schema-invalid")).toMatchObject([{ file: "lockstep.yaml" }]);
    expect(withCode(json, "recipients-drift", manifestFile(ID))).toHaveLength(1);
    expect(withCode(json, "exposed-to-former-reader", manifestFile(ID))).toHaveLength(1);
  });

  it("a manifest under an environment lockstep.yaml does not define", async () => {
    await s.write(manifestFile("qa/db/password"), await s.read(manifestFile(ID)));
    const json = await checkJson(s);
    expect(withCode(json, "schema-invalid")).toMatchObject([
      { file: manifestFile("qa/db/password"), id: "qa/db/password", message: expect.stringMatching(/"qa"/) },
    ]);
  });
});

describe("access findings: unknown-member, invalid-recipient, no-readers", () => {
  let s: Sandbox;
  let access: string;
  let json: CheckJson;
  const PROD = "production/db/password";
  const STAGING = "staging/db/password";
  beforeAll(async () => {
    s = await makeSandbox();
    await setValue(s, PROD, "access-prod-value");
    await setValue(s, STAGING, "access-staging-value");
    const text = await s.read("access.yaml");
    access = text
      .replace(/^groups:\n/m, "groups:\n  oncall:\n    - alice\n    - phantom\n")
      .replace(/^members:\n/m, "members:\n  eve:\n    recipients: [ age1thisisnotarealrecipient ]\n");
    const at = access.search(/^rules:/m);
    access = `${access.slice(0, at)}rules:
  - match: "staging/**"
    readers:
      - platform
      - ci
      - ghost
    approvers: [ platform ]
  - match: "production/**"
    readers: []
    approvers: [ platform ]
`;
    await s.write("access.yaml", access);
    json = await checkJson(s);
  });
  afterAll(() => s.cleanup());

  it("unknown-member: each name that is neither member nor group, at its line in access.yaml", () => {
    const found = withCode(json, "unknown-member");
    expect(found).toEqual([
      expect.objectContaining({ severity: "error", file: "access.yaml", line: lineNo(access, "- phantom") }),
      expect.objectContaining({ severity: "error", file: "access.yaml", line: lineNo(access, "- ghost") }),
    ]);
    expect(found[0]?.message).toMatch(/group oncall names "phantom"/);
    expect(found[1]?.message).toMatch(/readers of rule "staging\/\*\*" names "ghost"/);
    expect(found[1]?.fix).toContain("lockstep member add ghost");
  });

  it("invalid-recipient: a string that starts with age1 but is no recipient, at its line", () => {
    const found = withCode(json, "invalid-recipient");
    expect(found).toEqual([
      expect.objectContaining({
        severity: "error",
        file: "access.yaml",
        line: lineNo(access, "age1thisisnotarealrecipient"),
        message: expect.stringMatching(/eve/),
      }),
    ]);
  });

  it("no-readers: a secret that no rule with readers covers, in its manifest", () => {
    expect(withCode(json, "no-readers")).toEqual([
      expect.objectContaining({ severity: "error", file: manifestFile(PROD), id: PROD }),
    ]);
    // Nothing else about that secret: there is no reader list to drift from.
    expect(json.findings.filter((f) => f.id === PROD).map((f) => f.code)).toEqual(["no-readers"]);
    expect(json.findings.filter((f) => f.id === STAGING)).toEqual([]);
  });

  it("no other findings, and exit 1", () => {
    expect(json.findings.map((f) => f.code).sort()).toEqual([
      "invalid-recipient",
      "no-readers",
      "unknown-member",
      "unknown-member",
    ]);
    expect(json.summary).toEqual({ secrets: 2, errors: 4, warnings: 0 });
  });
});

describe("recipients-drift and exposed-to-former-reader", () => {
  const ID = "production/db/password";
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    await setValue(s, ID, "drift-value");
    await commitAll(s);
  });
  afterAll(() => s.cleanup());

  it("a new reader: recipients-drift on the live version's recipients line, fix rekey", async () => {
    expectOk(await s.run(["member", "add", "bob", "--key", s.keys.bob.recipient, "--group", "platform"]));
    const json = await checkJson(s);
    const text = await s.read(manifestFile(ID));
    expect(json.findings).toEqual([
      {
        code: "recipients-drift",
        severity: "error",
        file: manifestFile(ID),
        line: lineNo(text, /^ {4}recipients:/),
        id: ID,
        message: expect.stringMatching(/live version 1 .*missing: bob/),
        fix: `lockstep rekey ${ID}`,
      },
    ]);
    await git(s, "checkout", "--", "access.yaml");
    expect((await checkJson(s)).findings).toEqual([]);
  });

  it("a removed reader: recipients-drift and exposed-to-former-reader (fix: a new value by edit or set: it has no generator) on the version", async () => {
    await setRules(s, DEFAULT_RULES.replace(/readers: \[platform, ci\]/g, "readers: [platform]"));
    const json = await checkJson(s);
    const text = await s.read(manifestFile(ID));
    expect(json.findings).toEqual([
      {
        code: "exposed-to-former-reader",
        severity: "error",
        file: manifestFile(ID),
        line: lineNo(text, "- version: 1"),
        id: ID,
        message: expect.stringMatching(/live version 1 could be decrypted by ci/),
        fix: `lockstep edit ${ID} (or lockstep set ${ID}) with a new value, then promote the new version to every stage`,
      },
      expect.objectContaining({
        code: "recipients-drift",
        severity: "error",
        file: manifestFile(ID),
        line: lineNo(text, /^ {4}recipients:/),
        message: expect.stringMatching(/no longer readers: ci/),
      }),
    ]);
  });

  it("a version no stage points at is not live: neither finding", async () => {
    await git(s, "checkout", "--", "access.yaml");
    await setValue(s, ID, "drift-value-2", "--all-stages");
    await setRules(s, DEFAULT_RULES.replace(/readers: \[platform, ci\]/g, "readers: [platform]"));
    // Version 2 is live and drifts; version 1 (no stage) is not reported.
    const json = await checkJson(s);
    expect(json.findings.map((f) => [f.code, f.message.match(/version (\d+)/)?.[1]])).toEqual([
      ["exposed-to-former-reader", "2"],
      ["recipients-drift", "2"],
    ]);
  });
});

describe("stage-invalid", () => {
  let s: Sandbox;
  let json: CheckJson;
  const texts: Record<string, string> = {};
  const AHEAD = "production/stage/ahead";
  const MISSING_VERSION = "production/stage/missing-version";
  const MISSING_STAGE = "production/stage/missing-stage";
  const EXTRA_STAGE = "production/stage/extra-stage";
  const GOOD = "production/stage/good";
  beforeAll(async () => {
    s = await makeSandbox();
    await Promise.all(
      [AHEAD, MISSING_VERSION, MISSING_STAGE, EXTRA_STAGE, GOOD].map((id) => setValue(s, id, `v1-${id}`)),
    );
    await setValue(s, AHEAD, "v2", "--no-stage"); // v2 pending: canary 1, stable 1
    await editManifest(s, AHEAD, (doc) => doc.setIn(["stages", "stable"], 2)); // stable ahead of canary
    await editManifest(s, MISSING_VERSION, (doc) => doc.setIn(["stages", "canary"], 5));
    await editManifest(s, MISSING_STAGE, (doc) => doc.deleteIn(["stages", "stable"]));
    await editManifest(s, EXTRA_STAGE, (doc) => doc.setIn(["stages", "beta"], 1));
    for (const id of [AHEAD, MISSING_VERSION, MISSING_STAGE, EXTRA_STAGE]) texts[id] = await s.read(manifestFile(id));
    json = await checkJson(s);
  });
  afterAll(() => s.cleanup());

  const stageFindings = (id: string) => withCode(json, "stage-invalid").filter((f) => f.id === id);

  it("a later stage ahead of an earlier one, at the later stage's line", () => {
    expect(stageFindings(AHEAD)).toEqual([
      expect.objectContaining({
        severity: "error",
        file: manifestFile(AHEAD),
        line: lineNo(texts[AHEAD] as string, "stable: 2"),
        message: expect.stringMatching(/stage stable is at version 2, ahead of the earlier stage canary at 1/),
        fix: expect.stringMatching(/lockstep promote/),
      }),
    ]);
  });

  it("a stage pointing at a version that does not exist", () => {
    expect(stageFindings(MISSING_VERSION)).toEqual([
      expect.objectContaining({
        severity: "error",
        file: manifestFile(MISSING_VERSION),
        line: lineNo(texts[MISSING_VERSION] as string, "canary: 5"),
        message: expect.stringMatching(/stage canary points at version 5, which does not exist/),
      }),
    ]);
  });

  it("a stage missing from the manifest, and a stage the environment does not have", () => {
    expect(stageFindings(MISSING_STAGE)).toEqual([
      expect.objectContaining({
        file: manifestFile(MISSING_STAGE),
        message: expect.stringMatching(/stable is missing/),
      }),
    ]);
    expect(stageFindings(EXTRA_STAGE)).toEqual([
      expect.objectContaining({
        file: manifestFile(EXTRA_STAGE),
        line: lineNo(texts[EXTRA_STAGE] as string, "beta: 1"),
        message: expect.stringMatching(/stage beta is not a stage/),
      }),
    ]);
  });

  it("nothing for the untouched secret; exit 1", () => {
    expect(json.findings.filter((f) => f.id === GOOD)).toEqual([]);
    expect(json.summary.errors).toBeGreaterThanOrEqual(4);
  });
});

describe("ciphertext-mismatch", () => {
  let s: Sandbox;
  let json: CheckJson;
  const texts: Record<string, string> = {};
  const DROPPED = "production/ct/dropped-recipient";
  const ARMOR = "production/ct/broken-armor";
  const BODY = "production/ct/broken-header";
  beforeAll(async () => {
    s = await makeSandbox();
    await Promise.all([DROPPED, ARMOR, BODY].map((id) => setValue(s, id, `value-${id}`)));
    // A recipient line taken out of the version: 2 stanzas, 1 recipient listed.
    const dropped = await s.read(manifestFile(DROPPED));
    const ciLine = dropped.split("\n").find((l) => l.includes("{ member: ci,"));
    expect(ciLine).toBeDefined();
    await s.write(manifestFile(DROPPED), dropped.replace(`${ciLine}\n`, ""));
    // The armor's end line damaged.
    const armor = await s.read(manifestFile(ARMOR));
    await s.write(manifestFile(ARMOR), armor.replace("-----END AGE ENCRYPTED FILE-----", "-----END AGE BROKEN-----"));
    // The armored header's first line replaced by garbage base64.
    const body = await s.read(manifestFile(BODY));
    const first = body.split("\n")[lineNo(body, "-----BEGIN AGE ENCRYPTED FILE-----")] as string;
    await s.write(manifestFile(BODY), body.replace(first, first.replace(/\S+$/, "!!!!not base64!!!!")));
    for (const id of [DROPPED, ARMOR, BODY]) texts[id] = await s.read(manifestFile(id));
    json = await checkJson(s);
  });
  afterAll(() => s.cleanup());

  it("a recipient removed from a version: stanza count differs, at the ciphertext line", () => {
    expect(withCode(json, "ciphertext-mismatch", manifestFile(DROPPED))).toEqual([
      expect.objectContaining({
        severity: "error",
        id: DROPPED,
        line: lineNo(texts[DROPPED] as string, "ciphertext: |"),
        message: expect.stringMatching(/version 1 has 2 recipient stanzas but lists 1 recipients/),
      }),
    ]);
  });

  it("broken armor, at the ciphertext line", () => {
    for (const id of [ARMOR, BODY]) {
      expect(withCode(json, "ciphertext-mismatch", manifestFile(id)), id).toEqual([
        expect.objectContaining({
          severity: "error",
          id,
          line: lineNo(texts[id] as string, "ciphertext: |"),
          message: expect.stringMatching(/armor or header is broken/),
        }),
      ]);
    }
  });

  it("exit 1 (asserted by checkJson), with no other code than mismatch and the drift the dropped line causes", () => {
    expect([...new Set(json.findings.map((f) => f.code))].sort()).toEqual(["ciphertext-mismatch", "recipients-drift"]);
    expect(withCode(json, "recipients-drift")).toMatchObject([{ id: DROPPED }]);
  });
});

describe("plaintext-secret", () => {
  let s: Sandbox;
  let json: CheckJson;
  let out: RunResult;
  const NOTES = `# Deploy notes\n\nThe key for the bucket is\n  ${AWS_KEY}\nask ops.\n`;
  beforeAll(async () => {
    s = await makeSandbox();
    await setValue(s, "production/db/password", "leak-test-value");
    await s.write("deploy/notes.txt", NOTES);
    await s.write(".env", "# local\nDB_HOST=localhost\nDB_PASSWORD=\n");
    await s.write(".env.example", "DB_HOST=localhost\nDB_PASSWORD=changeme\n");
    await s.write("keys/id_ed25519", OPENSSH_KEY);
    await s.write("test/fixtures/server.pem", PEM_KEY); // allow-listed below
    await s.write("docs/rotated-away.txt", `old: ${AWS_KEY}\n`); // tracked, then deleted
    await s.write("lockstep.yaml", `${await s.read("lockstep.yaml")}allow:\n  - "test/fixtures/**"\n`);
    await commitAll(s, "with leaks");
    await s.write("scratch/untracked.txt", PEM_KEY); // never added: not scanned
    await s.write("docs/rotated-away.txt", "nothing here any more\n");
    await git(s, "rm", "-q", "--cached", "docs/rotated-away.txt");
    json = await checkJson(s);
    out = await s.run(["check"]);
  });
  afterAll(() => s.cleanup());

  it("reports each tracked file with a secret, at its line", () => {
    expect(withCode(json, "plaintext-secret")).toEqual([
      expect.objectContaining({
        severity: "error",
        file: ".env",
        line: 2,
        message: "this tracked file holds what looks like a .env value",
      }),
      expect.objectContaining({
        severity: "error",
        file: "deploy/notes.txt",
        line: 4,
        message: "this tracked file holds what looks like an AWS access key id",
      }),
      expect.objectContaining({
        severity: "error",
        file: "keys/id_ed25519",
        line: 1,
        message: "this tracked file holds what looks like an OpenSSH private key",
      }),
    ]);
    expect(withCode(json, "plaintext-secret")[0]?.fix).toMatch(/allow: in lockstep\.yaml/);
    expect(json.findings.map((f) => f.code)).toEqual(["plaintext-secret", "plaintext-secret", "plaintext-secret"]);
  });

  it("skips allow-listed, untracked and template files and the manifests", () => {
    const files = json.findings.map((f) => f.file);
    for (const f of [
      "test/fixtures/server.pem",
      "scratch/untracked.txt",
      ".env.example",
      "docs/rotated-away.txt",
      "secrets/production/db/password.yaml",
    ]) {
      expect(files).not.toContain(f);
    }
  });

  it("never prints what it found", () => {
    expect(out.code).toBe(1);
    expect(out.stdout).toContain("deploy/notes.txt");
    expect(out.stdout).not.toContain(AWS_KEY);
    expect(JSON.stringify(json)).not.toContain(AWS_KEY);
    expect(out.stdout).not.toContain("localhost");
  });

  it("an allow-listed file is reported once the allow-list no longer covers it", async () => {
    await s.write(
      "lockstep.yaml",
      (await s.read("lockstep.yaml")).replace('  - "test/fixtures/**"\n', '  - "docs/**"\n'),
    );
    const after = await checkJson(s);
    expect(withCode(after, "plaintext-secret", "test/fixtures/server.pem")).toMatchObject([
      { line: 1, message: expect.stringMatching(/a PEM private key/) },
    ]);
  });
});

describe("rotation-overdue", () => {
  let s: Sandbox;
  const OWN = "production/rot/own-max-age";
  const DEFAULT = "production/rot/default-max-age";
  const FRESH = "production/rot/fresh";
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  beforeAll(async () => {
    s = await makeSandbox();
    await Promise.all([OWN, DEFAULT, FRESH].map((id) => setValue(s, id, `rot-${id}`)));
    await editManifest(s, OWN, (doc) => {
      doc.set("rotation", doc.createNode({ maxAge: "1h" }));
      doc.setIn(["versions", 0, "created"], hoursAgo(2));
    });
    await editManifest(s, DEFAULT, (doc) => doc.setIn(["versions", 0, "created"], hoursAgo(2)));
    await editManifest(s, FRESH, (doc) => doc.set("rotation", doc.createNode({ maxAge: "1h" })));
  });
  afterAll(() => s.cleanup());

  it("a warning, without a line, and exit 0: the secret's own maxAge", async () => {
    const json = await checkJson(s);
    expect(json.findings).toEqual([
      {
        code: "rotation-overdue",
        severity: "warning",
        file: manifestFile(OWN),
        id: OWN,
        message: expect.stringMatching(/^version 1 is older than its maximum age/),
        // Set by hand, with no generator: rotate could not make a value.
        fix: `lockstep edit ${OWN} (or lockstep set ${OWN}) with a new value, then promote it`,
      },
    ]);
    expect(json.summary).toMatchObject({ errors: 0, warnings: 1 });
    const text = expectOk(await s.run(["check"]));
    expect(text.stdout).toContain("rotation-overdue");
    expect(text.stdout.trimEnd().split("\n").at(-1)).toBe("0 errors, 1 warning in 3 secrets");
  });

  it("lockstep.yaml's maxAge for secrets that set none", async () => {
    await s.write("lockstep.yaml", (await s.read("lockstep.yaml")).replace(/maxAge: 90d/, "maxAge: 1h"));
    const json = await checkJson(s);
    expect(withCode(json, "rotation-overdue").map((f) => f.id)).toEqual([DEFAULT, OWN]);
  });

  it("rotating makes it go away", async () => {
    expectOk(await s.run(["rotate", OWN, "--generate", "hex:16"]));
    expectOk(await s.run(["rotate", DEFAULT, "--generate", "hex:16"]));
    expect((await checkJson(s)).findings).toEqual([]);
  });
});

describe("codeowners-drift", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    expectOk(await s.run(["member", "add", "alice", "--key", s.keys.alice.recipient, "--github", "alice-gh"]));
    await setValue(s, "production/db/password", "owners-value");
  });
  afterAll(() => s.cleanup());

  it("no finding without a CODEOWNERS file, nor with an up-to-date one", async () => {
    expect((await checkJson(s)).findings).toEqual([]);
    expectOk(await s.run(["codeowners", "--write"]));
    expect(await s.read(".github/CODEOWNERS")).toContain("/secrets/production/db/password.yaml @alice-gh");
    expect((await checkJson(s)).findings).toEqual([]);
  });

  it("a hand-edited CODEOWNERS: a warning on the file, exit 0", async () => {
    await s.write(".github/CODEOWNERS", `${await s.read(".github/CODEOWNERS")}/secrets/** @mallory\n`);
    const json = await checkJson(s);
    expect(json.findings).toEqual([
      {
        code: "codeowners-drift",
        severity: "warning",
        file: ".github/CODEOWNERS",
        message: expect.stringMatching(/differs/),
        fix: "lockstep codeowners --write",
      },
    ]);
  });
});

describe("value-invalid (--decrypt)", () => {
  let s: Sandbox;
  const PIN = "production/app/pin";
  const A = "production/app/a";
  const B = "production/app/b";
  const PIN_VALUE = "4821";
  const A_VALUE = "value-of-a-7f3c91";
  beforeAll(async () => {
    s = await makeSandbox();
    await s.write("schemas/pin.schema.json", JSON.stringify({ type: "string", pattern: "^[0-9]{4}$" }));
    await setValue(s, PIN, PIN_VALUE, "--schema", "pin");
    await setValue(s, A, A_VALUE);
    await setValue(s, B, "value-of-b-22d0e4");
  });
  afterAll(() => s.cleanup());

  it("clean to begin with, with and without --decrypt", async () => {
    expect((await checkJson(s)).findings).toEqual([]);
    expect((await checkJson(s, { decrypt: "alice" })).findings).toEqual([]);
  });

  it("a live value that breaks its (changed) schema: error at the version, the value not shown", async () => {
    await s.write("schemas/pin.schema.json", JSON.stringify({ type: "string", pattern: "^[0-9]{6}$" }));
    expect((await checkJson(s)).findings).toEqual([]); // only --decrypt can tell
    const json = await checkJson(s, { decrypt: "alice" });
    const text = await s.read(manifestFile(PIN));
    expect(json.findings).toEqual([
      expect.objectContaining({
        code: "value-invalid",
        severity: "error",
        file: manifestFile(PIN),
        id: PIN,
        line: lineNo(text, "- version: 1"),
        message: expect.stringMatching(/^version 1: .*schema "pin"/),
      }),
    ]);
    expect(JSON.stringify(json)).not.toContain(PIN_VALUE);
    await s.write("schemas/pin.schema.json", JSON.stringify({ type: "string", pattern: "^[0-9]{4}$" }));
  });

  it("a ciphertext copied from another secret's version: a binding failure, neither value shown", async () => {
    const a = await s.manifest(A);
    await editManifest(s, B, (doc) => {
      doc.setIn(["versions", 0, "ciphertext"], a.versions[0]?.ciphertext);
      doc.setIn(["versions", 0, "recipients"], doc.createNode(a.versions[0]?.recipients));
    });
    // Without decrypting, the copy shows as a ciphertext that stands in two manifests.
    const moved = expect.objectContaining({
      code: "manifest-moved",
      severity: "error",
      file: manifestFile(B),
      id: B,
      message: expect.stringContaining(`also in ${manifestFile(A)}`),
    });
    expect((await checkJson(s)).findings).toEqual([moved]);
    const json = await checkJson(s, { decrypt: "alice" });
    expect(json.findings).toEqual([
      moved,
      expect.objectContaining({
        code: "value-invalid",
        severity: "error",
        file: manifestFile(B),
        id: B,
        line: lineNo(await s.read(manifestFile(B)), "- version: 1"),
      }),
    ]);
    const r = await s.as("alice", ["check", "--decrypt"]);
    expect(r.code).toBe(1);
    for (const text of [JSON.stringify(json), r.stdout, r.stderr]) {
      expect(text).not.toContain(A_VALUE);
      expect(text).not.toContain("value-of-b");
    }
  });
});

describe("output formats, line by line", () => {
  let s: Sandbox;
  let json: CheckJson;
  const LEAK = "notes,v2.txt";
  const BROKEN = "production/fmt/broken";
  const NO_READERS = "sandbox/fmt/orphan";
  beforeAll(async () => {
    s = await makeSandbox({ envs: ["production", "sandbox"] });
    await setValue(s, "production/fmt/ok", "fmt-value");
    await setValue(s, NO_READERS, "orphan-value-xyz", "--all-stages").catch(() => undefined);
    await s.write(LEAK, `line one\n${AWS_KEY}\n`);
    await commitAll(s);
    // An unknown reader whose name holds a pipe; a schema break with two violations (a multi-line message);
    // a CODEOWNERS that drifted (a warning without a line); a secret with no readers (no line).
    await setRules(s, `${DEFAULT_RULES}  - match: "production/fmt/**"\n    readers: ["ops|oncall"]\n`);
    await s.write(manifestFile(BROKEN), "description: broken\nstages:\n  canary: one\n  stable: 1\nversions: []\n");
    await s.write(".github/CODEOWNERS", "# stale\n");
    json = await checkJson(s);
  });
  afterAll(() => s.cleanup());

  it("the fixture has what the format tests need", () => {
    const codes = json.findings.map((f) => f.code);
    expect(codes).toEqual(
      expect.arrayContaining(["unknown-member", "schema-invalid", "codeowners-drift", "plaintext-secret"]),
    );
    expect(json.findings.some((f) => f.line === undefined)).toBe(true);
    expect(json.findings.some((f) => f.message.includes("\n"))).toBe(true);
    expect(json.findings.some((f) => f.message.includes("|"))).toBe(true);
    expect(json.findings.some((f) => f.severity === "warning")).toBe(true);
  });

  /** Workflow-command escaping, as GitHub's @actions/core does it. */
  const escapeData = (v: string) => v.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  const escapeProperty = (v: string) => escapeData(v).replace(/:/g, "%3A").replace(/,/g, "%2C");

  it("github: one workflow command per finding, in json's order, then the summary", async () => {
    const r = await s.run(["check", "--format", "github"]);
    expect(r.code).toBe(1);
    expect(r.stdout.endsWith("\n")).toBe(true);
    const lines = r.stdout.slice(0, -1).split("\n");
    expect(lines).toHaveLength(json.findings.length + 1);
    for (const [i, f] of json.findings.entries()) {
      const line = lines[i] as string;
      const props = [`file=${escapeProperty(f.file)}`, ...(f.line !== undefined ? [`line=${f.line}`] : [])];
      const message = f.fix === undefined ? f.message : `${f.message}\nfix: ${f.fix}`;
      expect(line).toBe(`::${f.severity} ${props.join(",")},title=lockstep ${f.code}::${escapeData(message)}`);
      expect(line).toMatch(/^::(error|warning) file=[^,:\n]+(,line=[1-9][0-9]*)?,title=lockstep [a-z-]+::[^\n]+$/);
      if (f.fix !== undefined) expect(line).toContain("%0Afix: ");
    }
    expect(lines.find((l) => l.includes(LEAK.replace(",", "%2C")))).toMatch(
      /^::error file=notes%2Cv2\.txt,line=2,title=lockstep plaintext-secret::/,
    );
    expect(lines.find((l) => l.includes("codeowners-drift"))).toBe(
      "::warning file=.github/CODEOWNERS,title=lockstep codeowners-drift::CODEOWNERS differs from the approvers in access.yaml%0Afix: lockstep codeowners --write",
    );
    const { errors, warnings, secrets } = json.summary;
    expect(lines.at(-1)).toBe(
      `lockstep check: ${errors} errors, ${warnings} warning${warnings === 1 ? "" : "s"} in ${secrets} secrets`,
    );
  });

  /** Splits a markdown table row on the pipes that are not escaped. */
  const cells = (row: string) =>
    row
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
  const unescapeCell = (c: string) => c.replace(/\\\|/g, "|").replace(/<br>/g, "\n");

  it("markdown: heading, summary, table header, one row per finding with pipes escaped", async () => {
    const r = await s.run(["check", "--format", "markdown"]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n");
    const { errors, warnings, secrets } = json.summary;
    expect(lines.slice(0, 6)).toEqual([
      "### :x: lockstep check failed",
      "",
      `${errors} errors, ${warnings} warning${warnings === 1 ? "" : "s"} in ${secrets} secrets.`,
      "",
      "| | Finding | File | Secret | What | Fix |",
      "|---|---|---|---|---|---|",
    ]);
    const rows = lines.slice(6);
    expect(rows.at(-1)).toBe("");
    expect(rows).toHaveLength(json.findings.length + 1);
    for (const [i, f] of json.findings.entries()) {
      const row = rows[i] as string;
      expect(row.startsWith("| ") && row.endsWith(" |")).toBe(true);
      const c = cells(row);
      expect(c).toHaveLength(6);
      expect(c[0]).toBe(f.severity === "error" ? ":x:" : ":warning:");
      expect(c[1]).toBe(`\`${f.code}\``);
      expect(unescapeCell(c[2] as string)).toBe(`\`${f.line === undefined ? f.file : `${f.file}:${f.line}`}\``);
      expect(c[3]).toBe(f.id === undefined ? "" : `\`${f.id}\``);
      expect(unescapeCell(c[4] as string)).toBe(f.message);
      expect(unescapeCell(c[5] as string)).toBe(f.fix ?? "");
      expect(row).not.toMatch(/[^\\]\|[^ ]|[^ \\]\|/); // every unescaped pipe is a column border
    }
    const ghost = rows.find((row) => row.includes("unknown-member")) as string;
    expect(ghost).toContain('"ops\\|oncall"');
    expect(ghost).not.toMatch(/ops\|oncall/);
    expect(rows.find((row) => row.includes(`\`${manifestFile(BROKEN)}:`))).toContain("<br>");
  });

  it("text: findings grouped by file, line numbers, fixes, and the summary", async () => {
    const r = await s.run(["check"]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toMatch(/^\d+ errors, 1 warning in \d+ secrets$/);
    expect(lines).toContain(LEAK);
    expect(lines[lines.indexOf(LEAK) + 1]).toMatch(/^\s+2 {2}error {4}plaintext-secret {2}this tracked file/);
    expect(lines).toContain(".github/CODEOWNERS");
    expect(lines[lines.indexOf(".github/CODEOWNERS") + 1]).toMatch(/^ {7}warning {2}codeowners-drift/);
    expect(r.stdout).not.toContain(`${String.fromCharCode(27)}[`); // NO_COLOR
  });
});

describe("the offboarding story: bob leaves", () => {
  const IDS = ["production/api/token", "production/db/password", "staging/db/password"];
  const WITH_BOB = DEFAULT_RULES.replace(/readers: \[platform, ci\]/g, "readers: [platform, ci, bob]");
  let s: Sandbox;

  interface ExposureJson {
    member: string;
    versions: { id: string; version: number; live: boolean; stages: string[] }[];
    rotate: string[];
  }
  const exposure = async (): Promise<ExposureJson> =>
    JSON.parse(expectOk(await s.run(["exposure", "bob", "--json"])).stdout);

  beforeAll(async () => {
    s = await makeSandbox({ rules: WITH_BOB });
    await Promise.all(IDS.map(async (id) => expectOk(await s.run(["set", id, "--generate", "password:24"]))));
    await commitAll(s, "three secrets bob can read");
  });
  afterAll(() => s.cleanup());

  it("before: bob reads all three, check is clean", async () => {
    expect((await checkJson(s)).findings).toEqual([]);
    for (const id of IDS) expect((await s.manifest(id)).versions[0]?.recipients.map((r) => r.member)).toContain("bob");
  });

  it("member rm bob: recipients-drift and exposed-to-former-reader for each secret", async () => {
    expectOk(await s.run(["member", "rm", "bob"]));
    const json = await checkJson(s);
    expect(json.summary).toEqual({ secrets: 3, errors: 6, warnings: 0 });
    for (const id of IDS) {
      const mine = json.findings.filter((f) => f.id === id);
      expect(mine.map((f) => f.code).sort(), id).toEqual(["exposed-to-former-reader", "recipients-drift"]);
      for (const f of mine) {
        expect(f.file).toBe(manifestFile(id));
        expect(f.message).toMatch(/bob/);
        expect(f.line).toBeGreaterThan(0);
      }
    }
  });

  it("exposure bob: each version, live on every stage", async () => {
    const e = await exposure();
    expect(e.versions.map((v) => [v.id, v.version, v.live, v.stages])).toEqual(
      IDS.map((id) => [id, 1, true, ["canary", "stable"]]),
    );
    expect(e.rotate).toEqual(IDS);
    const text = expectOk(await s.run(["exposure", "bob"])).stdout;
    for (const id of IDS) expect(text).toMatch(new RegExp(`${id}\\s+v1\\s+live \\(canary, stable\\)`));
  });

  it("rekey: the drift is gone, the exposure remains (for check and for exposure)", async () => {
    expectOk(await s.as("alice", ["rekey"]));
    const json = await checkJson(s);
    expect(json.findings.map((f) => [f.code, f.id])).toEqual(IDS.map((id) => ["exposed-to-former-reader", id]));
    for (const id of IDS) {
      const v1 = (await s.manifest(id)).versions[0] as {
        recipients: { member: string }[];
        formerRecipients?: { member: string }[];
      };
      expect(v1.recipients.map((r) => r.member)).not.toContain("bob");
      expect((v1.formerRecipients ?? []).map((r) => r.member)).toContain("bob");
    }
    const e = await exposure();
    expect(e.versions.filter((v) => v.live).map((v) => v.id)).toEqual(IDS);
  });

  it("rotate each: still exposed while a later stage serves version 1", async () => {
    await Promise.all(IDS.map(async (id) => expectOk(await s.run(["rotate", id]))));
    const json = await checkJson(s);
    expect(json.findings.map((f) => [f.code, f.id, f.message.match(/version (\d+)/)?.[1]])).toEqual(
      IDS.map((id) => ["exposed-to-former-reader", id, "1"]),
    );
    const e = await exposure();
    expect(e.versions.map((v) => [v.id, v.live, v.stages])).toEqual(IDS.map((id) => [id, true, ["stable"]]));
  });

  it("promote to every stage: check is clean, and nothing bob could read is live", async () => {
    await Promise.all(IDS.map(async (id) => expectOk(await s.run(["promote", id]))));
    for (const id of IDS) expect((await s.manifest(id)).stages).toEqual({ canary: 2, stable: 2 });
    const r = expectOk(await s.run(["check"]));
    expect(r.stdout).toBe("No problems found in 3 secrets.\n");
    const e = await exposure();
    expect(e.versions.map((v) => [v.id, v.version, v.live])).toEqual(IDS.map((id) => [id, 1, false]));
    expect(e.rotate).toEqual([]);
    expect(expectOk(await s.run(["exposure", "bob"])).stdout).toContain("None of them is live: nothing to rotate.");
    // And bob's key opens none of the new versions.
    for (const r of await Promise.all(IDS.map((id) => s.as("bob", ["get", id])))) expectError(r, 3);
  });
});
