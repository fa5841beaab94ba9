/**
 * The gate against careless and hostile changes (issue 14), through the
 * built CLI in real git repositories: each case is the bad input a reviewer,
 * an attacker with write access to a pull request, or a careless merge
 * produces, and the exit code or finding the user then sees.
 */

import { lstatSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bech32 } from "@scure/base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import {
  childEnv,
  expectError,
  expectOk,
  makeSandbox,
  type RunResult,
  requireBuiltCli,
  runCli,
  runTool,
  type Sandbox,
} from "./helpers.js";
import { commitAll, editManifest, type Finding, git, lineNo, setValue } from "./repo-helpers.js";

requireBuiltCli();

/** An ssh-ed25519 public key line (no comment) for 32 raw bytes: string "ssh-ed25519", string key (RFC 4253 6.6). */
function sshEd25519Line(hex: string): string {
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from("ssh-ed25519")), str(Buffer.from(hex, "hex"))]).toString("base64")}`;
}

/** `check --format json ARGS`, parsed; asserts exit 1 iff an error finding. */
async function check(s: Sandbox, args: string[] = [], who?: "alice" | "bob" | "ci"): Promise<Finding[]> {
  const all = ["check", "--format", "json", ...args];
  const r = who ? await s.as(who, all) : await s.run(all);
  expect(r.stderr).not.toMatch(/^\s{4}at /m);
  const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
  const errors = findings.filter((f) => f.severity === "error");
  expect(r.code, JSON.stringify(findings, null, 2)).toBe(errors.length > 0 ? 1 : 0);
  return findings;
}

const codes = (findings: Finding[]) => findings.map((f) => f.code);

/** The 1-based lines of `text` containing `needle`. */
function linesWith(text: string, needle: string): number[] {
  return text.split("\n").flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
}

/** An age file made by the `age` CLI for the given recipients, holding lockstep's envelope for `id` and `version`. */
async function forge(id: string, version: number, value: string, recipients: string[]): Promise<string> {
  const envelope = JSON.stringify({ lockstep: 1, id, version, value });
  const r = await runTool("age", ["-e", "-a", ...recipients.flatMap((k) => ["-r", k])], { input: envelope });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** `diff REV --format json`. */
async function diffJson(s: Sandbox, rev: string): Promise<{ secrets: Record<string, unknown>[] }> {
  const r = expectOk(await s.run(["diff", rev, "--format", "json"]));
  return JSON.parse(r.stdout) as { secrets: Record<string, unknown>[] };
}

describe("1. a rewritten old version is caught against the base", () => {
  let s: Sandbox;
  const ID = "production/db/password";
  const FILE = `secrets/${ID}.yaml`;
  let pristine = "";
  beforeAll(async () => {
    s = await makeSandbox();
    await setValue(s, ID, "the-real-value-1");
    await setValue(s, ID, "the-real-value-2", "--all-stages");
    await commitAll(s, "base");
    await git(s, "branch", "base");
    pristine = await s.read(FILE);
  });
  afterAll(() => s.cleanup());
  const restore = () => s.write(FILE, pristine);

  it("age -e for the same recipients, lockstep's envelope, another value: get believes it; check --base refuses it", async () => {
    const m = await s.manifest(ID);
    const v1 = m.versions.find((v) => v.version === 1);
    const forged = await forge(ID, 1, "FORGED-VALUE", v1?.recipients.map((r) => r.key) ?? []);
    await editManifest(s, ID, (doc) => doc.setIn(["versions", 1, "ciphertext"], forged));
    // What the issue found: the forgery decrypts, and a keyless check without a base cannot tell.
    expect(expectOk(await s.as("alice", ["get", ID, "--version", "1"])).stdout).toBe("FORGED-VALUE");
    expect(await check(s)).toEqual([]);
    const findings = await check(s, ["--base", "base"]);
    expect(findings).toEqual([
      expect.objectContaining({
        code: "version-rewritten",
        severity: "error",
        file: FILE,
        id: ID,
        line: lineNo(await s.read(FILE), "- version: 1"),
        message: expect.stringMatching(/version 1's ciphertext changed though its recipients did not.*against base/),
      }),
    ]);
    // With a key, the value itself is compared too.
    const decrypted = await check(s, ["--base", "base", "--decrypt"], "alice");
    expect(decrypted).toContainEqual(
      expect.objectContaining({
        code: "version-rewritten",
        message: expect.stringMatching(/another value than at base/),
      }),
    );
    const diff = await diffJson(s, "base");
    expect(diff.secrets).toEqual([expect.objectContaining({ id: ID, rekeyed: [], rewritten: [1] })]);
    const text = expectOk(await s.run(["diff", "base"])).stdout;
    expect(text).toContain("REWRITTEN, not a rekey");
    expect(text).not.toContain("re-encrypted:");
    for (const out of [JSON.stringify(findings), JSON.stringify(decrypted), text]) {
      expect(out).not.toContain("FORGED-VALUE");
      expect(out).not.toContain("the-real-value");
    }
    await restore();
  });

  it("a rekey for a new reader passes, and diff calls it a rekey; with --decrypt the values match", async () => {
    expectOk(await s.run(["member", "add", "bob", "--key", s.keys.bob.recipient, "--group", "platform"]));
    expectOk(await s.as("alice", ["rekey"]));
    const findings = await check(s, ["--base", "base"]);
    expect(codes(findings)).not.toContain("version-rewritten");
    expect(findings).toEqual([]);
    expect(await check(s, ["--base", "base", "--decrypt"], "bob")).toEqual([]);
    const diff = await diffJson(s, "base");
    expect(diff.secrets).toEqual([expect.objectContaining({ id: ID, rekeyed: [1, 2], rewritten: [] })]);
  });

  it("what the keyless gate cannot see: a forged value re-encrypted for the new readers; --decrypt sees it", async () => {
    const m = await s.manifest(ID);
    const v2 = m.versions.find((v) => v.version === 2);
    const forged = await forge(ID, 2, "FORGED-FOR-NEW-READERS", v2?.recipients.map((r) => r.key) ?? []);
    await editManifest(s, ID, (doc) => doc.setIn(["versions", 0, "ciphertext"], forged));
    expect(codes(await check(s, ["--base", "base"]))).toEqual([]);
    const decrypted = await check(s, ["--base", "base", "--decrypt"], "alice");
    expect(decrypted).toEqual([
      expect.objectContaining({
        code: "version-rewritten",
        id: ID,
        line: lineNo(await s.read(FILE), "- version: 2"),
        message: expect.stringMatching(/version 2 decrypts to another value than at base/),
      }),
    ]);
    expect(JSON.stringify(decrypted)).not.toContain("FORGED");
    await restore();
    await git(s, "checkout", "--", "access.yaml");
  });

  it("recipients relabelled without re-encryption: rewritten", async () => {
    await editManifest(s, ID, (doc) => doc.setIn(["versions", 1, "recipients", 0, "member"], "ci"));
    const findings = await check(s, ["--base", "base"]);
    expect(findings).toContainEqual(
      expect.objectContaining({
        code: "version-rewritten",
        message: expect.stringMatching(/recipients changed but its ciphertext did not/),
      }),
    );
    await restore();
  });

  it("renumbered versions and a removed one", async () => {
    await editManifest(s, ID, (doc) => {
      // v2's ciphertext now stands as v3; v1 is gone.
      doc.setIn(["versions", 0, "version"], 3);
      doc.setIn(["stages", "canary"], 3);
      doc.setIn(["stages", "stable"], 3);
      doc.deleteIn(["versions", 1]);
    });
    const findings = await check(s, ["--base", "base"]);
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          code: "version-renumbered",
          severity: "error",
          message: expect.stringMatching(/version 3 holds the ciphertext of version 2 at base/),
        }),
        expect.objectContaining({
          code: "version-removed",
          severity: "warning",
          message: expect.stringMatching(/version 1 of/),
        }),
      ]),
    );
    expect(expectOk(await s.run(["diff", "base"])).stdout).toContain("RENUMBERED: v2 now stands as v3");
    await restore();
  });

  it("a version pruned by hand is a warning only; an unknown base is a usage error", async () => {
    await editManifest(s, ID, (doc) => doc.deleteIn(["versions", 1]));
    const findings = await check(s, ["--base", "base"]);
    expect(findings).toEqual([expect.objectContaining({ code: "version-removed", severity: "warning" })]);
    await restore();
    expectError(await s.run(["check", "--base", "no-such-branch"]), 2, 'unknown revision "no-such-branch"');
  });
});

describe("2. renames are caught with no key, and stray copies break nothing", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    await setValue(s, "production/redis_url", "redis://cache:6379");
    await setValue(s, "production/db/password", "db-password-value");
    await commitAll(s, "base");
    await git(s, "branch", "base");
  });
  afterAll(() => s.cleanup());

  it("git mv of a manifest: check exits 1 naming the way to rename; get exits 4 before decrypting", async () => {
    await git(s, "mv", "secrets/production/redis_url.yaml", "secrets/production/cache_url.yaml");
    const findings = await check(s);
    expect(findings).toEqual([
      expect.objectContaining({
        code: "manifest-moved",
        file: "secrets/production/cache_url.yaml",
        id: "production/cache_url",
        line: 1,
        message: expect.stringContaining("records the secret production/redis_url"),
        fix: expect.stringContaining("lockstep mv production/redis_url production/cache_url"),
      }),
    ]);
    expectError(
      await s.run(["get", "production/cache_url"]),
      4,
      "records the secret production/redis_url, not production/cache_url",
      "lockstep mv",
    );
    expectError(await s.run(["export", "production"]), 4, "moved or copied by hand");
    await git(s, "mv", "secrets/production/cache_url.yaml", "secrets/production/redis_url.yaml");
  });

  it("a manifest written before ids were recorded, moved by hand: check --base names where it came from", async () => {
    const text = await s.read("secrets/production/redis_url.yaml");
    expect(text.split("\n")[0]).toBe("id: production/redis_url");
    await s.write("secrets/production/cache_url.yaml", text.replace(/^id: .*\n/, ""));
    await rm(s.path("secrets/production/redis_url.yaml"));
    expect(await check(s)).toEqual([]);
    const findings = await check(s, ["--base", "base"]);
    expect(findings).toContainEqual(
      expect.objectContaining({
        code: "manifest-moved",
        file: "secrets/production/cache_url.yaml",
        message: expect.stringContaining("is production/redis_url version 1 at base"),
      }),
    );
    await git(s, "checkout", "--", ".");
    await rm(s.path("secrets/production/cache_url.yaml"));
  });

  it("a stray copy 'password copy.yaml': ls and export still work for every other secret; check names it", async () => {
    const copy = "secrets/production/db/password copy.yaml";
    await s.write(copy, await s.read("secrets/production/db/password.yaml"));
    const ls = expectOk(await s.run(["ls"]));
    expect(ls.stdout).toContain("production/db/password");
    expect(ls.stdout).toContain("production/redis_url");
    expect(ls.stderr).toContain(`${copy} is not a manifest of a valid secret id; left out`);
    const exported = expectOk(await s.as("alice", ["export", "production", "--format", "json"]));
    expect(JSON.parse(exported.stdout)).toEqual({ DB_PASSWORD: "db-password-value", REDIS_URL: "redis://cache:6379" });
    const findings = await check(s);
    expect(findings).toEqual([
      expect.objectContaining({
        code: "schema-invalid",
        file: copy,
        message: expect.stringContaining("does not name a valid secret id"),
      }),
    ]);
    await rm(s.path(copy));
  });

  it("a copy under a valid id: the ciphertext in two manifests, found with no key", async () => {
    const text = await s.read("secrets/production/db/password.yaml");
    await s.write("secrets/production/db/password2.yaml", text.replace(/^id: .*\n/, ""));
    const findings = await check(s);
    expect(findings).toEqual([
      expect.objectContaining({
        code: "manifest-moved",
        file: "secrets/production/db/password2.yaml",
        message: expect.stringContaining("also in secrets/production/db/password.yaml"),
      }),
    ]);
    await rm(s.path("secrets/production/db/password2.yaml"));
  });
});

describe("3. merges that keep both sides", () => {
  let s: Sandbox;
  const ID = "production/api/token";
  const FILE = `secrets/${ID}.yaml`;
  beforeAll(async () => {
    s = await makeSandbox();
    // A clone where nobody ran `lockstep setup-git` (git does not clone .git/config): no merge driver,
    // so git writes its conflict markers. (With the driver, test/e2e/merge.test.ts.)
    await runTool("git", ["config", "--remove-section", "merge.lockstep"], { cwd: s.repo, env: childEnv(s.home) });
    await setValue(s, ID, "token-one");
    await commitAll(s, "base");
  });
  afterAll(() => s.cleanup());

  it("two branches each add version 2: git's conflict markers are a finding saying how to resolve; get names them", async () => {
    await git(s, "checkout", "-q", "-b", "left");
    await setValue(s, ID, "token-left");
    await commitAll(s, "left");
    await git(s, "checkout", "-q", "main");
    await git(s, "checkout", "-q", "-b", "right");
    await setValue(s, ID, "token-right");
    await commitAll(s, "right");
    const merge = await runTool("git", ["merge", "left"], { cwd: s.repo, env: childEnv(s.home) });
    expect(merge.code).not.toBe(0);
    const text = await s.read(FILE);
    expect(text).toMatch(/^<<<<<<< /m);
    const findings = await check(s);
    expect(findings).toEqual([
      expect.objectContaining({
        code: "merge-conflict",
        severity: "error",
        file: FILE,
        line: lineNo(text, "<<<<<<<"),
        fix: expect.stringContaining("git checkout --ours"),
      }),
    ]);
    expectError(
      await s.as("alice", ["get", ID]),
      1,
      `${FILE}:${lineNo(text, "<<<<<<<")}`,
      "unresolved git merge conflict",
    );
    await git(s, "merge", "--abort");
  });

  it("both sides kept by hand, two versions 2: get, get --version 2 and export exit 4; check reports it", async () => {
    // The union of both sides, as a hand resolution (or `merge=union`) leaves it.
    const left = await git(s, "show", `left:${FILE}`);
    const right = parseDocument(await s.read(FILE));
    const leftDoc = parseDocument(left);
    const ours = right.getIn(["versions"]) as { items: unknown[] };
    ours.items.splice(1, 0, (leftDoc.getIn(["versions"]) as { items: unknown[] }).items[0]);
    await s.write(FILE, right.toString());
    expectError(await s.as("alice", ["get", ID]), 4, "version 2 appears more than once", "refusing to choose");
    expectError(await s.as("alice", ["get", ID, "--version", "2"]), 4, "version 2 appears more than once");
    expectError(await s.as("alice", ["export", "production"]), 4, "version 2 appears more than once");
    const findings = await check(s);
    expect(findings).toContainEqual(
      expect.objectContaining({
        code: "versions-invalid",
        file: FILE,
        line: linesWith(await s.read(FILE), "- version: 2")[1],
        message: expect.stringContaining("version 2 appears more than once"),
      }),
    );
  });

  it("versions out of order: refused; the newest is the highest number (status and show agree)", async () => {
    await git(s, "checkout", "-q", "--", FILE);
    await editManifest(s, ID, (doc) => {
      const versions = doc.getIn(["versions"]) as { items: unknown[] };
      versions.items.reverse(); // 1 then 2
    });
    expectError(await s.as("alice", ["get", ID]), 4, "version 2 comes after version 1");
    expect(codes(await check(s))).toEqual(["versions-invalid"]);
    const show = JSON.parse(expectOk(await s.run(["show", ID, "--json"])).stdout) as { latest: number };
    expect(show.latest).toBe(2);
    await git(s, "checkout", "-q", "--", FILE);
    expect(expectOk(await s.as("alice", ["get", ID])).stdout).toBe("token-right");
  });
});

describe("4. symlinks: every command sees the same secrets; links out of the work tree are refused", () => {
  let s: Sandbox;
  let outside: string;
  beforeAll(async () => {
    s = await makeSandbox();
    await setValue(s, "staging/app/key", "staging-key-value");
    await setValue(s, "production/app/key", "production-key-value");
    // secrets/staging is a link to a folder elsewhere in the repository.
    await mkdir(s.path("shared"), { recursive: true });
    await rename(s.path("secrets/staging"), s.path("shared/staging"));
    await symlink("../shared/staging", s.path("secrets/staging"));
    outside = await mkdtemp(join(tmpdir(), "lockstep-outside-"));
  });
  afterAll(async () => {
    await s.cleanup();
    await rm(outside, { recursive: true, force: true });
  });

  it("secrets/<env> a link inside the repository: ls, check, status, export and rekey all see its secrets", async () => {
    expect(expectOk(await s.run(["ls"])).stdout).toContain("staging/app/key");
    expect(expectOk(await s.run(["ls", "staging"])).stdout).toContain("staging/app/key");
    const r = expectOk(await s.run(["check"]));
    expect(r.stdout).toBe("No problems found in 2 secrets.\n");
    expect(JSON.parse(expectOk(await s.as("alice", ["export", "staging", "--format", "json"])).stdout)).toEqual({
      APP_KEY: "staging-key-value",
    });
    expectOk(await s.run(["member", "add", "bob", "--key", s.keys.bob.recipient, "--group", "platform"]));
    const rekey = expectOk(await s.as("alice", ["rekey"]));
    expect(rekey.stdout).toContain("staging/app/key");
    expect(rekey.stdout).toContain("production/app/key");
    expect(expectOk(await s.as("bob", ["get", "staging/app/key"])).stdout).toBe("staging-key-value");
  });

  it("CODEOWNERS gives the linked manifest's real path the same owners (git records its changes there)", async () => {
    expectOk(await s.run(["member", "add", "alice", "--key", s.keys.alice.recipient, "--github", "alice-gh"]));
    const lines = expectOk(await s.run(["codeowners"])).stdout.split("\n");
    expect(lines).toContain("/secrets/staging/app/key.yaml @alice-gh");
    expect(lines).toContain("/shared/staging/app/key.yaml @alice-gh");
    expect(lines.filter((l) => l.startsWith("/shared/"))).toHaveLength(1);
  });

  it("a manifest that is a link out of the repository: get and ls refuse it (exit 1), check reports it", async () => {
    await writeFile(join(outside, "evil.yaml"), await s.read("secrets/production/app/key.yaml"));
    await symlink(join(outside, "evil.yaml"), s.path("secrets/production/app/evil.yaml"));
    expectError(
      await s.as("alice", ["get", "production/app/evil"]),
      1,
      "secrets/production/app/evil.yaml is a link to",
      "outside the repository",
    );
    expectError(await s.run(["ls"]), 1, "outside the repository");
    expectError(await s.as("alice", ["export", "production"]), 1, "outside the repository");
    const findings = await check(s);
    expect(findings).toEqual([
      expect.objectContaining({ code: "link-outside", file: "secrets/production/app/evil.yaml" }),
    ]);
    await rm(s.path("secrets/production/app/evil.yaml"));
  });

  it("secrets/ itself a link out of the repository: set writes nothing there (exit 1); check reports it", async () => {
    await rename(s.path("secrets"), join(outside, "secrets"));
    await symlink(join(outside, "secrets"), s.path("secrets"));
    const before = await readFile(join(outside, "secrets/production/app/key.yaml"), "utf8");
    expectError(
      await s.run(["set", "production/app/new"], { input: "x" }),
      1,
      "secrets is a link to",
      "outside the repository",
    );
    expectError(await s.run(["set", "production/app/key"], { input: "x" }), 1, "outside the repository");
    expect(await readFile(join(outside, "secrets/production/app/key.yaml"), "utf8")).toBe(before);
    await expect(readFile(join(outside, "secrets/production/app/new.yaml"))).rejects.toThrow();
    const findings = await check(s);
    expect(findings).toEqual([expect.objectContaining({ code: "link-outside", file: "secrets" })]);
    expect(await readlink(s.path("secrets"))).toBe(join(outside, "secrets"));
  });
});

describe("5. ids git cannot hold, or that alias", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    await setValue(s, "production/db/password", "pw");
  });
  afterAll(() => s.cleanup());

  it("a .git segment, in any case and with trailing dots, is refused with exit 2 and the rule", async () => {
    for (const id of ["production/.git/config", "production/.GIT/x", "production/.git./x", "production/a/.git../b"]) {
      expectError(await s.run(["set", id], { input: "v" }), 2, "git cannot hold a .git folder");
    }
  });

  it("an id that differs from an existing one only by case: set refuses it (exit 2); check reports hand-made ones", async () => {
    expectError(
      await s.run(["set", "production/DB/password"], { input: "v" }),
      2,
      "differs from the existing secret production/db/password only by case",
    );
    expectError(await s.run(["set", "production/db/Password"], { input: "v" }), 2, "only by case");
    await s.write("secrets/production/DB/other.yaml", await s.read("secrets/production/db/password.yaml"));
    const findings = await check(s);
    expect(findings).toContainEqual(
      expect.objectContaining({
        code: "id-collision",
        severity: "error",
        id: "production/db/password",
        message: expect.stringContaining(
          "production/db/password and production/DB/other differ only by case (secrets/production/db)",
        ),
      }),
    );
  });
});

describe("6. variables that steer execution", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    await setValue(s, "production/db/password", "pw");
    await commitAll(s, "base");
  });
  afterAll(() => s.cleanup());

  it("set and import refuse them (exit 1, nothing written) unless lockstep.yaml allows them by name", async () => {
    expectError(
      await s.run(["set", "production/path"], { input: "/tmp/evil" }),
      1,
      "exports as PATH",
      "allowVariables: [PATH]",
    );
    expectError(await s.run(["set", "production/ld_preload"], { input: "/tmp/x.so" }), 1, "exports as LD_PRELOAD");
    const r = await s.run(["import", "production", "--format", "dotenv"], {
      input: "API_KEY=fine\nBASH_ENV=/tmp/evil.sh\n",
    });
    expectError(r, 1, "exports as BASH_ENV");
    expect(lstatSync(s.path("secrets/production/api_key.yaml"), { throwIfNoEntry: false })).toBeUndefined();
    await s.write("lockstep.yaml", `${await s.read("lockstep.yaml")}allowVariables: [NODE_OPTIONS]\n`);
    expectOk(await s.run(["set", "production/node_options"], { input: "--max-old-space-size=512" }));
    expectOk(await s.run(["import", "production"], { input: "NODE_OPTIONS=--enable-source-maps\n" }));
  });

  it("a manifest edited to export as one: check and diff report it, exec refuses to run", async () => {
    await editManifest(s, "production/db/password", (doc) => doc.set("env", "LD_PRELOAD"));
    const findings = await check(s);
    expect(findings).toContainEqual(
      expect.objectContaining({
        code: "steering-variable",
        id: "production/db/password",
        line: lineNo(await s.read("secrets/production/db/password.yaml"), "env: LD_PRELOAD"),
        message: expect.stringContaining("exports as LD_PRELOAD"),
      }),
    );
    const diff = await diffJson(s, "HEAD");
    expect(diff.secrets).toContainEqual(
      expect.objectContaining({ id: "production/db/password", steering: { name: "LD_PRELOAD", allowed: false } }),
    );
    expect(expectOk(await s.run(["diff"])).stdout).toContain(
      "exports as LD_PRELOAD, a variable that steers what a process runs (not allowed",
    );
    const r = await s.as("alice", ["exec", "production", "--", "sh", "-c", "echo ran"]);
    expectError(r, 1, "exports as LD_PRELOAD");
    expect(r.stdout).not.toContain("ran");
  });
});

describe("7. export --out inside the work tree is refused for every spelling", () => {
  let s: Sandbox;
  let outside: string;
  beforeAll(async () => {
    s = await makeSandbox();
    await setValue(s, "production/db/password", "out-value");
    outside = await mkdtemp(join(tmpdir(), "lockstep-out-"));
  });
  afterAll(async () => {
    await s.cleanup();
    await rm(outside, { recursive: true, force: true });
  });

  it("./..env and a name inside a folder named ..x: refused (exit 2), nothing written", async () => {
    for (const out of ["./..env", "..env", "./..secrets/x.env"]) {
      expectError(
        await s.as("alice", ["export", "production", "--out", out]),
        2,
        "inside the repository's working tree",
      );
    }
    expect(lstatSync(s.path("..env"), { throwIfNoEntry: false })).toBeUndefined();
  });

  it("a link in the work tree to a file outside: refused; a link outside to a file inside: replaced, never its target", async () => {
    const target = join(outside, "target.env");
    await writeFile(target, "untouched\n");
    await symlink(target, s.path("link.env"));
    expectError(
      await s.as("alice", ["export", "production", "--out", "link.env"]),
      2,
      "inside the repository's working tree",
    );
    expect(await readFile(target, "utf8")).toBe("untouched\n");
    await writeFile(s.path("inside.env"), "inside\n");
    const link = join(outside, "out.env");
    await symlink(s.path("inside.env"), link);
    expectOk(await s.as("alice", ["export", "production", "--out", link]));
    expect(await readFile(s.path("inside.env"), "utf8")).toBe("inside\n");
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(await readFile(link, "utf8")).toContain("out-value");
  });

  it("--format files into a folder that is a link into the work tree: refused", async () => {
    await mkdir(s.path("plain"), { recursive: true });
    await symlink(s.path("plain"), join(outside, "dir"));
    expectError(
      await s.as("alice", ["export", "production", "--format", "files", "--out", join(outside, "dir")]),
      2,
      "working tree",
    );
  });

  it("a checkout whose folder name ends in a space", async () => {
    const spaced = `${s.repo} `;
    await rename(s.repo, spaced);
    try {
      const r = await runCli(
        ["--identity", s.keys.alice.file, "export", "production", "--out", join(spaced, "x.env")],
        spaced,
        childEnv(s.home),
      );
      expectError(r, 2, "inside the repository's working tree");
      expect(lstatSync(join(spaced, "x.env"), { throwIfNoEntry: false })).toBeUndefined();
    } finally {
      await rename(spaced, s.repo);
    }
  });
});

describe("8. exposure: no false comfort", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
    expectOk(await s.run(["member", "add", "bob", "--key", s.keys.bob.recipient, "--group", "platform"]));
    await setValue(s, "production/db/password", "pw1");
    await setValue(s, "production/api/key", "k1");
    await commitAll(s, "bob reads");
    expectOk(await s.run(["member", "rm", "bob"]));
    await commitAll(s, "bob leaves");
  });
  afterAll(() => s.cleanup());

  it("a typo is an error with a did-you-mean (exit 1), never 'could never decrypt'", async () => {
    const r = await s.run(["exposure", "alcie"]);
    expectError(r, 1, 'no member "alcie"', "did you mean alice?");
    expect(r.stdout).not.toContain("could never decrypt");
  });

  it("a former member: what to rotate; a current member: told so, not told to rotate", async () => {
    const bob = expectOk(await s.run(["exposure", "bob"]));
    expect(bob.stdout).toContain("Rotate, then promote to every stage: production/api/key, production/db/password");
    const alice = expectOk(await s.run(["exposure", "alice"]));
    expect(alice.stdout).toContain("alice is a current member of access.yaml");
    expect(alice.stdout).not.toContain("Rotate, then promote");
    const json = JSON.parse(expectOk(await s.run(["exposure", "alice", "--json"])).stdout) as { current: boolean };
    expect(json.current).toBe(true);
  });

  it("a manifest it cannot read: an error naming the file (exit 1)", async () => {
    const file = "secrets/production/api/key.yaml";
    const text = await s.read(file);
    await s.write(file, "versions: [unclosed\n");
    const r = await s.run(["exposure", "bob"]);
    expectError(r, 1, `${file} cannot be read`);
    expect(r.stdout).not.toContain("nothing to rotate");
    await s.write(file, text);
  });

  it("a shallow clone: the report, a warning and exit 1, unless told the history is complete enough", async () => {
    const clone = join(s.home, "shallow");
    const r = await runTool("git", ["clone", "-q", "--depth", "1", `file://${s.repo}`, clone], {
      env: childEnv(s.home),
    });
    expect(r.code, r.stderr).toBe(0);
    const run = (args: string[]): Promise<RunResult> => runCli(args, clone, childEnv(s.home));
    const shallow = await run(["exposure", "bob"]);
    expect(shallow.code).toBe(1);
    expect(shallow.stderr).toContain("shallow clone");
    expect(shallow.stderr).toContain("--allow-shallow");
    expect(expectOk(await run(["exposure", "bob", "--allow-shallow"])).stderr).toContain("shallow clone");
  });
});

describe("9. access.yaml: a key claimed twice, and low-order X25519 keys", () => {
  let s: Sandbox;
  /** The all-zero X25519 public key, and a point of order 8 (libsodium's blocklist). */
  const ZERO = bech32.encodeFromBytes("age", new Uint8Array(32));
  const ORDER8 = bech32.encodeFromBytes(
    "age",
    Uint8Array.from(Buffer.from("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", "hex")),
  );
  beforeAll(async () => {
    s = await makeSandbox();
  });
  afterAll(() => s.cleanup());

  it("member add refuses a low-order key as an invalid recipient (exit 1)", async () => {
    for (const key of [ZERO, ORDER8]) {
      expectError(await s.run(["member", "add", "eve", "--key", key]), 1, "is not a valid age recipient");
    }
    expect(await s.read("access.yaml")).not.toMatch(/^ {2}eve:/m);
  });

  it("check: invalid-recipient for a low-order key written by hand; set says so instead of an OpenSSL error", async () => {
    const text = await s.read("access.yaml");
    await s.write("access.yaml", text.replace(`recipients: [ ${s.keys.ci.recipient} ]`, `recipients: [ ${ZERO} ]`));
    expect(await s.read("access.yaml")).toContain(ZERO);
    expect(codes(await check(s))).toEqual(["invalid-recipient"]);
    const r = await s.run(["set", "production/x"], { input: "v" });
    expectError(r, 1, "member ci has an invalid recipient");
    expect(r.stderr).not.toMatch(/OpenSSL|internal error|derivation/);
    await s.write("access.yaml", text);
  });

  it("one key claimed by two members: duplicate-recipient at the second claim", async () => {
    const text = await s.read("access.yaml");
    await s.write(
      "access.yaml",
      text.replace(`recipients: [ ${s.keys.bob.recipient} ]`, `recipients: [ ${s.keys.alice.recipient} ]`),
    );
    const findings = await check(s);
    expect(findings).toEqual([
      expect.objectContaining({
        code: "duplicate-recipient",
        severity: "error",
        file: "access.yaml",
        line: lineNo(await s.read("access.yaml"), "  bob:") + 1,
        message: expect.stringContaining("members alice and bob both claim the key"),
      }),
    ]);
    await s.write("access.yaml", text);
  });

  it("an SSH key of a small-order point is refused like a low-order age key (exit 1)", async () => {
    // y = -1, the Ed25519 point of order 2: as X25519 it is u = 0.
    const r = await s.run(["member", "add", "eve", "--key", sshEd25519Line(`ec${"ff".repeat(30)}7f`)]);
    expectError(r, 1, "is not a valid age recipient");
    expect(await s.read("access.yaml")).not.toMatch(/^ {2}eve:/m);
  });

  it("one SSH key under two comments is one key: member add refuses it for a second member; check reports it", async () => {
    const key = sshEd25519Line(Buffer.from(ed25519.getPublicKey(new Uint8Array(32).fill(9))).toString("hex"));
    expectOk(await s.run(["member", "add", "dora", "--key", `${key} dora@laptop`]));
    const r = await s.run(["member", "add", "eve", "--key", `${key} eve@desktop`]);
    expectError(r, 1, "member dora already holds this key");
    expect(await s.read("access.yaml")).not.toMatch(/^ {2}eve:/m);
    const text = await s.read("access.yaml");
    await s.write(
      "access.yaml",
      text.replace(`recipients: [ ${s.keys.bob.recipient} ]`, `recipients: [ "${key} bob@elsewhere" ]`),
    );
    expect(await check(s)).toEqual([
      expect.objectContaining({
        code: "duplicate-recipient",
        message: expect.stringContaining(`members bob and dora both claim the key ssh-ed25519 ...${key.slice(-12)}`),
      }),
    ]);
    await s.write("access.yaml", text);
  });
});

describe("10. no part of a value in any error", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
  });
  afterAll(() => s.cleanup());

  it("import of malformed JSON names the place, never the text around it", async () => {
    for (const input of [
      '{"API_KEY": "s3cr3t-adjacent", oops}',
      '{"API_KEY": "s3cr3t-adjacent" "B": 1}',
      '{"API_KEY": s3cr3t}',
    ]) {
      const r = await s.run(["import", "production", "--format", "json"], { input });
      expectError(r, 1, "not valid JSON");
      expect(r.stderr).not.toContain("s3cr3t");
      expect(r.stderr).not.toContain("oops");
    }
    const r = await s.run(["import", "production", "--format", "json"], { input: '{\n  "A": "x",\n  "B": "y" "C"\n}' });
    expectError(r, 1, ":3: not valid JSON (column 12)");
  });

  it("import of malformed YAML names the line, column and kind of fault, never the text at it", async () => {
    // Each value is read by YAML as syntax (a tag, an alias, an escape, a directive), whose name the parser quotes.
    for (const [input, kind] of [
      ["A: ok\nAPI_KEY: !s3cr3t-tag\n", "an unknown tag"],
      ["A: ok\nAPI_KEY: *s3cr3t-alias\n", "an alias (*name) with no anchor"],
      ['A: ok\nAPI_KEY: "s3cr3t\\qescape"\n', "an invalid escape sequence"],
      ["A: ok\nAPI_KEY: `s3cr3t-backtick\n", "a plain value starting with a reserved character"],
      ["A: ok\nAPI_KEY: |s3cr3t-header\n  x\n", "not valid YAML"],
    ] as const) {
      const r = await s.run(["import", "production", "--format", "yaml"], { input });
      expectError(r, 1, kind);
      expect(r.stderr).toContain(":2:");
      expect(r.stderr).not.toContain("s3cr3t");
    }
  });

  it("a json value that does not parse, or breaks its schema, is described without its content", async () => {
    const r = await s.run(["set", "production/conf", "--type", "json"], { input: '{"password": "hunter2-x", }' });
    expectError(r, 1, "the value is not valid JSON");
    expect(r.stderr).not.toContain("hunter2");
    await s.write(
      "schemas/conf.schema.json",
      JSON.stringify({ type: "object", properties: { port: { type: "integer" } }, additionalProperties: false }),
    );
    const bad = await s.run(["set", "production/conf", "--type", "json", "--schema", "conf"], {
      input: '{"port": "hunter2-port", "hunter2-key": true}',
    });
    expectError(
      bad,
      1,
      'breaks schema "conf"',
      "the value at port must be integer",
      "must NOT have additional properties",
    );
    expect(bad.stderr).not.toContain("hunter2");
  });
});
