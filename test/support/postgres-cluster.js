/**
 * A throwaway PostgreSQL cluster, for the tests and the demo: `initdb` in a
 * temporary folder, a server listening on 127.0.0.1 at a free port (and on a
 * Unix socket inside that folder, nowhere else), stopped and removed by
 * `stop()`, or when the process exits.
 *
 * initdb and postgres refuse to run as root. As root (as here and in CI),
 * they run as the `postgres` user of Debian's package (else `nobody`), which
 * owns the folder: Node's spawn sets the uid and gid and drops the
 * supplementary groups.
 *
 * Plain JavaScript (with JSDoc types) so that scripts/demo.js can use it too.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/**
 * The folder holding `initdb`, `pg_ctl` and `postgres`: `LOCKSTEP_PG_BIN`,
 * else Debian's `/usr/lib/postgresql/<newest version>/bin`, else a folder of
 * PATH. `undefined` when there is none.
 * @returns {string | undefined}
 */
export function findPostgresBin() {
  const has = (dir) => ["initdb", "pg_ctl", "postgres"].every((b) => existsSync(join(dir, b)));
  const candidates = [];
  if (process.env.LOCKSTEP_PG_BIN) candidates.push(process.env.LOCKSTEP_PG_BIN);
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, "bin")));
  }
  candidates.push(...(process.env.PATH ?? "").split(delimiter).filter(Boolean));
  return candidates.find(has);
}

/**
 * The uid and gid the server runs as: ours, or when we are root, the
 * `postgres` user's (else `nobody`'s).
 * @returns {{uid: number, gid: number} | undefined} undefined when we are not root
 */
function serverUser() {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  for (const name of ["postgres", "nobody"]) {
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${name}:`));
    if (line) {
      const [, , uid, gid] = line.split(":");
      return { uid: Number(uid), gid: Number(gid) };
    }
  }
  throw new Error("running as root, and there is neither a postgres nor a nobody user to run PostgreSQL as");
}

/** A free TCP port on 127.0.0.1 (free when asked: a start that loses a race retries). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** An environment for the server's programs: none of the caller's PG* settings, the C locale. */
function serverEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PG") && !k.startsWith("LC_")) env[k] = v;
  return { ...env, LC_ALL: "C", LANG: "C" };
}

/**
 * Runs one of the server's programs to its end.
 * @returns {Promise<void>} rejects with its output when it fails
 */
function run(bin, program, args, user) {
  return new Promise((resolve, reject) => {
    const child = spawn(join(bin, program), args, {
      env: serverEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      ...(user && { uid: user.uid, gid: user.gid }),
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${program} exited ${code}:\n${out}`))));
  });
}

/**
 * @typedef {object} Cluster
 * @property {string} host 127.0.0.1
 * @property {number} port the TCP port it listens on
 * @property {string} superuser the bootstrap superuser's name
 * @property {string} password its password (password logins over TCP use scram-sha-256)
 * @property {string} database "postgres"
 * @property {string} dir the cluster's temporary folder (data, socket, log)
 * @property {() => Promise<void>} stop stops the server and removes the folder
 */

/**
 * Starts a throwaway cluster. Password (scram-sha-256) authentication over
 * TCP; trust over its own Unix socket, which only its folder holds.
 * @param {{superuser?: string, password?: string, bin?: string}} [options]
 * @returns {Promise<Cluster>}
 */
export async function startCluster(options = {}) {
  const bin = options.bin ?? findPostgresBin();
  if (!bin) throw new Error("PostgreSQL's initdb and pg_ctl were not found (Debian: apt-get install postgresql)");
  const superuser = options.superuser ?? "lockstep_admin";
  const password = options.password ?? `test-only-${Math.random().toString(36).slice(2)}`;
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "lockstep-pg-"));
  const data = join(dir, "data");
  const pwfile = join(dir, "pwfile");
  const log = join(dir, "server.log");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(pwfile, user.uid, user.gid);
  }
  chmodSync(dir, 0o700);
  let started = false;
  const stopNow = () => {
    if (started) {
      spawnSync(join(bin, "pg_ctl"), ["stop", "-D", data, "-m", "immediate", "-w"], {
        env: serverEnv(),
        stdio: "ignore",
        ...(user && { uid: user.uid, gid: user.gid }),
      });
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stopNow);
  try {
    await run(
      bin,
      "initdb",
      [
        "-D",
        data,
        "-U",
        superuser,
        `--pwfile=${pwfile}`,
        "--auth-host=scram-sha-256",
        "--auth-local=trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
      ],
      user,
    );
    rmSync(pwfile);
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = [
        `-p ${port}`,
        "-c listen_addresses=127.0.0.1",
        `-c unix_socket_directories='${dir}'`,
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
        "-c max_connections=30",
        "-c shared_buffers=16MB",
      ].join(" ");
      try {
        await run(bin, "pg_ctl", ["start", "-D", data, "-l", log, "-w", "-t", "60", "-o", settings], user);
        started = true;
        break;
      } catch (e) {
        // Another process may have taken the port between our look and the server's bind.
        if (attempt >= 3) throw new Error(`${e.message}\n${existsSync(log) ? readFileSync(log, "utf8") : ""}`);
      }
    }
    return {
      host: "127.0.0.1",
      port,
      superuser,
      password,
      database: "postgres",
      dir,
      stop: async () => {
        process.off("exit", stopNow);
        if (started) {
          await run(bin, "pg_ctl", ["stop", "-D", data, "-m", "fast", "-w", "-t", "60"], user).catch(() => {});
          started = false;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    process.off("exit", stopNow);
    stopNow();
    throw e;
  }
}
