/**
 * The postgres strategy against a real PostgreSQL server (a throwaway
 * cluster): alternating users, single user, finish, undo, quoting, and what
 * the errors say.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import type { LockstepError } from "../../src/errors.js";
import {
  alternateUsername,
  type PostgresRotatorOptions,
  parsePostgresCredential,
  postgresRotator,
} from "../../src/rotation/postgres.js";
import { scramVerifier } from "../../src/rotation/scram.js";
import { type Credential, type FinishInput, runFinish, runRotation } from "../../src/rotation/steps.js";
import { describeWithPostgres, usePostgres } from "../support/postgres.js";
import { failure, type Login } from "../support/rotation.js";

describeWithPostgres("postgres rotation", () => {
  const cluster = usePostgres();
  let superuser: Login;
  /** A CREATEROLE role that is not a superuser: it cannot read pg_authid. */
  let rotatorAdmin: Login;
  let counter = 0;

  const base = (): Omit<Login, "username" | "password"> => ({
    host: cluster().host,
    port: cluster().port,
    database: "postgres",
  });

  /** Runs SQL as the cluster's superuser. */
  async function asSuperuser<T>(work: (db: pg.Client) => Promise<T>): Promise<T> {
    const db = new pg.Client({ ...superuser, user: superuser.username });
    await db.connect();
    try {
      return await work(db);
    } finally {
      await db.end();
    }
  }

  /** Logs in with a credential: the user it is, or the server's refusal (SQLSTATE). */
  async function login(c: Login): Promise<{ user?: string; refused?: string }> {
    const db = new pg.Client({ ...c, user: c.username, connectionTimeoutMillis: 10_000 });
    try {
      await db.connect();
      const r = await db.query<{ u: string }>("SELECT current_user AS u");
      return { user: r.rows[0]?.u as string };
    } catch (e) {
      return { refused: (e as { code?: string }).code ?? String(e) };
    } finally {
      await db.end().catch(() => {});
    }
  }

  /** A fresh application role (LOGIN, member of app_rw, owner of a table); its version-1 credential. */
  async function newApp(name = `app${++counter}`): Promise<Login> {
    const password = `test-only-${name}-pw1`;
    await asSuperuser(async (db) => {
      const id = db.escapeIdentifier(name);
      await db.query(`CREATE ROLE ${id} LOGIN PASSWORD ${db.escapeLiteral(password)}`);
      await db.query(`GRANT app_rw TO ${id}`);
      await db.query(`CREATE TABLE ${db.escapeIdentifier(`${name}_owned`)} (n int)`);
      await db.query(`ALTER TABLE ${db.escapeIdentifier(`${name}_owned`)} OWNER TO ${id}`);
    });
    return { ...base(), username: name, password };
  }

  const version = (n: number, c: Login): Credential => ({ version: n, value: JSON.stringify(c) });
  const admin = (c: Login) => ({ id: "production/db/admin", version: 1, value: JSON.stringify(c) });
  let pwCounter = 0;
  const generate = () => `test-only-generated-${++pwCounter}-${Math.random().toString(36).slice(2)}`;

  /** One step of a secret x/db with one stage: `current` is version n, `previous` version n - 1. */
  interface Step {
    current: Login;
    n: number;
    by: Login;
    previous?: Login;
    options?: Partial<PostgresRotatorOptions>;
  }
  const rotator = (o: Step["options"]) => postgresRotator({ generate, connectTimeoutMs: 5000, ...o });
  const input = (s: Step) => ({
    id: "x/db",
    stages: { stable: s.n },
    current: version(s.n, s.current),
    ...(s.previous !== undefined && { previous: version(s.n - 1, s.previous) }),
    admin: admin(s.by),
  });
  /** Rotates to version n + 1: its credential. */
  async function rotate(s: Step): Promise<Login> {
    const r = await runRotation(rotator(s.options), input(s), s.n + 1);
    return parsePostgresCredential(r.value, `version ${s.n + 1}`);
  }
  /** A rotation that fails: its error. */
  const rotateFails = (s: Step): Promise<LockstepError> => failure(runRotation(rotator(s.options), input(s), s.n + 1));
  /** Retires `previous` (version n - 1) now that `current` (version n) is on every stage. */
  const finish = (s: Step & { previous: Login }) => runFinish(rotator(s.options), input(s) as FinishInput);

  async function roleRow(name: string) {
    return asSuperuser(async (db) => {
      const r = await db.query<{ rolcanlogin: boolean; rolpassword: string | null; valid: string | null }>(
        "SELECT rolcanlogin, rolpassword, rolvaliduntil::text AS valid FROM pg_authid WHERE rolname = $1",
        [name],
      );
      return r.rows[0];
    });
  }

  beforeAll(async () => {
    const c = cluster();
    superuser = { ...base(), username: c.superuser, password: c.password };
    rotatorAdmin = { ...base(), username: "rotator", password: "test-only-rotator-pw" };
    await asSuperuser(async (db) => {
      await db.query("CREATE ROLE app_rw NOLOGIN");
      await db.query("CREATE TABLE items (n int)");
      await db.query("INSERT INTO items VALUES (1), (2)");
      await db.query("GRANT SELECT ON items TO app_rw");
      await db.query("CREATE ROLE rotator LOGIN CREATEROLE PASSWORD 'test-only-rotator-pw'");
      await db.query("GRANT app_rw TO rotator WITH ADMIN OPTION");
    });
  });

  it("alternates between USER and USER_clone: both log in until finish, then only the new one", async () => {
    const v1 = await newApp();
    const stages = { canary: 1, stable: 1 };
    const r2 = await runRotation(
      postgresRotator({ generate }),
      { id: "production/db/password", stages, current: version(1, v1), admin: admin(superuser) },
      2,
    );
    const v2 = parsePostgresCredential(r2.value, "v2");
    expect(v2.username).toBe(`${v1.username}_clone`);
    expect({ ...v2, username: v1.username, password: v1.password }).toEqual(v1);
    // Canary logs in with version 2 while stable still logs in with version 1.
    expect(await login(v2)).toEqual({ user: v2.username });
    expect(await login(v1)).toEqual({ user: v1.username });
    // The clone has USER's memberships, and is a member of USER (what USER owns).
    const reach = await (async () => {
      const db = new pg.Client({ ...v2, user: v2.username });
      await db.connect();
      try {
        const items = await db.query("SELECT count(*)::int AS n FROM items");
        const owned = await db.query(`SELECT count(*)::int AS n FROM ${db.escapeIdentifier(`${v1.username}_owned`)}`);
        return [items.rows[0].n, owned.rows[0].n];
      } finally {
        await db.end();
      }
    })();
    expect(reach).toEqual([2, 0]);
    expect(r2.notes.map((n) => n.step)).toEqual(["create", "set", "test"]);

    // Finish: the previous role can no longer log in; the current one still can.
    const notes = await runFinish(postgresRotator({ generate }), {
      id: "production/db/password",
      stages: { canary: 2, stable: 2 },
      current: version(2, v2),
      previous: version(1, v1),
      admin: admin(superuser),
    });
    expect(notes[0]?.lines.join("\n")).toContain(`role ${v1.username} retired (NOLOGIN)`);
    expect(await login(v1)).toEqual({ refused: "28000" });
    expect(await login(v2)).toEqual({ user: v2.username });

    // The next rotation switches back to USER, which logs in again, with a new password.
    const r3 = await runRotation(
      postgresRotator({ generate }),
      {
        id: "production/db/password",
        stages: { canary: 2, stable: 2 },
        current: version(2, v2),
        previous: version(1, v1),
        admin: admin(superuser),
      },
      3,
    );
    const v3 = parsePostgresCredential(r3.value, "v3");
    expect(v3.username).toBe(v1.username);
    expect(await login(v3)).toEqual({ user: v1.username });
    expect(await login(v2)).toEqual({ user: v2.username });
    expect(await login(v1)).toEqual({ refused: "28P01" });
  });

  it("sends SCRAM verifiers: the password is never in a statement the server logs", async () => {
    await asSuperuser(async (db) => {
      await db.query("ALTER SYSTEM SET log_statement = 'all'");
      await db.query("SELECT pg_reload_conf()");
    });
    try {
      const v2 = await rotate({ current: await newApp(), n: 1, by: superuser });
      expect((await roleRow(v2.username))?.rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
      const log = readFileSync(join(cluster().dir, "server.log"), "utf8");
      expect(log).toContain(`CREATE ROLE "${v2.username}"`);
      expect(log).not.toContain(v2.password);
    } finally {
      await asSuperuser(async (db) => {
        await db.query("ALTER SYSTEM RESET log_statement");
        await db.query("SELECT pg_reload_conf()");
      });
    }
  });

  it("retires by expiring the password when told to", async () => {
    const v1 = await newApp();
    const v2 = await rotate({ current: v1, n: 1, by: rotatorAdmin });
    const expire = { retire: "expire", now: () => new Date("2020-01-01T00:00:00Z") } as const;
    await finish({ current: v2, n: 2, previous: v1, by: rotatorAdmin, options: expire });
    const row = await roleRow(v1.username);
    expect(row?.rolcanlogin).toBe(true);
    expect(row?.valid).toMatch(/^2020-01-01/);
    expect(await login(v1)).toEqual({ refused: "28P01" });
    expect(await login(v2)).toEqual({ user: v2.username });
  });

  it("undoes set when the test step fails: a role it created is dropped", async () => {
    const v1 = await newApp();
    // The credential names a port nothing listens on; the admin's own host and port are right.
    const e = await rotateFails({ current: { ...v1, port: 1 }, n: 1, by: superuser });
    expect(e.code).toBe("ROTATION_FAILED");
    expect(e.message).toMatch(/^rotation step test: PostgreSQL at 127\.0\.0\.1:1\/postgres/);
    expect(e.message).toContain("nothing was written; set was undone)");
    expect(await roleRow(alternateUsername(v1.username))).toBeUndefined();
    expect(await login(v1)).toEqual({ user: v1.username });
  });

  it("undoes set on an existing role: LOGIN, expiry and the exact stored password come back (superuser admin)", async () => {
    const v1 = await newApp();
    const v2 = await rotate({ current: v1, n: 1, by: superuser });
    await finish({ current: v2, n: 2, previous: v1, by: superuser });
    const before = await roleRow(v1.username);
    expect(before?.rolcanlogin).toBe(false);
    const e = await rotateFails({ current: { ...v2, port: 1 }, n: 2, previous: v1, by: superuser });
    expect(e.code).toBe("ROTATION_FAILED");
    expect(await roleRow(v1.username)).toEqual(before);
  });

  it("undoes set without pg_authid (CREATEROLE admin): the previous version's password comes back", async () => {
    const v1 = await newApp();
    const v2 = await rotate({ current: v1, n: 1, by: rotatorAdmin });
    const e = await rotateFails({ current: { ...v2, port: 1 }, n: 2, previous: v1, by: rotatorAdmin });
    expect(e.code).toBe("ROTATION_FAILED");
    expect(e.message).toContain("set was undone)");
    // The stored verifier is the previous password's (recomputed with its own salt).
    const stored = (await roleRow(v1.username))?.rolpassword as string;
    const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored);
    expect(m).not.toBeNull();
    expect(scramVerifier(v1.password, Number(m?.[1]), Buffer.from(m?.[2] as string, "base64"))).toBe(stored);
    expect(await login(v1)).toEqual({ user: v1.username });
  });

  it("says what undo could not put back when it has neither pg_authid nor the old password", async () => {
    const v1 = await newApp();
    const v2 = await rotate({ current: v1, n: 1, by: rotatorAdmin });
    const e = await rotateFails({ current: { ...v2, port: 1 }, n: 2, by: rotatorAdmin });
    expect(e.message).toContain(
      `set was undone except: the password of role ${v1.username} (the admin role cannot read pg_authid)`,
    );
  });

  it("single-user mode: the one role's password changes at once; finish has nothing to do", async () => {
    const v1 = await newApp();
    const single = { users: "single" } as const;
    const v2 = await rotate({ current: v1, n: 1, by: rotatorAdmin, options: single });
    expect(v2.username).toBe(v1.username);
    expect(await login(v2)).toEqual({ user: v1.username });
    expect(await login(v1)).toEqual({ refused: "28P01" });
    const notes = await finish({ current: v2, n: 2, previous: v1, by: rotatorAdmin, options: single });
    expect(notes[0]?.lines[0]).toMatch(/^single-user mode/);
    expect(await login(v2)).toEqual({ user: v1.username });
  });

  it("single-user mode: a failed test puts the current password back", async () => {
    const v1 = await newApp();
    const e = await rotateFails({ current: { ...v1, port: 1 }, n: 1, by: rotatorAdmin, options: { users: "single" } });
    expect(e.code).toBe("ROTATION_FAILED");
    expect(await login(v1)).toEqual({ user: v1.username });
  });

  it("quotes role names and passwords: quotes, spaces and SQL in them are only text", async () => {
    const v1 = await newApp(`we"ird 'app${++counter}`);
    const nasty = () => `test-only-it's "quoted"; DROP ROLE rotator; --${Math.random()}`;
    const v2 = await rotate({ current: v1, n: 1, by: superuser, options: { generate: nasty } });
    expect(v2.username).toBe(`${v1.username}_clone`);
    expect(await login(v2)).toEqual({ user: v2.username });
    expect(await login(rotatorAdmin)).toEqual({ user: "rotator" });
    await finish({ current: v2, n: 2, previous: v1, by: superuser });
    expect(await login(v1)).toEqual({ refused: "28000" });
  });

  it("an admin without CREATEROLE fails set with the fix, and changes nothing", async () => {
    const v1 = await newApp();
    const weak: Login = { ...base(), username: "weak_admin", password: "test-only-weak" };
    await asSuperuser((db) => db.query("CREATE ROLE weak_admin LOGIN PASSWORD 'test-only-weak'"));
    const e = await rotateFails({ current: v1, n: 1, by: weak });
    expect(e.code).toBe("ROTATION_FAILED");
    expect(e.message).toContain("(SQLSTATE 42501)");
    expect(e.fix).toContain("CREATEROLE");
    expect(await roleRow(alternateUsername(v1.username))).toBeUndefined();
  });

  it("refuses to rotate or retire the admin's own role", async () => {
    const e = await rotateFails({ current: { ...rotatorAdmin, username: "rotator_clone" }, n: 1, by: rotatorAdmin });
    expect(e.code).toBe("ROTATION_FAILED");
    expect(e.message).toContain("role rotator is the admin credential's own role");
    expect(await login(rotatorAdmin)).toEqual({ user: "rotator" });
  });

  it("a wrong admin password fails with what to check, and no value in the message", async () => {
    const v1 = await newApp();
    const e = await rotateFails({ current: v1, n: 1, by: { ...superuser, password: "test-only-wrong-admin-pw" } });
    expect(e.code).toBe("ROTATION_FAILED");
    expect(e.message).toContain("(SQLSTATE 28P01)");
    expect(e.fix).toContain("rotation.admin");
    expect(JSON.stringify(e)).not.toContain("test-only-wrong-admin-pw");
    expect(e.message).not.toContain(v1.password);
  });
});

describe("postgres credential values", () => {
  it("reads the JSON shape, with the admin's host, port and database defaulting to the secret's", () => {
    const c = parsePostgresCredential(
      JSON.stringify({ username: "u", password: "p", host: "db", port: "5433", database: "d" }),
      "x",
    );
    expect(c).toEqual({ username: "u", password: "p", host: "db", port: 5433, database: "d" });
    expect(parsePostgresCredential(JSON.stringify({ username: "a", password: "q" }), "admin", c)).toEqual({
      ...c,
      username: "a",
      password: "q",
    });
  });

  it("rejects other values as INVALID_VALUE without showing them", () => {
    for (const value of ["test-only-not-json", '["test-only-array"]', '{"username":"u","password":"test-only-p"}']) {
      let e: LockstepError | undefined;
      try {
        parsePostgresCredential(value, "production/db/password version 3");
      } catch (x) {
        e = x as LockstepError;
      }
      expect(e?.code).toBe("INVALID_VALUE");
      expect(e?.message).toMatch(/^production\/db\/password version 3 is not a PostgreSQL credential/);
      expect(e?.message).not.toContain("test-only");
    }
  });

  it("alternates names as AWS does: USER <-> USER_clone", () => {
    expect(alternateUsername("app")).toBe("app_clone");
    expect(alternateUsername("app_clone")).toBe("app");
  });
});
