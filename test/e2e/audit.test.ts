/**
 * `lockstep audit` through the built CLI, over a scripted history in which a
 * different person makes each commit, on fixed dates: init and members,
 * set, rotate, promote --commit, rotate, rollback --commit, member add,
 * rekey, an import of five variables in one commit, a `git rm`, a `git mv`,
 * and a branch with a rotation merged back with --no-ff. Some commits are
 * signed with an SSH key made by the test. Every event is asserted; then
 * the filters, --require-signed, a shallow clone, an empty repository, a
 * secrets repository in a subfolder of its git repository, and that no
 * output ever carries a value or a ciphertext.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  childEnv,
  expectError,
  expectOk,
  gitInit,
  makeSandbox,
  type RunResult,
  requireBuiltCli,
  runCli,
  runTool,
  type Sandbox,
} from "./helpers.js";

requireBuiltCli();

/** An audit event as `audit --json` prints it. */
interface Event {
  kind: string;
  time: string;
  commit: string;
  author: { name: string; email: string; time: string };
  committer: { name: string; email: string; time: string };
  signature: string;
  signed: boolean;
  subject: string;
  id?: string;
  versions?: number[];
  stages?: { stage: string; from?: number; to?: number }[];
  changes?: { kind: string; subject: string; detail?: string }[];
  renamed?: string;
}

interface Person {
  name: string;
  email: string;
}

const P = {
  ann: { name: "Ann Admin", email: "ann@corp.test" },
  dana: { name: "Dana Dev", email: "dana@corp.test" },
  rita: { name: "Rita Rotator", email: "rita@corp.test" },
  pat: { name: "Pat Promoter", email: "pat@corp.test" },
  rob: { name: "Rob Rollback", email: "rob@corp.test" },
  mia: { name: "Mia Manager", email: "mia@corp.test" },
  kim: { name: "Kim Keys", email: "kim@corp.test" },
  ivan: { name: "Ivan Importer", email: "ivan@corp.test" },
  del: { name: "Del Deleter", email: "del@corp.test" },
  ren: { name: "Ren Renamer", email: "ren@corp.test" },
  bea: { name: "Bea Branch", email: "bea@corp.test" },
  sam: { name: "Sam Staging", email: "sam@corp.test" },
  mo: { name: "Mo Merger", email: "mo@corp.test" },
  gina: { name: "Gina Gatekeeper", email: "gina@corp.test" },
} satisfies Record<string, Person>;

/** Author and committer (and their dates) for one commit. */
function who(author: Person, day: string, committer: Person = author): Record<string, string> {
  const date = `${day}T12:00:00+00:00`;
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
    GIT_COMMITTER_DATE: date,
  };
}

const at = (day: string) => `${day}T12:00:00+00:00`;

const DB = "production/db/password";
const SMTP = "production/smtp_password";
const IMPORTED = ["api_key", "legacy_cert", "old_token", "smtp_password", "stripe_secret"].map(
  (k) => `production/${k}`,
);
const STAGING = "staging/app/token";
const RENAMED = "production/archive/legacy_cert";

/** Distinctive values, none of which may ever appear in audit's output. */
const VALUES = {
  db1: "DBPASS-v1-Zq8xWc3r-never-print-me",
  staging: "STAGING-token-Kp4mN7vB-never-print-me",
  import: {
    API_KEY: "IMPORT-api-key-Hx2tQ9-never-print-me",
    SMTP_PASSWORD: "IMPORT-smtp-Lm5wR1-never-print-me",
    STRIPE_SECRET: "IMPORT-stripe-Vb7yE3-never-print-me",
    OLD_TOKEN: "IMPORT-old-token-Ns6uJ8-never-print-me",
    LEGACY_CERT: "IMPORT-legacy-cert-Gd4kP2-never-print-me",
  },
};

/** The fields asserted event by event (absent ones left out). */
function view(e: Event) {
  return {
    kind: e.kind,
    commit: e.commit,
    author: e.author.name,
    ...(e.id !== undefined && { id: e.id }),
    ...(e.versions !== undefined && { versions: e.versions }),
    ...(e.stages !== undefined && { stages: e.stages }),
    ...(e.renamed !== undefined && { renamed: e.renamed }),
  };
}

function parseEvents(r: RunResult): Event[] {
  expectOk(r);
  const events = JSON.parse(r.stdout) as Event[];
  expect(Array.isArray(events)).toBe(true);
  return events;
}

describe("audit over a scripted history", () => {
  let s: Sandbox;
  /** The commit of each step. */
  const c: Record<string, string> = {};
  /** Every value the history ever held (read back with `get` where generated). */
  const values: string[] = [VALUES.db1, VALUES.staging, ...Object.values(VALUES.import)];
  let full: Event[];

  const git = async (args: readonly string[], env: Record<string, string> = {}, cwd?: string) => {
    const r = await runTool("git", args, { cwd: cwd ?? s.repo, env: childEnv(s.home, env) });
    expect(r.code, `git ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return r.stdout.trim();
  };
  const head = () => git(["rev-parse", "HEAD"]);
  /** Stages everything and commits it as `author` on `day`. */
  const commit = async (step: string, env: Record<string, string>, message: string, ...flags: string[]) => {
    await git(["add", "-A"]);
    await git(["commit", "-q", ...flags, "-m", message], env);
    c[step] = await head();
  };
  const cli = async (args: readonly string[], env: Record<string, string> = {}, input?: string) =>
    expectOk(await s.run(args, { env, ...(input !== undefined && { input }) }));
  const audit = (...args: string[]) => s.run(["audit", ...args]);
  const auditJson = async (...args: string[]) => parseEvents(await audit(...args, "--json"));

  beforeAll(async () => {
    s = await makeSandbox();
    // An SSH signing key made here; git checks signatures against it.
    const sshKey = join(s.home, "signing-key");
    const gen = await runTool("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "audit-test", "-f", sshKey]);
    expect(gen.code, gen.stderr).toBe(0);
    const pub = (await runTool("cat", [`${sshKey}.pub`])).stdout.trim();
    await writeFile(join(s.home, "allowed_signers"), `signer@corp.test ${pub}\n`);
    await git(["config", "gpg.format", "ssh"]);
    await git(["config", "user.signingkey", sshKey]);
    await git(["config", "gpg.ssh.allowedSignersFile", join(s.home, "allowed_signers")]);

    // 1. Ann: the repository as init and member add left it (unsigned).
    await commit("init", who(P.ann, "2026-01-05"), "Set up the secrets repository");
    // 2. Dana: a new secret (unsigned).
    await cli(["set", DB], {}, VALUES.db1);
    await commit("set", who(P.dana, "2026-01-10"), "Add the production database password");
    // 3-6 are signed: commit.gpgsign for the commits that promote/rollback --commit make.
    await git(["config", "commit.gpgsign", "true"]);
    // 3. Rita rotates: v2 on canary.
    await cli(["rotate", DB, "--generate", "password:24"]);
    await commit("rotate2", who(P.rita, "2026-01-15"), "Rotate the database password", "-S");
    // 4. Pat promotes with --commit: stable 1 -> 2.
    await cli(["promote", DB, "--commit"], who(P.pat, "2026-01-20"));
    c.promote = await head();
    // 5. Rita rotates again: v3 on canary.
    await cli(["rotate", DB, "--generate", "password:24"]);
    await commit("rotate3", who(P.rita, "2026-01-22"), "Rotate the database password again", "-S");
    // 6. Rob rolls canary back with --commit: 3 -> 2.
    await cli(["rollback", DB, "--commit"], who(P.rob, "2026-01-25"));
    c.rollback = await head();
    await git(["config", "--unset", "commit.gpgsign"]);
    // 7. Mia adds dave to platform; 8. Kim re-encrypts for him.
    const dave = join(s.home, "keys", "dave.txt");
    const kg = expectOk(await s.run(["keygen", "-o", dave]));
    const daveKey = /Public key: (age1\S+)/.exec(kg.stderr)?.[1] as string;
    await cli(["member", "add", "dave", "--key", daveKey, "--group", "platform"]);
    await commit("member", who(P.mia, "2026-02-01"), "Add dave to platform");
    await cli(["--identity", s.keys.alice.file, "rekey"]);
    await commit("rekey", who(P.kim, "2026-02-02"), "Re-encrypt for dave");
    // 9. Ivan imports five variables in one commit.
    const envFile = join(s.home, "import.env");
    await writeFile(
      envFile,
      Object.entries(VALUES.import)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(""),
    );
    await cli(["import", "production", envFile]);
    await commit("import", who(P.ivan, "2026-02-05"), "Import the legacy .env");
    // 10. Del deletes one manifest; 11. Ren moves another.
    await git(["rm", "-q", "secrets/production/old_token.yaml"]);
    await commit("delete", who(P.del, "2026-02-10"), "Drop the old token");
    await mkdir(s.path("secrets/production/archive"), { recursive: true });
    await git(["mv", "secrets/production/legacy_cert.yaml", "secrets/production/archive/legacy_cert.yaml"]);
    await commit("rename", who(P.ren, "2026-02-12"), "Archive the legacy certificate");
    // 12. A branch rotates the SMTP password; main moves on; a --no-ff merge.
    await git(["checkout", "-q", "-b", "rotate-smtp"]);
    await cli(["rotate", SMTP, "--generate", "hex:16"]);
    await commit("branch", who(P.bea, "2026-02-15"), "Rotate the SMTP password");
    await git(["checkout", "-q", "main"]);
    await cli(["set", STAGING], {}, VALUES.staging);
    await commit("main", who(P.sam, "2026-02-16"), "Add the staging app token");
    await git(
      ["merge", "-q", "--no-ff", "-m", "Merge branch rotate-smtp", "rotate-smtp"],
      who(P.mo, "2026-02-18", P.gina),
    );
    c.merge = await head();

    // Generated values, to make sure they never show either.
    for (const v of [2, 3])
      values.push((await cli(["--identity", s.keys.alice.file, "get", DB, "--version", `${v}`])).stdout);
    values.push((await cli(["--identity", s.keys.alice.file, "get", SMTP, "--version", "2"])).stdout);
    full = await auditJson();
  }, 120_000);
  afterAll(() => s?.cleanup());

  it("reports every event, newest first, with kind, author, commit, id, versions and stages", () => {
    const expected = [
      // The merge commit brings nothing of its own.
      {
        kind: "created",
        commit: c.main,
        author: P.sam.name,
        id: STAGING,
        versions: [1],
        stages: [
          { stage: "canary", to: 1 },
          { stage: "stable", to: 1 },
        ],
      },
      {
        kind: "rotated",
        commit: c.branch,
        author: P.bea.name,
        id: SMTP,
        versions: [2],
        stages: [{ stage: "canary", from: 1, to: 2 }],
      },
      {
        kind: "deleted",
        commit: c.rename,
        author: P.ren.name,
        id: "production/legacy_cert",
        versions: [1],
        renamed: RENAMED,
      },
      {
        kind: "created",
        commit: c.rename,
        author: P.ren.name,
        id: RENAMED,
        versions: [1],
        stages: [
          { stage: "canary", to: 1 },
          { stage: "stable", to: 1 },
        ],
        renamed: "production/legacy_cert",
      },
      { kind: "deleted", commit: c.delete, author: P.del.name, id: "production/old_token", versions: [1] },
      ...IMPORTED.map((id) => ({
        kind: "created",
        commit: c.import,
        author: P.ivan.name,
        id,
        versions: [1],
        stages: [
          { stage: "canary", to: 1 },
          { stage: "stable", to: 1 },
        ],
      })),
      { kind: "rekeyed", commit: c.rekey, author: P.kim.name, id: DB, versions: [1, 2, 3] },
      { kind: "access-changed", commit: c.member, author: P.mia.name },
      {
        kind: "rolled-back",
        commit: c.rollback,
        author: P.rob.name,
        id: DB,
        versions: [2],
        stages: [{ stage: "canary", from: 3, to: 2 }],
      },
      {
        kind: "rotated",
        commit: c.rotate3,
        author: P.rita.name,
        id: DB,
        versions: [3],
        stages: [{ stage: "canary", from: 2, to: 3 }],
      },
      {
        kind: "promoted",
        commit: c.promote,
        author: P.pat.name,
        id: DB,
        versions: [2],
        stages: [{ stage: "stable", from: 1, to: 2 }],
      },
      {
        kind: "rotated",
        commit: c.rotate2,
        author: P.rita.name,
        id: DB,
        versions: [2],
        stages: [{ stage: "canary", from: 1, to: 2 }],
      },
      {
        kind: "created",
        commit: c.set,
        author: P.dana.name,
        id: DB,
        versions: [1],
        stages: [
          { stage: "canary", to: 1 },
          { stage: "stable", to: 1 },
        ],
      },
      { kind: "access-changed", commit: c.init, author: P.ann.name },
      { kind: "access-changed", commit: c.init, author: P.ann.name },
    ];
    expect(full.map(view)).toEqual(expected);
    // Every kind is there.
    expect(new Set(full.map((e) => e.kind))).toEqual(
      new Set(["created", "rotated", "promoted", "rolled-back", "rekeyed", "deleted", "access-changed"]),
    );
  });

  it("gives each event its time, author, committer, subject and signature", () => {
    const promoted = full.find((e) => e.kind === "promoted") as Event;
    expect(promoted.time).toBe(at("2026-01-20"));
    expect(promoted.author).toEqual({ ...P.pat, time: at("2026-01-20") });
    expect(promoted.committer).toEqual({ ...P.pat, time: at("2026-01-20") });
    expect(promoted.subject).toBe(`lockstep promote: ${DB}: stable 1 -> 2`);
    const rolledBack = full.find((e) => e.kind === "rolled-back") as Event;
    expect(rolledBack.subject).toBe(`lockstep roll back: ${DB}: canary 3 -> 2`);
    const created = full.find((e) => e.commit === c.set) as Event;
    expect(created.subject).toBe("Add the production database password");
    expect(created.author).toEqual({ ...P.dana, time: at("2026-01-10") });
    for (const e of full) {
      expect(e.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(e.time).toBe(e.author.time);
      expect(e.commit).not.toBe(c.merge);
    }
  });

  it("access-changed events say what changed", () => {
    const [access, config] = full.filter((e) => e.commit === c.init);
    expect(access?.changes).toEqual([
      { kind: "member-added", subject: "alice" },
      { kind: "member-added", subject: "bob" },
      { kind: "member-added", subject: "ci" },
      { kind: "group-added", subject: "platform", detail: "alice" },
      { kind: "rule-added", subject: "staging/**", detail: "readers: platform, ci; approvers: platform" },
      { kind: "rule-added", subject: "production/**", detail: "readers: platform, ci; approvers: platform" },
    ]);
    expect(config?.changes).toEqual([{ kind: "config-changed", subject: "lockstep.yaml" }]);
    const member = full.find((e) => e.commit === c.member);
    expect(member?.changes).toEqual([
      { kind: "member-added", subject: "dave" },
      { kind: "group-changed", subject: "platform", detail: "+dave" },
    ]);
  });

  it("signed: true exactly for the commits signed with the test key", () => {
    const signedCommits = new Set([c.rotate2, c.promote, c.rotate3, c.rollback]);
    for (const e of full) {
      expect(e.signed, `${e.kind} ${e.id} ${e.subject}`).toBe(signedCommits.has(e.commit));
      expect(e.signature).toBe(signedCommits.has(e.commit) ? "G" : "N");
    }
  });

  it("a merge commit adds no event: the branch's rotation is reported once, at its commit", () => {
    const smtp = full.filter((e) => e.id === SMTP);
    expect(smtp.map((e) => [e.kind, e.commit])).toEqual([
      ["rotated", c.branch],
      ["created", c.import],
    ]);
    expect(full.filter((e) => e.commit === c.merge)).toEqual([]);
    expect(full.filter((e) => e.committer.name === P.gina.name)).toEqual([]);
  });

  it("answers: who changed production/db/password, and when did its new version reach stable", async () => {
    const events = await auditJson(DB);
    expect(events.map((e) => [e.kind, e.author.name])).toEqual([
      ["rekeyed", P.kim.name],
      ["rolled-back", P.rob.name],
      ["rotated", P.rita.name],
      ["promoted", P.pat.name],
      ["rotated", P.rita.name],
      ["created", P.dana.name],
    ]);
    // Who made version 2, and when stable first pointed at it.
    const made = events.find((e) => e.kind === "rotated" && e.versions?.includes(2)) as Event;
    expect(made.author).toEqual({ ...P.rita, time: at("2026-01-15") });
    const reached = events.filter(
      (e) => e.kind === "promoted" && e.stages?.some((st) => st.stage === "stable" && st.to === 2),
    );
    expect(reached).toHaveLength(1);
    expect(reached[0]?.commit).toBe(c.promote);
    expect(reached[0]?.time).toBe(at("2026-01-20"));
    expect(reached[0]?.author.name).toBe(P.pat.name);
    // Version 3 never reached stable: it was rolled back off canary.
    expect(events.some((e) => e.stages?.some((st) => st.stage === "stable" && st.to === 3))).toBe(false);

    // The same, as a person reads it.
    const text = expectOk(await audit(DB)).stdout;
    const row = text.split("\n").find((l) => l.includes("promoted"));
    expect(row).toBeDefined();
    expect(row).toContain("2026-01-20 12:00");
    expect(row).toContain(c.promote?.slice(0, 8));
    expect(row).toContain(`${P.pat.name} <${P.pat.email}>`);
    expect(row).toContain(DB);
    expect(row).toMatch(/\bsigned\b/);
    expect(row).toContain("stable v1 -> v2");
    const rotated = text.split("\n").filter((l) => /\brotated\b/.test(l));
    expect(rotated).toHaveLength(2);
    for (const l of rotated) expect(l).toContain(`${P.rita.name} <${P.rita.email}>`);
    expect(text.split("\n").find((l) => l.includes("created"))).toMatch(/unsigned/);
  });

  describe("filters", () => {
    /** Several `audit --json` runs at once. */
    const many = (...calls: string[][]) => Promise.all(calls.map((args) => auditJson(...args)));

    it("an environment: only its secrets' events, no access changes", async () => {
      const [staging, production] = await many(["staging"], ["production"]);
      expect(staging?.map(view)).toEqual(full.filter((e) => e.id === STAGING).map(view));
      expect(staging).toHaveLength(1);
      expect(production?.map(view)).toEqual(full.filter((e) => e.id?.startsWith("production/")).map(view));
      expect(production?.some((e) => e.kind === "access-changed")).toBe(false);
    });

    it("a secret id: that secret only (a renamed one under either id)", async () => {
      const [renamed, old, none] = await many([RENAMED], ["production/legacy_cert"], ["production/nope"]);
      expect(renamed?.map((e) => [e.kind, e.renamed])).toEqual([["created", "production/legacy_cert"]]);
      expect(old?.map((e) => [e.kind, e.renamed ?? null])).toEqual([
        ["deleted", RENAMED],
        ["created", null],
      ]);
      expect(none).toEqual([]);
      expect(expectOk(await audit("production/nope")).stdout).toMatch(/No events/);
    });

    it("--since and --until: commits on those dates", async () => {
      const [range, late, early, future] = await many(
        ["--since", "2026-01-14", "--until", "2026-01-26"],
        ["--since", "2026-02-14"],
        ["--until", "2026-01-11"],
        ["--since", "2030-01-01"],
      );
      expect(range?.map((e) => [e.kind, e.commit])).toEqual([
        ["rolled-back", c.rollback],
        ["rotated", c.rotate3],
        ["promoted", c.promote],
        ["rotated", c.rotate2],
      ]);
      expect(late?.map((e) => e.commit)).toEqual([c.main, c.branch]);
      expect(early?.map((e) => e.commit)).toEqual([c.set, c.init, c.init]);
      expect(future).toEqual([]);
    });

    it("--author: name or email, part of it, any case; not the committer", async () => {
      const [rita, pat, ivan, gina, nobody] = await many(
        ["--author", "rita"],
        ["--author", "PAT@CORP.TEST"],
        ["--author", "Ivan Imp"],
        ["--author", "gina"],
        ["--author", "nobody-at-all"],
      );
      expect(rita?.map((e) => [e.kind, e.commit])).toEqual([
        ["rotated", c.rotate3],
        ["rotated", c.rotate2],
      ]);
      expect(pat?.map((e) => e.commit)).toEqual([c.promote]);
      expect(ivan?.map((e) => e.id)).toEqual(IMPORTED);
      expect(gina).toEqual([]); // she only committed the merge
      expect(nobody).toEqual([]);
    });

    it("--kind: repeatable and comma-separated", async () => {
      const want = full.filter((e) => e.kind === "rotated" || e.kind === "promoted").map(view);
      expect(want).toHaveLength(4);
      const [repeated, comma, deleted, access, mixed] = await many(
        ["--kind", "rotated", "--kind", "promoted"],
        ["--kind", "rotated,promoted"],
        ["--kind", "deleted"],
        ["--kind", "access-changed"],
        ["--kind", "rekeyed,rolled-back"],
      );
      expect(repeated?.map(view)).toEqual(want);
      expect(comma?.map(view)).toEqual(want);
      expect(deleted?.map((e) => e.id)).toEqual(["production/legacy_cert", "production/old_token"]);
      expect(access?.map((e) => e.commit)).toEqual([c.member, c.init, c.init]);
      expect(mixed?.map((e) => e.kind)).toEqual(["rekeyed", "rolled-back"]);
    });

    it("--kind with an unknown kind: usage error, exit 2", async () => {
      const [r, j] = await Promise.all([audit("--kind", "rotated,exploded"), audit("--kind", "Rotated", "--json")]);
      expectError(r, 2, /unknown event kind "exploded"/, /rotated/);
      expect(r.stdout).toBe("");
      expectError(j, 2, /Rotated/);
      expect(j.stdout).toBe("");
    });

    it("filters combine", async () => {
      const [r, none] = await many(
        [DB, "--kind", "promoted,rolled-back", "--since", "2026-01-21"],
        ["staging", "--author", "rita"],
      );
      expect(r?.map((e) => [e.kind, e.commit])).toEqual([["rolled-back", c.rollback]]);
      expect(none).toEqual([]);
    });
  });

  describe("--require-signed", () => {
    it("exit 0 over a range of signed commits only", async () => {
      const r = expectOk(await audit("--since", "2026-01-14", "--until", "2026-01-26", "--require-signed"));
      expect(r.stdout).toContain("promoted");
      expect(r.stderr).toBe("");
      expectOk(await audit(DB, "--kind", "rotated,promoted,rolled-back", "--require-signed", "--json"));
    });

    it("exit 1 over a range with an unsigned commit, naming it", async () => {
      const r = await audit("--since", "2026-01-09", "--until", "2026-01-26", "--require-signed");
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(c.set?.slice(0, 8));
      expect(r.stderr).not.toContain(c.promote?.slice(0, 8));
      expect(r.stdout).toContain("rotated"); // the events are still printed
      const j = await audit(DB, "--require-signed", "--json");
      expect(j.code).toBe(1);
      const events = JSON.parse(j.stdout) as Event[];
      expect(events.filter((e) => !e.signed).map((e) => e.commit)).toEqual([c.rekey, c.set]);
    });

    it("exit 0 when no event is left to check", async () => {
      expectOk(await audit("--since", "2030-01-01", "--require-signed"));
    });
  });

  it("no output ever carries a value or a ciphertext", async () => {
    const [text, signed] = await Promise.all([audit(), audit("--require-signed")]);
    const outputs = [JSON.stringify(full), expectOk(text).stdout, signed.stdout, signed.stderr];
    expect(values.length).toBe(10);
    for (const v of values) expect(v.length).toBeGreaterThanOrEqual(16);
    for (const text of outputs) {
      for (const v of values) expect(text).not.toContain(v);
      expect(text).not.toContain("BEGIN AGE");
      expect(text).not.toContain("AGE-SECRET-KEY");
      expect(text).not.toContain("ciphertext");
    }
    for (const e of full) {
      expect(Object.keys(e).sort()).toEqual(
        expect.arrayContaining(["author", "commit", "committer", "kind", "signature", "signed", "subject", "time"]),
      );
      for (const k of Object.keys(e)) {
        expect([
          "kind",
          "time",
          "commit",
          "author",
          "committer",
          "signature",
          "signed",
          "subject",
          "id",
          "versions",
          "stages",
          "changes",
          "renamed",
        ]).toContain(k);
      }
    }
  });

  describe("a shallow clone (--depth 2: the merge and its two parents)", () => {
    let clone: string;
    beforeAll(async () => {
      clone = join(s.home, "shallow");
      await git(["clone", "-q", "--depth", "2", `file://${s.repo}`, clone], {}, s.home);
    });

    it("warns on stderr how to fetch the whole history, exit 0", async () => {
      const [j, t] = await Promise.all([s.run(["audit", "--json"], { cwd: clone }), s.run(["audit"], { cwd: clone })]);
      for (const r of [expectOk(j), expectOk(t)]) {
        expect(r.stderr).toMatch(/shallow clone/);
        expect(r.stderr).toMatch(/git fetch --unshallow/);
      }
      // Only commits the clone holds are reported.
      const known = new Set([c.merge, c.main, c.branch]);
      for (const e of JSON.parse(j.stdout) as Event[]) expect(known.has(e.commit)).toBe(true);
    });

    it("invents nothing at its boundary commits, whose parents it lacks", async () => {
      const events = parseEvents(await s.run(["audit", "--json"], { cwd: clone }));
      // main and the branch commit are the clone's oldest: what they changed
      // cannot be told without their parents, and their whole tree must not
      // be reported as created. Every event must be one the full history has.
      const real = full.map((e) => JSON.stringify(view(e)));
      for (const e of events)
        expect(real, `${e.kind} ${e.id ?? ""} at ${e.commit.slice(0, 8)}`).toContain(JSON.stringify(view(e)));
    });
  });
});

describe("audit of a repository with no commits", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await makeSandbox();
  });
  afterAll(() => s?.cleanup());

  it('says "no commits", and --json gives []', async () => {
    const r = expectOk(await s.run(["audit"]));
    expect(r.stdout).toMatch(/no commits/);
    const j = expectOk(await s.run(["audit", "--json"]));
    expect(JSON.parse(j.stdout)).toEqual([]);
    expectOk(await s.run(["audit", "--require-signed", "--json"]));
  });
});

describe("audit of a secrets repository in a subfolder of its git repository", () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "lockstep-e2e-audit-sub-"));
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it("reads ids relative to lockstep.yaml, ignoring the rest of the repository", async () => {
    const top = join(home, "mono");
    const sub = join(top, "infra", "secrets repo");
    await mkdir(join(home, ".config"), { recursive: true });
    await gitInit(top, home);
    await mkdir(sub, { recursive: true });
    const env = (extra: Record<string, string> = {}) => childEnv(home, extra);
    const must = async (args: string[], cwd: string, input?: string) => {
      const r = await runCli(args, cwd, env(), input);
      expect(r.code, `lockstep ${args.join(" ")}: ${r.stderr}`).toBe(0);
      return r;
    };
    const git = async (args: string[], extra: Record<string, string> = {}) => {
      const r = await runTool("git", args, { cwd: top, env: env(extra) });
      expect(r.code, r.stderr).toBe(0);
    };
    const kg = await must(["keygen", "-o", join(home, "me.txt")], home);
    const key = /Public key: (age1\S+)/.exec(kg.stderr)?.[1] as string;
    // Files outside the secrets repository, also named like lockstep's.
    await mkdir(join(top, "secrets", "production"), { recursive: true });
    await writeFile(join(top, "secrets", "production", "x.yaml"), "not: lockstep\n");
    await writeFile(join(top, "access.yaml"), "members: {}\n");
    await git(["add", "-A"]);
    await git(["commit", "-q", "-m", "Unrelated files"], who(P.ann, "2026-03-01"));
    await must(["init"], sub);
    await must(["member", "add", "me", "--key", key, "--group", "ops"], sub);
    await must(["rule", "add", "production/**", "--readers", "ops"], sub);
    await must(["set", "production/db/password"], sub, VALUES.db1);
    await git(["add", "-A"]);
    await git(["commit", "-q", "-m", "Secrets"], who(P.dana, "2026-03-02"));
    await writeFile(join(top, "secrets", "production", "x.yaml"), "not: lockstep, still\n");
    await git(["commit", "-q", "-am", "Unrelated change"], who(P.rob, "2026-03-03"));

    // From the secrets repository, from deeper inside it, and with -C from the top.
    const deeper = join(sub, "secrets", "production");
    for (const [args, cwd] of [
      [["audit", "--json"], sub],
      [["audit", "--json"], deeper],
      [["-C", sub, "audit", "--json"], top],
    ] as const) {
      const r = await runCli(args, cwd, env());
      const events = parseEvents(r);
      // One commit: its events in path order (access.yaml, lockstep.yaml, secrets/...).
      expect(events.map((e) => [e.kind, e.id ?? null, e.author.name])).toEqual([
        ["access-changed", null, P.dana.name],
        ["access-changed", null, P.dana.name],
        ["created", "production/db/password", P.dana.name],
      ]);
      expect(events[0]?.changes).toContainEqual({ kind: "member-added", subject: "me" });
      expect(events[0]?.changes).not.toContainEqual({ kind: "member-removed", subject: expect.anything() });
      expect(events[1]?.changes).toEqual([{ kind: "config-changed", subject: "lockstep.yaml" }]);
      expect(r.stdout).not.toContain(VALUES.db1);
    }
  });
});
