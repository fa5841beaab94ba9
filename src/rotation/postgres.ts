/**
 * The `postgres` strategy: rotation of a PostgreSQL login, with node-postgres.
 *
 * The secret's value is JSON, `{"username", "password", "host", "port",
 * "database"}` (and optionally `"sslmode"`: `disable`, `require` or
 * `verify-full`). The admin credential (`rotation.admin`) is another secret
 * of the same shape, whose host, port and database default to the secret's;
 * its role needs CREATEROLE (and, to grant them, the admin option on the
 * roles the user belongs to).
 *
 * Alternating users (default), as AWS Secrets Manager's "alternating users"
 * strategy: rotation switches between USER and USER_clone (a name ending in
 * `_clone` switches back), so the credential the last stage has keeps
 * working while earlier stages get the new one.
 * - set: the other role gets a new password, LOGIN and no expiry; on first
 *   use it is created with the same role memberships as USER, and as a
 *   member of USER (so it reaches what USER owns). Role attributes and
 *   per-role settings are not copied.
 * - test: logs in with the new credential.
 * - finish: the previous version's role gets NOLOGIN (default), or an
 *   expired password (`retire: expire`). Sessions already open stay open.
 * - undo: drops a role that set created; else puts back its LOGIN, expiry
 *   and password (read from pg_authid when the admin may, which needs
 *   superuser; else the previous version's password, when that version
 *   used the role).
 *
 * Single user (`users: single`): set changes the one role's password, so the
 * old password stops working at once: there is no overlap, every stage must
 * get the new version together (no canary), and finish has nothing to do.
 * Undo sets the current password back.
 *
 * SQL: values travel as bind parameters where PostgreSQL takes them; role
 * names and password literals in CREATE/ALTER ROLE (which take none) are
 * quoted with node-postgres's escapeIdentifier and escapeLiteral. Passwords
 * are sent as SCRAM-SHA-256 verifiers made here (see scram.ts).
 */
import type { Client, ClientConfig } from "pg";
import { LockstepError } from "../errors.js";
import { scramVerifier } from "./scram.js";
import type { FinishInput, PendingInput, Rotator, StepNotes } from "./steps.js";

/** A PostgreSQL login, as the secret's JSON value holds it. */
export interface PostgresCredential {
  username: string;
  password: string;
  host: string;
  port: number;
  database: string;
  sslmode?: "disable" | "require" | "verify-full";
}

/** How the postgres strategy rotates. */
export interface PostgresRotatorOptions {
  /** `alternate` (default): USER and USER_clone in turn; `single`: one role, no overlap. */
  users?: "alternate" | "single";
  /** How finish retires the previous role: `nologin` (default) or `expire` (its password). */
  retire?: "nologin" | "expire";
  /** Makes a new password. */
  generate: () => string;
  /** Connection time limit, in milliseconds (default 10 000). */
  connectTimeoutMs?: number;
  /** The clock, for `expire` (tests fix it). */
  now?: () => Date;
}

/** The suffix of the alternate role, as AWS's alternating-users rotation names it. */
export const CLONE_SUFFIX = "_clone";

/** The other role of an alternating pair: USER <-> USER_clone. */
export function alternateUsername(username: string): string {
  return username.endsWith(CLONE_SUFFIX) ? username.slice(0, -CLONE_SUFFIX.length) : `${username}${CLONE_SUFFIX}`;
}

const SSLMODES = ["disable", "require", "verify-full"] as const;

/**
 * Reads a credential from a secret's value.
 * @param what names the value in errors (`production/db/password version 4`); never the value itself
 * @param defaults fills host, port and database (for the admin credential)
 * @throws LockstepError `INVALID_VALUE`.
 */
export function parsePostgresCredential(
  value: string,
  what: string,
  defaults?: Pick<PostgresCredential, "host" | "port" | "database">,
): PostgresCredential {
  const bad = (why: string) =>
    new LockstepError("INVALID_VALUE", `${what} is not a PostgreSQL credential: ${why}`, {
      fix: 'its value is JSON: {"username": "...", "password": "...", "host": "...", "port": 5432, "database": "..."}',
    });
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    throw bad("not JSON");
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw bad("not a JSON object");
  const o: Record<string, unknown> = { ...defaults, ...(doc as Record<string, unknown>) };
  for (const key of ["username", "password", "host", "database"] as const) {
    if (typeof o[key] !== "string" || o[key] === "") throw bad(`"${key}" must be a non-empty string`);
  }
  const port = typeof o.port === "string" && /^\d+$/.test(o.port) ? Number(o.port) : o.port;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw bad('"port" must be a port number');
  }
  const sslmode = o.sslmode;
  if (sslmode !== undefined && !SSLMODES.includes(sslmode as (typeof SSLMODES)[number])) {
    throw bad(`"sslmode" must be one of ${SSLMODES.join(", ")}`);
  }
  return {
    username: o.username as string,
    password: o.password as string,
    host: o.host as string,
    port,
    database: o.database as string,
    ...(sslmode !== undefined && { sslmode: sslmode as PostgresCredential["sslmode"] }),
  };
}

/** What set found of the role before changing it, for undo. */
interface SavedRole {
  name: string;
  created: boolean;
  canLogin?: boolean;
  validUntil?: string | null;
  /** Whether its password had expired (finish with `retire: expire`). */
  expired?: boolean;
  /** The stored verifier, when the admin may read pg_authid (null: the role had no password). */
  verifier?: string | null;
}

/** A rotator for one rotation of a PostgreSQL credential. */
export function postgresRotator(options: PostgresRotatorOptions): Rotator {
  const users = options.users ?? "alternate";
  const timeout = options.connectTimeoutMs ?? 10_000;
  let saved: SavedRole | undefined;

  const credentials = (input: PendingInput | FinishInput) => {
    const current = parsePostgresCredential(input.current.value, `${input.id} version ${input.current.version}`);
    if (!input.admin) {
      throw new LockstepError("INVALID_VALUE", `${input.id}: the postgres strategy needs rotation.admin`, {
        fix: "name the secret holding the admin credential in rotation.admin",
      });
    }
    const admin = parsePostgresCredential(
      input.admin.value,
      `${input.admin.id} version ${input.admin.version}`,
      current,
    );
    return { current, admin };
  };

  return {
    async create(input) {
      const current = parsePostgresCredential(input.current.value, `${input.id} version ${input.current.version}`);
      const username = users === "alternate" ? alternateUsername(current.username) : current.username;
      const doc: Record<string, unknown> = { ...JSON.parse(input.current.value), username };
      doc.password = options.generate();
      const notes = users === "alternate" ? [`version ${input.pending.version} logs in as ${username}`] : [];
      return { value: JSON.stringify(doc), notes };
    },

    async set(input) {
      const { current, admin } = credentials(input);
      const pending = parsePostgresCredential(input.pending.value, `${input.id} version ${input.pending.version}`);
      if (pending.username === admin.username) throw adminIsUser(input.id, pending.username);
      return withClient(admin, timeout, "set", async (db, sql) => {
        await db.query("BEGIN");
        try {
          const role = await readRole(db, pending.username);
          const password = await passwordLiteral(db, sql, pending.password);
          const notes: StepNotes = [];
          if (!role) {
            if (users === "single") throw noRole("set", pending.username);
            await db.query(`CREATE ROLE ${sql.id(pending.username)} WITH LOGIN PASSWORD ${password}`);
            const granted = await copyMemberships(db, sql, current.username, pending.username);
            notes.push(`created role ${pending.username}, member of ${granted.join(", ")}`);
            saved = { name: pending.username, created: true };
          } else {
            saved = { name: pending.username, created: false, ...role };
            // A role finish retired logs in again (an expired password no longer expires).
            let login = "";
            if (users === "alternate") login = role.validUntil === null ? " LOGIN" : " LOGIN VALID UNTIL 'infinity'";
            await db.query(`ALTER ROLE ${sql.id(pending.username)} WITH${login} PASSWORD ${password}`);
            notes.push(`new password for role ${pending.username}`);
          }
          await db.query("COMMIT");
          return notes;
        } catch (e) {
          saved = undefined;
          await db.query("ROLLBACK").catch(() => {});
          throw e;
        }
      });
    },

    async test(input) {
      const pending = parsePostgresCredential(input.pending.value, `${input.id} version ${input.pending.version}`);
      const who = await withClient(pending, timeout, "test", async (db) => {
        const r = await db.query<{ current_user: string }>("SELECT current_user");
        return r.rows[0]?.current_user;
      });
      if (who !== pending.username) {
        throw new LockstepError("ROTATION_FAILED", `rotation step test: logged in as ${who}, not ${pending.username}`);
      }
      return [`${pending.username} logs in at ${pending.host}:${pending.port}/${pending.database}`];
    },

    async undo(input) {
      const s = saved;
      if (!s) return undefined;
      const { admin } = credentials(input);
      return withClient(admin, timeout, "undo", async (db, sql) => {
        if (s.created) {
          await db.query(`DROP ROLE IF EXISTS ${sql.id(s.name)}`);
          saved = undefined;
          return [];
        }
        const left: string[] = [];
        let password = "";
        if (s.verifier !== undefined) password = ` PASSWORD ${s.verifier === null ? "NULL" : sql.literal(s.verifier)}`;
        else {
          const known = [input.current, input.previous]
            .filter((c): c is NonNullable<typeof c> => c !== undefined)
            .map((c) => safeParse(c.value))
            .find((c) => c?.username === s.name);
          if (known) password = ` PASSWORD ${await passwordLiteral(db, sql, known.password)}`;
          // A retired role's old password logged in nowhere: only a live one is worth reporting.
          else if (s.canLogin !== false && !s.expired) {
            left.push(`the password of role ${s.name} (the admin role cannot read pg_authid)`);
          }
        }
        let attributes = "";
        if (users === "alternate") {
          attributes = s.canLogin === false ? " NOLOGIN" : " LOGIN";
          if (s.validUntil !== null && s.validUntil !== undefined)
            attributes += ` VALID UNTIL ${sql.literal(s.validUntil)}`;
        }
        if (attributes !== "" || password !== "") {
          await db.query(`ALTER ROLE ${sql.id(s.name)} WITH${attributes}${password}`);
        }
        saved = undefined;
        return left;
      });
    },

    async finish(input) {
      if (users === "single") {
        return ["single-user mode: the previous password stopped working when the new one was set"];
      }
      const { current, admin } = credentials(input);
      const previous = parsePostgresCredential(input.previous.value, `${input.id} version ${input.previous.version}`);
      if (previous.username === current.username) {
        return [`version ${input.previous.version} used role ${previous.username} too: nothing else to retire`];
      }
      if (previous.username === admin.username) throw adminIsUser(input.id, previous.username);
      await withClient(admin, timeout, "finish", async (db, sql) => {
        if (!(await readRole(db, previous.username))) throw noRole("finish", previous.username);
        const retire =
          options.retire === "expire"
            ? `VALID UNTIL ${sql.literal((options.now?.() ?? new Date()).toISOString())}`
            : "NOLOGIN";
        await db.query(`ALTER ROLE ${sql.id(previous.username)} WITH ${retire}`);
      });
      const how = options.retire === "expire" ? "its password expired" : "NOLOGIN";
      const notes = [`role ${previous.username} retired (${how})`];
      if (await logsIn(previous, timeout)) {
        notes.push(`warning: ${previous.username} still logs in with version ${input.previous.version}'s password`);
      }
      return notes;
    },
  };
}

/** Quoting of SQL identifiers and literals, node-postgres's. */
interface Sql {
  id(name: string): string;
  literal(text: string): string;
}

/** Connects, runs `work`, disconnects; a PostgreSQL or network failure becomes `ROTATION_FAILED`. */
async function withClient<T>(
  c: PostgresCredential,
  timeoutMs: number,
  step: string,
  work: (db: Client, sql: Sql) => Promise<T>,
): Promise<T> {
  const pg = await import("pg");
  const db = new pg.Client(clientConfig(c, timeoutMs));
  const sql: Sql = { id: pg.escapeIdentifier, literal: pg.escapeLiteral };
  // An error after connecting (the server going away) arrives as an event: it fails the query under way.
  db.on("error", () => {});
  try {
    await db.connect();
    return await work(db, sql);
  } catch (e) {
    throw postgresError(e, step, c);
  } finally {
    await db.end().catch(() => {});
  }
}

function clientConfig(c: PostgresCredential, timeoutMs: number): ClientConfig {
  return {
    host: c.host,
    port: c.port,
    user: c.username,
    password: c.password,
    database: c.database,
    application_name: "lockstep",
    connectionTimeoutMillis: timeoutMs,
    query_timeout: 30_000,
    ssl:
      c.sslmode === undefined || c.sslmode === "disable" ? false : { rejectUnauthorized: c.sslmode === "verify-full" },
  };
}

/** Whether a credential logs in (false when the server refuses the login itself). */
async function logsIn(c: PostgresCredential, timeoutMs: number): Promise<boolean> {
  const pg = await import("pg");
  const db = new pg.Client(clientConfig(c, timeoutMs));
  db.on("error", () => {});
  try {
    await db.connect();
    return true;
  } catch {
    return false;
  } finally {
    await db.end().catch(() => {});
  }
}

/** A role's LOGIN, expiry and (when readable) stored password; undefined when there is no such role. */
async function readRole(
  db: Client,
  name: string,
): Promise<{ canLogin: boolean; validUntil: string | null; expired: boolean; verifier?: string | null } | undefined> {
  const r = await db.query<{
    rolcanlogin: boolean;
    valid: string | null;
    expired: boolean;
    oid: number;
    authid: boolean;
  }>(
    `SELECT rolcanlogin, rolvaliduntil::text AS valid, coalesce(rolvaliduntil < now(), false) AS expired, oid,
            has_table_privilege('pg_catalog.pg_authid', 'SELECT') AS authid
       FROM pg_catalog.pg_roles WHERE rolname = $1`,
    [name],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  const role = { canLogin: row.rolcanlogin, validUntil: row.valid, expired: row.expired };
  if (!row.authid) return role;
  const p = await db.query<{ rolpassword: string | null }>(
    "SELECT rolpassword FROM pg_catalog.pg_authid WHERE oid = $1",
    [row.oid],
  );
  return { ...role, verifier: p.rows[0]?.rolpassword ?? null };
}

/**
 * Grants `to` every role `from` is a member of (with the admin option where
 * `from` has it), and `from` itself. Returns the roles granted.
 */
async function copyMemberships(db: Client, sql: Sql, from: string, to: string): Promise<string[]> {
  const r = await db.query<{ role: string; admin_option: boolean }>(
    `SELECT g.rolname AS role, m.admin_option
       FROM pg_catalog.pg_auth_members m
       JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
       JOIN pg_catalog.pg_roles u ON u.oid = m.member
      WHERE u.rolname = $1
      ORDER BY g.rolname`,
    [from],
  );
  if (r.rowCount === 0 && !(await readRole(db, from))) throw noRole("set", from);
  for (const m of r.rows) {
    await db.query(`GRANT ${sql.id(m.role)} TO ${sql.id(to)}${m.admin_option ? " WITH ADMIN OPTION" : ""}`);
  }
  await db.query(`GRANT ${sql.id(from)} TO ${sql.id(to)}`);
  return [...r.rows.map((m) => m.role), from];
}

/** The PASSWORD clause's literal: a SCRAM verifier when the server stores SCRAM, else the password. */
async function passwordLiteral(db: Client, sql: Sql, password: string): Promise<string> {
  const r = await db.query<{ password_encryption: string }>("SHOW password_encryption");
  const verifier = r.rows[0]?.password_encryption === "scram-sha-256" ? scramVerifier(password) : undefined;
  return sql.literal(verifier ?? password);
}

function safeParse(value: string): PostgresCredential | undefined {
  try {
    return parsePostgresCredential(value, "a version");
  } catch {
    return undefined;
  }
}

function adminIsUser(id: string, role: string): LockstepError {
  return new LockstepError("ROTATION_FAILED", `${id}: role ${role} is the admin credential's own role`, {
    fix: "rotation.admin must name a secret of another role than the one rotated",
  });
}

function noRole(step: string, role: string): LockstepError {
  return new LockstepError("ROTATION_FAILED", `rotation step ${step}: PostgreSQL has no role ${role}`, {
    fix: "check the username in the secret's value",
  });
}

/** SQLSTATEs a user can act on, and what to do. */
const FIXES: Record<string, string> = {
  "28P01": "the password was refused: check the credential's secret (for set, undo and finish: rotation.admin)",
  "28000": "the role may not log in here: check pg_hba.conf and the role's LOGIN",
  "42501": "the admin role needs CREATEROLE, and the admin option on the roles the user is a member of",
  "3D000": "the database does not exist: check the credential's database",
};

/** A failure of node-postgres (or of the network under it) as a `ROTATION_FAILED` naming the server, never a value. */
function postgresError(e: unknown, step: string, c: PostgresCredential): LockstepError {
  if (e instanceof LockstepError) return e;
  const err = e as { code?: string; message?: string };
  const where = `${c.host}:${c.port}/${c.database} as ${c.username}`;
  const sqlstate = typeof err.code === "string" && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined;
  const fix =
    (sqlstate && FIXES[sqlstate]) ??
    (sqlstate ? undefined : "check that the server is up and the credential's host and port are right");
  return new LockstepError(
    "ROTATION_FAILED",
    `rotation step ${step}: PostgreSQL at ${where}: ${err.message ?? String(e)}${sqlstate ? ` (SQLSTATE ${sqlstate})` : ""}`,
    { ...(fix !== undefined && { fix }), cause: e },
  );
}
