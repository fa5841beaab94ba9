#!/usr/bin/env node
// A guided tour of lockstep in a throwaway sandbox: keys, members, access rules, secrets,
// staged rotation, import, removing a member, and (where PostgreSQL is installed) rotating a
// database password where it lives. Run with `npm run demo` (builds first).
// Usage: node scripts/demo.js [--clean]   (--clean removes the sandbox at the end)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { parseDocument } from "yaml";
import { findPostgresBin, startCluster } from "../test/support/postgres-cluster.js";

const CLI = fileURLToPath(new URL("../dist/cli/main.cjs", import.meta.url));
const clean = process.argv.includes("--clean");

// ---- presentation -------------------------------------------------------------------------
const useColor = process.stdout.isTTY === true && !("NO_COLOR" in process.env);
const paint = (code) => (s) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint("1");
const dim = paint("2");
const cyan = paint("1;36");
const green = paint("32");
const yellow = paint("33");
const red = paint("1;31");

let stepNo = 0;
function heading(title, ...notes) {
  console.log(`\n${cyan(`── ${++stepNo}. ${title}`)}`);
  for (const n of notes) console.log(dim(`   ${n}`));
}
const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);
function printCommand(line) {
  console.log(`${green("$")} ${bold(line)}`);
}
function printOutput(stdout, stderr) {
  const indent = (s) => s.replace(/\n$/, "").replace(/^/gm, "  ");
  if (stdout) console.log(indent(stdout));
  if (stderr) console.log(dim(indent(stderr)));
}

// ---- sandbox ------------------------------------------------------------------------------
if (!existsSync(CLI)) {
  console.error(`${CLI} is missing: run \`npm run build\` first (or use \`npm run demo\`).`);
  process.exit(1);
}
const sandbox = mkdtempSync(join(tmpdir(), "lockstep-demo-"));
const repo = join(sandbox, "repo");
const keys = join(sandbox, "keys");
const home = join(sandbox, "home");
for (const d of [repo, keys, home]) mkdirSync(d, { recursive: true });

// A clean environment: never the user's own keys, git config or repository.
const baseEnv = { ...process.env };
for (const k of Object.keys(baseEnv)) {
  if (k.startsWith("LOCKSTEP_") || k.startsWith("GIT_")) delete baseEnv[k];
}
Object.assign(baseEnv, {
  HOME: home,
  XDG_CONFIG_HOME: join(home, ".config"),
  GIT_AUTHOR_NAME: "Lockstep Demo",
  GIT_AUTHOR_EMAIL: "demo@example.invalid",
  GIT_COMMITTER_NAME: "Lockstep Demo",
  GIT_COMMITTER_EMAIL: "demo@example.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
});
/** Who is at the keyboard: the env that picks their identity, and how to show it. */
let asUser = { env: {}, prefix: "" };

/**
 * Runs `lockstep ARGS...` in the sandbox repository, prints it and its output, and checks
 * its exit code. Options: stdin, expect (exit code, default 0), display (the command line
 * to show instead of the real one), env/prefix (run as someone else), quiet (hide stdout).
 */
function lockstep(args, o = {}) {
  const who = o.env ? { env: o.env, prefix: o.prefix ?? "" } : asUser;
  printCommand(o.display ?? `${who.prefix}lockstep ${args.map(quote).join(" ")}`);
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: repo,
    env: { ...baseEnv, ...who.env },
    input: o.stdin ?? "",
    encoding: "utf8",
  });
  if (r.error) throw r.error;
  printOutput(o.quiet ? "" : r.stdout, r.stderr);
  const expect = o.expect ?? 0;
  if (r.status !== expect) {
    throw new Error(`\`lockstep ${args.join(" ")}\` exited with ${r.status}, expected ${expect}`);
  }
  if (expect !== 0) console.log(yellow(`  (exit code ${r.status}, as expected)`));
  return r.stdout;
}

/** Commits everything in the sandbox repository, as a user would after each step. */
function commit(message) {
  printCommand(`git add -A && git commit -m ${quote(message)}`);
  execFileSync("git", ["add", "-A"], { cwd: repo, env: baseEnv });
  execFileSync("git", ["-c", "commit.gpgsign=false", "commit", "-q", "-m", message], { cwd: repo, env: baseEnv });
}

function assertEqual(actual, expected, what) {
  if (actual !== expected)
    throw new Error(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

const keyFile = (name) => `../keys/${name}.txt`; // relative to the repository, as shown
const asIdentity = (name) => ({ env: { LOCKSTEP_AGE_KEY_FILE: keyFile(name) } });

// ---- the tour -----------------------------------------------------------------------------
function tour() {
  console.log(bold("lockstep demo: a sandbox secrets repository"));
  console.log(dim(`sandbox: ${sandbox} (HOME points here; your own keys are never used)`));

  heading(
    "Make age keys",
    "Each person and each CI job has an age identity. Private keys stay in ../keys,",
    "outside the repository; only the public keys (age1...) are shared.",
  );
  const recipients = {};
  for (const name of ["alice", "bob", "ci-production"]) {
    lockstep(["keygen", "-o", keyFile(name)]);
    const text = readFileSync(join(keys, `${name}.txt`), "utf8");
    recipients[name] = /public key: (age1\S+)/i.exec(text)?.[1];
    if (!recipients[name]) throw new Error(`no public key in ${keyFile(name)}`);
  }

  heading(
    "Create the secrets repository",
    "`init` writes lockstep.yaml (environments and stages), access.yaml and secrets/.",
  );
  lockstep(["init", "--env", "staging", "--env", "production"]);
  commit("lockstep init");

  heading("Add members", "alice and bob join the platform group; ci-production is the deploy job's key.");
  lockstep(["member", "add", "alice", "--key", recipients.alice, "--github", "alice-gh", "--group", "platform"]);
  lockstep(["member", "add", "bob", "--key", recipients.bob, "--github", "bob-gh", "--group", "platform"]);
  lockstep(["member", "add", "ci-production", "--key", recipients["ci-production"]]);
  commit("Add alice, bob and ci-production");

  heading(
    "Write the access rules",
    "Rules are edited by hand in access.yaml: globs over secret ids, readers and approvers.",
  );
  const rules = [
    '- match: "production/**"',
    "  readers: [platform, ci-production]",
    "  approvers: [platform]",
    '- match: "staging/**"',
    "  readers: [platform]",
  ];
  const accessPath = join(repo, "access.yaml");
  const doc = parseDocument(readFileSync(accessPath, "utf8"));
  doc.set("rules", parseDocument(rules.join("\n")).contents);
  writeFileSync(accessPath, String(doc));
  printCommand("$EDITOR access.yaml");
  printOutput(`rules:\n${rules.map((l) => `  ${l}`).join("\n")}\n`);
  commit("Access rules for staging and production");

  heading("Set secrets", "From here on alice works with her key. A value comes from stdin, or is generated.");
  asUser = { ...asIdentity("alice"), prefix: "" };
  printCommand(`export LOCKSTEP_AGE_KEY_FILE=${keyFile("alice")}`);
  const password = "correct-horse-battery-staple";
  lockstep(["set", "production/db/password", "--description", "Primary Postgres password"], {
    stdin: `${password}\n`,
    display: `echo ${quote(password)} | lockstep set production/db/password --description "Primary Postgres password"`,
  });
  lockstep(["set", "production/api/token", "--generate", "hex:32", "--description", "Token for the billing API"]);
  commit("Add production secrets");

  heading("Read it back", "alice is a reader through the platform group; CI gets its key as LOCKSTEP_AGE_KEY.");
  assertEqual(lockstep(["get", "production/db/password"]), password, "alice's get");
  const ciKey = readFileSync(join(keys, "ci-production.txt"), "utf8");
  // Same shell as alice's (her LOCKSTEP_AGE_KEY_FILE is exported): LOCKSTEP_AGE_KEY takes precedence.
  const asCi = {
    env: { ...asUser.env, LOCKSTEP_AGE_KEY: ciKey },
    prefix: `LOCKSTEP_AGE_KEY="$(cat ${keyFile("ci-production")})" `,
  };
  assertEqual(lockstep(["get", "production/db/password", "--stage", "stable"], asCi), password, "CI's get");

  heading(
    "Rotate with a staged rollout",
    "The new version goes to the first stage (canary); stable keeps the old one until promoted.",
  );
  lockstep(["rotate", "production/db/password", "--generate", "password:24"]);
  const canary = lockstep(["get", "production/db/password", "--stage", "canary"], asCi);
  const stable = lockstep(["get", "production/db/password", "--stage", "stable"], asCi);
  assertEqual(stable, password, "stable after rotate");
  if (canary === stable) throw new Error("canary should have the new version after rotate");
  commit("Rotate production/db/password");

  heading(
    "Watch the rollout",
    "`status` shows which version each stage gets; a deploy job exports its stage's values.",
  );
  lockstep(["status", "production"]);
  lockstep(["export", "production", "--stage", "canary", "--format", "dotenv"], asCi);
  lockstep(["export", "production", "--stage", "stable", "--format", "dotenv"], asCi);

  heading("Promote", "Canary looks healthy: stable moves to the new version, as a commit of its own.");
  lockstep(["promote", "production/db/password", "--commit"]);
  assertEqual(lockstep(["get", "production/db/password", "--stage", "stable"], asCi), canary, "stable after promote");

  heading("Roll back", "Something broke after all: both stages go back to the version below, again as a commit.");
  lockstep(["rollback", "production/db/password", "--commit"]);
  assertEqual(
    lockstep(["get", "production/db/password", "--stage", "stable"], asCi),
    password,
    "stable after rollback",
  );
  assertEqual(
    lockstep(["get", "production/db/password", "--stage", "canary"], asCi),
    password,
    "canary after rollback",
  );

  heading("Inspect metadata", "`show` and `ls` never print values: readers, stages and versions only.");
  lockstep(["show", "production/db/password"]);
  lockstep(["ls"]);

  heading(
    "Import a .env into staging",
    "Each KEY=value becomes staging/<key> (the file lives outside the repository).",
  );
  writeFileSync(
    join(sandbox, "staging.env"),
    "REDIS_URL=redis://cache:6379/0\nSMTP_PASSWORD=demo-smtp-pass\nFEATURE_FLAGS=beta,search\n",
  );
  printOutput(dim("(staging.env holds REDIS_URL, SMTP_PASSWORD and FEATURE_FLAGS)"));
  lockstep(["import", "staging", "../staging.env"]);
  lockstep(["ls", "staging"]);
  commit("Import staging secrets");

  heading(
    "bob leaves the team",
    "Remove him, re-encrypt every live version without his key, then rotate what he could read.",
  );
  lockstep(["member", "rm", "bob"]);
  lockstep(["rekey"]);
  commit("Remove bob and rekey");

  heading(
    "The pull-request gate",
    "`check` needs no key. rekey cleared the drift, but bob could read every live version: rotate them.",
  );
  lockstep(["check"], { expect: 1 });
  lockstep(["exposure", "bob"]);
  lockstep(["rotate", "production/db/password"]);
  lockstep(["rotate", "production/api/token"]);
  writeFileSync(
    join(sandbox, "staging-new.env"),
    "REDIS_URL=redis://cache:6379/1\nSMTP_PASSWORD=demo-smtp-pass-2\nFEATURE_FLAGS=beta,search,export\n",
  );
  lockstep(["import", "staging", "../staging-new.env"]);
  lockstep(["promote", "--env", "production", "--all"]);
  lockstep(["promote", "--env", "staging", "--all"]);
  lockstep(["diff", "--format", "markdown"]);
  lockstep(["check"]);
  commit("Rotate everything bob could read");

  heading(
    "bob can no longer read",
    "His key is not a recipient of the new version: exit code 3 (no identity can decrypt).",
    "(--identity takes precedence over the LOCKSTEP_AGE_KEY_FILE exported for alice.)",
  );
  lockstep(["--identity", keyFile("bob"), "get", "production/db/password"], { expect: 3 });

  heading("The audit trail", "Git history, read back: who did what to which secret, and when it reached stable.");
  lockstep(["audit", "production/db/password"]);
}

/**
 * Rotation where the credential lives: a throwaway PostgreSQL server, a role
 * rotated with alternating users, both credentials logging in while the
 * stages differ, then finish. Skipped (and said so) without initdb and pg_ctl.
 */
async function postgresTour() {
  heading(
    "Rotate a PostgreSQL password where it lives",
    "rotation.strategy: postgres sets and tests the new password in the database before writing;",
    "canary logs in with the new version while stable still logs in with the old one.",
  );
  if (!findPostgresBin()) {
    console.log(
      yellow("   skipped: PostgreSQL's initdb and pg_ctl are not installed (Debian: apt-get install postgresql)"),
    );
    return;
  }
  const cluster = await startCluster();
  const where = { host: cluster.host, port: cluster.port, database: "postgres" };
  const sql = async (text) => {
    const db = new pg.Client({ ...where, user: cluster.superuser, password: cluster.password });
    await db.connect();
    try {
      await db.query(text);
    } finally {
      await db.end();
    }
  };
  const login = async (value) => {
    const c = JSON.parse(value);
    const db = new pg.Client({ ...c, user: c.username });
    try {
      await db.connect();
      return `logs in as ${(await db.query("SELECT current_user AS u")).rows[0].u}`;
    } catch (e) {
      return `refused: ${e.message}`;
    } finally {
      await db.end().catch(() => {});
    }
  };
  try {
    printOutput(dim(`(a throwaway server at ${cluster.host}:${cluster.port}: role app in group app_rw, and`));
    printOutput(dim(" lockstep_rotator with CREATEROLE, whose credential lockstep keeps as production/db/admin)"));
    await sql("CREATE ROLE app_rw NOLOGIN");
    await sql("CREATE ROLE app LOGIN PASSWORD 'demo-app-password-1' IN ROLE app_rw");
    await sql("CREATE ROLE lockstep_rotator LOGIN CREATEROLE PASSWORD 'demo-rotator-password'");
    await sql("GRANT app_rw TO lockstep_rotator WITH ADMIN OPTION");
    const admin = JSON.stringify({ username: "lockstep_rotator", password: "demo-rotator-password" });
    const app = JSON.stringify({ username: "app", password: "demo-app-password-1", ...where });
    lockstep(["set", "production/db/admin", "--type", "json"], {
      stdin: admin,
      display: `echo '{"username":"lockstep_rotator","password":"..."}' | lockstep set production/db/admin --type json`,
    });
    lockstep(["set", "production/db/app", "--type", "json"], {
      stdin: app,
      display: `echo '{"username":"app","password":"...","host":...}' | lockstep set production/db/app --type json`,
    });
    const file = join(repo, "secrets/production/db/app.yaml");
    const doc = parseDocument(readFileSync(file, "utf8"));
    doc.set("rotation", { strategy: "postgres", admin: "production/db/admin" });
    writeFileSync(file, String(doc));
    printCommand("$EDITOR secrets/production/db/app.yaml");
    printOutput("rotation:\n  strategy: postgres\n  admin: production/db/admin\n");
    commit("production/db/app: rotated in PostgreSQL");

    lockstep(["rotate", "production/db/app"]);
    const canary = lockstep(["get", "production/db/app", "--stage", "canary"], { quiet: true });
    const stable = lockstep(["get", "production/db/app", "--stage", "stable"], { quiet: true });
    printOutput(`canary (version 2): ${await login(canary)}\nstable (version 1): ${await login(stable)}`);
    commit("Rotate production/db/app");

    lockstep(["promote", "production/db/app", "--commit"]);
    lockstep(["status", "production"]);
    lockstep(["rotate", "production/db/app", "--finish"]);
    printOutput(`version 1: ${await login(stable)}\nversion 2: ${await login(canary)}`);
    commit("Finish the rotation of production/db/app");
    printOutput(dim("A rollback to version 1 would point stable at a retired credential: refused."));
    lockstep(["rollback", "production/db/app", "--stage", "stable"], { expect: 1 });
  } finally {
    await cluster.stop();
  }
}

let failed = false;
try {
  tour();
  await postgresTour();
} catch (err) {
  failed = true;
  console.error(`\n${red("demo failed:")} ${err instanceof Error ? err.message : err}`);
}

console.log("");
if (failed || !clean) {
  console.log(`The sandbox is at ${bold(sandbox)}`);
  console.log(dim(`Look around (cd ${repo} && git log --stat), then delete it: rm -rf ${quote(sandbox)}`));
} else {
  rmSync(sandbox, { recursive: true, force: true });
  console.log(dim(`Removed the sandbox ${sandbox}.`));
}
if (!failed) console.log(green("Demo finished."));
process.exitCode = failed ? 1 : 0;
