/**
 * Rotation that changes the credential where it lives, through the built
 * CLI: the whole PostgreSQL story against a real server (canary logs in
 * with the new version while stable logs in with the old; promote; finish;
 * the old credential no longer logs in; a failing test step writes nothing;
 * a rollback before finish still logs in, after finish it is refused), and
 * the hook strategy with the team's own commands.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod } from "node:fs/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { describeWithPostgres, usePostgres } from "../support/postgres.js";
import type { Login } from "../support/rotation.js";
import {
  CLI,
  childEnv,
  expectError,
  expectOk,
  makeSandbox,
  requireBuiltCli,
  runTool,
  type Sandbox,
} from "./helpers.js";

requireBuiltCli();

/** These stories run some thirty CLI commands each, on a shared two-core machine. */
const STORY_TIMEOUT = 180_000;

/** Edits a manifest's rotation block (and anything else) as a user in an editor would. */
async function editManifest(s: Sandbox, id: string, edit: (doc: ReturnType<typeof parseDocument>) => void) {
  const rel = `secrets/${id}.yaml`;
  const doc = parseDocument(await s.read(rel));
  edit(doc);
  await s.write(rel, doc.toString());
}

async function getJson(s: Sandbox, id: string, ...flags: string[]): Promise<Login> {
  return JSON.parse(expectOk(await s.as("alice", ["get", id, ...flags])).stdout);
}

async function commitAll(s: Sandbox, message: string): Promise<void> {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: s.home };
  const git = (args: string[]) => runTool("git", ["-C", s.repo, ...args], { env });
  expectOk(await git(["add", "-A"]));
  expectOk(
    await git(["-c", "user.name=Lockstep Test", "-c", "user.email=test@lockstep.invalid", "commit", "-qm", message]),
  );
}

describeWithPostgres("rotation against PostgreSQL, through the CLI", () => {
  const cluster = usePostgres();
  let s: Sandbox;
  let superuser: Login;
  const ID = "production/db/password";
  const ADMIN = "production/db/admin";

  async function asSuperuser<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const db = new pg.Client({ ...superuser, user: superuser.username });
    await db.connect();
    try {
      return (await db.query(sql, params)).rows as T[];
    } finally {
      await db.end();
    }
  }

  /** The user a credential logs in as and how many rows of `items` it sees, or the server's refusal. */
  async function login(c: Login): Promise<{ user?: string; items?: number; refused?: string }> {
    const db = new pg.Client({ ...c, user: c.username, connectionTimeoutMillis: 10_000 });
    try {
      await db.connect();
      const r = await db.query<{ u: string; n: number }>("SELECT current_user AS u, count(*)::int AS n FROM items");
      return { user: r.rows[0]?.u as string, items: r.rows[0]?.n as number };
    } catch (e) {
      return { refused: (e as { code?: string }).code ?? String(e) };
    } finally {
      await db.end().catch(() => {});
    }
  }

  beforeAll(async () => {
    const c = cluster();
    superuser = { username: c.superuser, password: c.password, host: c.host, port: c.port, database: "postgres" };
    await asSuperuser("CREATE ROLE app_rw NOLOGIN");
    await asSuperuser("CREATE TABLE items (n int)");
    await asSuperuser("INSERT INTO items VALUES (1), (2), (3)");
    await asSuperuser("GRANT SELECT ON items TO app_rw");
    await asSuperuser("CREATE ROLE app LOGIN PASSWORD 'test-only-app-v1' IN ROLE app_rw");
    await asSuperuser("CREATE ROLE rotator LOGIN CREATEROLE PASSWORD 'test-only-rotator'");
    await asSuperuser("GRANT app_rw TO rotator WITH ADMIN OPTION");
    s = await makeSandbox();
  });
  afterAll(() => s?.cleanup());

  it(
    "plays the whole story: rotate, canary and stable both log in, promote, finish, rollback rules",
    async () => {
      const where = { host: superuser.host, port: superuser.port, database: "postgres" };
      const v1: Login = { username: "app", password: "test-only-app-v1", ...where };
      const admin = { username: "rotator", password: "test-only-rotator", ...where };
      expectOk(await s.run(["set", ADMIN, "--type", "json"], { input: JSON.stringify(admin) }));
      expectOk(await s.run(["set", ID, "--type", "json"], { input: JSON.stringify(v1) }));
      await editManifest(s, ID, (doc) => {
        doc.set("rotation", { strategy: "postgres", admin: ADMIN });
      });
      expectOk(await s.run(["check"]));
      await commitAll(s, "database credential");

      // rotate: version 2, for USER_clone, set and tested, goes to canary.
      const rotated = expectOk(await s.as("alice", ["rotate", ID]));
      expect(rotated.stdout).toContain(`Updated ${ID}: version 2 (stages: canary)`);
      expect(rotated.stderr).toContain("set: created role app_clone, member of app_rw, app");
      expect(rotated.stderr).toContain("test: app_clone logs in at");
      const canary = await getJson(s, ID, "--stage", "canary");
      const stable = await getJson(s, ID, "--stage", "stable");
      expect(canary.username).toBe("app_clone");
      expect(stable).toEqual(v1);
      expect(await login(canary)).toEqual({ user: "app_clone", items: 3 });
      expect(await login(stable)).toEqual({ user: "app", items: 3 });

      // finish before the last stage has version 2: refused.
      expectError(await s.as("alice", ["rotate", ID, "--finish"]), 1, "the last stage (stable) is on version 1");

      // promote: stable gets version 2, and version 1 waits for finish (it still logs in).
      expectOk(await s.run(["promote", ID]));
      expect((await s.manifest(ID)).versions[0]).toHaveProperty("released");
      const status = JSON.parse(expectOk(await s.run(["status", "production", "--json"])).stdout);
      const entry = status.secrets.find((x: { id: string }) => x.id === ID);
      expect(entry.finish).toMatchObject({ previous: 1, current: 2, ready: true });
      expect(expectOk(await s.run(["status"])).stdout).toContain(
        `${ID}: the credential of version 1 still works, waiting for finish`,
      );
      expect(await login(v1)).toEqual({ user: "app", items: 3 });

      // A rollback before finish needs no database change: stable logs in with version 1 again.
      expectOk(await s.run(["rollback", ID, "--stage", "stable"]));
      expect(await getJson(s, ID, "--stage", "stable")).toEqual(v1);
      expect(await login(v1)).toEqual({ user: "app", items: 3 });
      expectOk(await s.run(["promote", ID]));

      // check warns once the previous credential has waited past revokeAfter.
      await editManifest(s, ID, (doc) => {
        doc.setIn(["rotation", "revokeAfter"], "1h");
        doc.setIn(["versions", 0, "released"], "2020-01-01T00:00:00Z");
      });
      const checked = expectOk(await s.run(["check", "--format", "json"]));
      expect(JSON.parse(checked.stdout).findings).toContainEqual(
        expect.objectContaining({ code: "finish-overdue", severity: "warning", id: ID }),
      );
      await editManifest(s, ID, (doc) => {
        doc.setIn(["rotation", "revokeAfter"], "1000w");
      });
      expectError(await s.as("alice", ["rotate", ID, "--finish"]), 1, "revokeAfter (1000w) has not passed");
      await editManifest(s, ID, (doc) => {
        doc.deleteIn(["rotation", "revokeAfter"]);
      });

      // finish: the old credential no longer logs in; the new one does.
      const finished = expectOk(await s.as("alice", ["rotate", ID, "--finish"]));
      expect(finished.stdout).toContain(`Finished ${ID}: the credential of version 1 is retired`);
      expect(finished.stderr).toContain("finish: role app retired (NOLOGIN)");
      expect(await login(v1)).toEqual({ refused: "28000" });
      expect(await login(canary)).toEqual({ user: "app_clone", items: 3 });
      expect((await s.manifest(ID)).versions.find((v) => v.version === 1)).toHaveProperty("revoked");

      // After finish, a rollback to version 1 is refused, saying why and what to do.
      const refused = await s.run(["rollback", ID, "--stage", "stable"]);
      expectError(refused, 1, "version 1's credential was retired", "lockstep rotate");
      expect((await s.manifest(ID)).stages).toEqual({ canary: 2, stable: 2 });
      expectOk(await s.run(["check"]));
    },
    STORY_TIMEOUT,
  );

  it(
    "a failing test step writes nothing, and undoes set",
    async () => {
      // The next rotation switches back to role app, which cannot connect to the database.
      await asSuperuser("REVOKE CONNECT ON DATABASE postgres FROM PUBLIC");
      await asSuperuser("GRANT CONNECT ON DATABASE postgres TO app_clone, rotator");
      try {
        const before = await s.read(`secrets/${ID}.yaml`);
        const [role] = await asSuperuser<{ rolcanlogin: boolean; rolpassword: string }>(
          "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = 'app'",
        );
        const r = await s.as("alice", ["rotate", ID]);
        expectError(r, 1, "rotation step test: PostgreSQL at", "(nothing was written; set was undone)");
        expect(await s.read(`secrets/${ID}.yaml`)).toBe(before);
        // Undone as the rotator role can: LOGIN off again; the password set back from version 1's.
        const [after] = await asSuperuser<{ rolcanlogin: boolean; rolpassword: string }>(
          "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = 'app'",
        );
        expect(after?.rolcanlogin).toBe(role?.rolcanlogin);
        expect(await login(await getJson(s, ID, "--stage", "stable"))).toEqual({ user: "app_clone", items: 3 });
      } finally {
        await asSuperuser("GRANT CONNECT ON DATABASE postgres TO PUBLIC");
      }

      // With the database reachable again, the next rotation goes through: back to role app.
      expectOk(await s.as("alice", ["rotate", ID]));
      const v3 = await getJson(s, ID, "--stage", "canary");
      expect(v3.username).toBe("app");
      expect(await login(v3)).toEqual({ user: "app", items: 3 });
      expect(await login(await getJson(s, ID, "--stage", "stable"))).toEqual({ user: "app_clone", items: 3 });
    },
    STORY_TIMEOUT,
  );

  it(
    "finishOnPromote: the promote that reaches the last stage retires the previous credential",
    async () => {
      await editManifest(s, ID, (doc) => {
        doc.setIn(["rotation", "finishOnPromote"], true);
      });
      const previous = await getJson(s, ID, "--stage", "stable");
      const r = expectOk(await s.as("alice", ["promote", ID]));
      expect(r.stdout).toContain(`finished  ${ID}: the credential of version 2 is retired`);
      expect(await login(previous)).toEqual({ refused: "28000" });
      expect(await login(await getJson(s, ID, "--stage", "stable"))).toEqual({ user: "app", items: 3 });
    },
    STORY_TIMEOUT,
  );
});

describe("rotation with hooks, through the CLI", () => {
  let s: Sandbox;
  const ID = "production/api/token";

  beforeAll(async () => {
    s = await makeSandbox();
    // A pretend provider: the hooks keep the tokens that work in provider.txt, outside the repository.
    const provider = `${s.home}/provider.txt`;
    await s.write(
      "rotation/set.sh",
      `#!/bin/sh\nnode -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); require("fs").appendFileSync(process.argv[1], d.pending.value + "\\n"); console.log("added version " + d.pending.version + ": " + d.pending.value)' '${provider}'\n`,
    );
    await s.write(
      "rotation/test.sh",
      `#!/bin/sh\ncat > /dev/null\nif [ -e '${s.home}/broken' ]; then echo "the provider refused the new token" >&2; exit 7; fi\n`,
    );
    await chmod(s.path("rotation/set.sh"), 0o755);
    await chmod(s.path("rotation/test.sh"), 0o755);
    expectOk(await s.run(["set", ID], { input: "test-only-token-1" }));
    await editManifest(s, ID, (doc) => {
      doc.set("rotation", {
        strategy: "hook",
        generate: "hex:16",
        hooks: { set: "./rotation/set.sh", test: "./rotation/test.sh" },
      });
    });
  });
  afterAll(() => s?.cleanup());

  it(
    "runs the team's commands; their output is shown without the value",
    async () => {
      const r = expectOk(await s.as("alice", ["rotate", ID]));
      const token = expectOk(await s.as("alice", ["get", ID, "--stage", "canary"])).stdout;
      expect(token).toMatch(/^[0-9a-f]{32}$/);
      expect(r.stderr).toContain("set: added version 2: ***");
      expect(r.stderr).not.toContain(token);
      expect((await s.read("../provider.txt")).trim().split("\n")).toEqual([token]);
    },
    STORY_TIMEOUT,
  );

  it(
    "Ctrl-C stops a running hook and the commands it started, and writes nothing",
    async () => {
      const pidFile = `${s.home}/sleep.pid`;
      await editManifest(s, ID, (doc) => {
        doc.setIn(["rotation", "hooks", "set"], `cat > /dev/null; sleep 60 & echo $! > '${pidFile}'; wait`);
      });
      const before = await s.read(`secrets/${ID}.yaml`);
      const child = spawn(process.execPath, [CLI, "--identity", s.keys.alice.file, "rotate", ID], {
        cwd: s.repo,
        env: childEnv(s.home),
      });
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
      // Wait until the hook runs, then interrupt lockstep as a terminal's Ctrl-C would.
      while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 50));
      child.kill("SIGINT");
      expect(await exited).toBe(1);
      expect(stderr).toContain("was stopped: lockstep received SIGINT");
      expect(await s.read(`secrets/${ID}.yaml`)).toBe(before);
      const pid = Number(readFileSync(pidFile, "utf8"));
      const state = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8") : "";
      expect(state === "" || /^\d+ \(.*\) Z/.test(state)).toBe(true); // gone, or a zombie waiting for init
      await editManifest(s, ID, (doc) => {
        doc.setIn(["rotation", "hooks", "set"], "./rotation/set.sh");
      });
    },
    STORY_TIMEOUT,
  );

  it(
    "a failing test step stops the rotation and writes nothing",
    async () => {
      await s.write("../broken", "");
      const before = await s.read(`secrets/${ID}.yaml`);
      const r = await s.as("alice", ["rotate", ID]);
      expectError(r, 1, "rotation step test failed", "exited with code 7", "the provider refused the new token");
      expect(r.stderr).toContain("set was undone except: no undo command in rotation.hooks");
      expect(await s.read(`secrets/${ID}.yaml`)).toBe(before);
    },
    STORY_TIMEOUT,
  );
});
