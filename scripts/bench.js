#!/usr/bin/env node
/**
 * `npm run bench`: lockstep's speed on a repository of 1000 secrets x 20
 * readers and a 2000-commit history, timed as whole processes (median of
 * several runs), side by side with the age CLI and age-encryption's default
 * path decrypting the same ciphertexts, with Node's bare start-up as the
 * yardstick, and with age's crypto alone (Node's X25519, HKDF, HMAC and
 * ChaCha20-Poly1305, no files or parsing) as a floor under export and import. Prints a Markdown table (also written to .bench/results.md).
 *
 * Options: --secrets N (1000), --readers N (20), --commits N (2000), --runs N (5).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(ROOT, "dist", "cli", "main.cjs");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const SECRETS = arg("secrets", 1000);
const READERS = arg("readers", 20);
const COMMITS = arg("commits", 2000);
const RUNS = arg("runs", 5);

if (!existsSync(CLI)) throw new Error("run `npm run build` first");
const { generateKey } = await import(join(ROOT, "dist", "index.js"));

const work = mkdtempSync(join(tmpdir(), "lockstep-bench-"));
const home = join(work, "home");
mkdirSync(home);
const baseEnv = {
  PATH: process.env.PATH,
  HOME: home,
  XDG_CONFIG_HOME: join(home, ".config"),
  NO_COLOR: "1",
  GIT_AUTHOR_NAME: "Bench",
  GIT_AUTHOR_EMAIL: "bench@lockstep.invalid",
  GIT_COMMITTER_NAME: "Bench",
  GIT_COMMITTER_EMAIL: "bench@lockstep.invalid",
};

function run(cmd, args, { cwd = work, env = {}, input } = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...baseEnv, ...env }, input, maxBuffer: 1 << 28 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr?.toString().slice(0, 500)}`);
  }
  return r.stdout;
}
const lockstep = (args, opts) => run(process.execPath, [CLI, ...args], opts);

/** Median wall time of `runs` runs of `f` (ms); `prepare` runs untimed before each. */
function time(f, runs = RUNS, prepare = () => {}) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    prepare();
    const t0 = performance.now();
    f();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function log(s) {
  process.stderr.write(`${s}\n`);
}

// --- keys -------------------------------------------------------------------
log(`bench: ${SECRETS} secrets x ${READERS} readers, ${COMMITS} commits, ${RUNS} runs, in ${work}`);
const keysDir = join(work, "keys");
mkdirSync(keysDir);
const members = [];
for (let i = 0; i < READERS; i++) {
  const name = i === READERS - 1 ? "ci" : `reader${String(i).padStart(2, "0")}`;
  const k = await generateKey(false);
  const file = join(keysDir, `${name}.txt`);
  writeFileSync(file, k.fileText, { mode: 0o600 });
  members.push({ name, file, recipient: k.recipient });
}
const ci = members[members.length - 1];
const extra = await generateKey(false);

// --- the repository ---------------------------------------------------------
const repo = join(work, "repo");
mkdirSync(repo);
lockstep(["init", "--env", "production", "--env", "import"], { cwd: repo });
const access = [
  "members:",
  ...members.map((m) => `  ${m.name}:\n    recipients: [${m.recipient}]`),
  "groups:",
  `  everyone: [${members.map((m) => m.name).join(", ")}]`,
  "rules:",
  '  - match: "**"',
  "    readers: [everyone]",
  "    approvers: [everyone]",
  "",
].join("\n");
writeFileSync(join(repo, "access.yaml"), access);
const dotenv = Array.from(
  { length: SECRETS },
  (_, i) => `SECRET_${String(i).padStart(4, "0")}='value-${i}-${"x".repeat(24)}'`,
).join("\n");
writeFileSync(join(work, "bench.env"), `${dotenv}\n`);
const importMs = time(() => lockstep(["import", "production", join(work, "bench.env")], { cwd: repo }), 1);
run("git", ["add", "-A"], { cwd: repo });
run("git", ["commit", "-qm", "bench secrets"], { cwd: repo });
const asCi = { cwd: repo, env: { LOCKSTEP_AGE_KEY_FILE: ci.file } };

// --- ciphertexts for the age CLI and age-encryption -------------------------
const { parse } = await import("yaml");
const ctDir = join(work, "ciphertexts");
mkdirSync(ctDir);
const ids = lockstep(["ls", "production", "--json"], { cwd: repo });
const list = JSON.parse(ids.toString()).map((s) => s.id);
list.forEach((id, i) => {
  const m = parse(readFileSync(join(repo, "secrets", `${id}.yaml`), "utf8"));
  writeFileSync(join(ctDir, `${i}.age`), m.versions[0].ciphertext);
});
const ageScript = join(work, "age-loop.sh");
writeFileSync(ageScript, `for f in "${ctDir}"/*.age; do age -d -i "${ci.file}" "$f" >/dev/null || exit 1; done\n`);
const typageScript = join(work, "typage.mjs");
writeFileSync(
  typageScript,
  `import { readFileSync, readdirSync } from "node:fs";
import { Decrypter, armor } from ${JSON.stringify(join(ROOT, "node_modules", "age-encryption", "dist", "index.js"))};
const key = readFileSync(${JSON.stringify(ci.file)}, "utf8").split("\\n").find((l) => l.startsWith("AGE-SECRET-KEY-"));
const d = new Decrypter();
d.addIdentity(key);
for (const f of readdirSync(${JSON.stringify(ctDir)})) await d.decrypt(armor.decode(readFileSync(${JSON.stringify(ctDir)} + "/" + f, "utf8")));
`,
);

// age's crypto alone, as a floor under lockstep's times: Node's X25519 (key import and Diffie-Hellman),
// HKDF, HMAC and ChaCha20-Poly1305 as the format needs them, with no files, no parsing and no armor.
// A stanza takes an ephemeral key and a Diffie-Hellman to encrypt, a key import and a Diffie-Hellman to
// decrypt; a file adds its header MAC and payload. Runs on the given number of threads.
const floorScript = join(work, "age-crypto-floor.mjs");
writeFileSync(
  floorScript,
  `import { createCipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, randomBytes } from "node:crypto";
import { Worker, isMainThread, workerData } from "node:worker_threads";
const jwk = (k) => ({ key: { kty: "OKP", crv: "X25519", ...k }, format: "jwk" });
const hmac = (key, data) => createHmac("sha256", key).update(data).digest();
const hkdf = (ikm, salt, info) => hmac(hmac(salt, ikm), info + "\\x01");
const seal = (key, data) => {
  const c = createCipheriv("chacha20-poly1305", key, Buffer.alloc(12), { authTagLength: 16 });
  return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
};
function work({ kind, stanzas, readers }) {
  // Every random input up front, in one draw: this measures the crypto, not the drawing.
  const random = randomBytes(stanzas * 96 + 4096);
  const bytes = (i, n) => random.subarray(i * 96, i * 96 + n);
  const header = random.toString("base64", 0, 90 * (readers + 1));
  const mine = createPrivateKey(jwk({ d: bytes(0, 32).toString("base64url"), x: "" }));
  const theirs = createPublicKey(mine);
  const fileKey = bytes(1, 16);
  for (let i = 0; i < stanzas; i++) {
    const key = bytes(i, 32).toString("base64url");
    let shared;
    if (kind === "encrypt") {
      const ephemeral = createPrivateKey(jwk({ d: key, x: "" }));
      ephemeral.export({ format: "jwk" });
      shared = diffieHellman({ privateKey: ephemeral, publicKey: theirs });
    } else shared = diffieHellman({ privateKey: mine, publicKey: createPublicKey(jwk({ x: key })) });
    seal(hkdf(shared, bytes(i, 64), "age-encryption.org/v1/X25519"), fileKey);
    if (i % readers === 0) {
      hmac(hkdf(fileKey, Buffer.alloc(0), "header"), header);
      seal(hkdf(fileKey, bytes(i, 16), "payload"), bytes(i, 80));
    }
  }
}
if (isMainThread) {
  const [kind, total, readers, threads] = process.argv.slice(2).map((a, i) => (i === 0 ? a : Number(a)));
  const stanzas = Math.ceil(total / threads);
  const others = Array.from({ length: threads - 1 }, () =>
    new Promise((done) => new Worker(new URL(import.meta.url), { workerData: { kind, stanzas, readers } }).on("exit", done)),
  );
  work({ kind, stanzas, readers });
  await Promise.all(others);
} else work(workerData);
`,
);

// --- a history for audit ----------------------------------------------------
const hist = join(work, "history");
cpSync(repo, hist, { recursive: true });
{
  // Rotations and promotions of 50 secrets, written with git fast-import: one process for all commits.
  const { stringify } = await import("yaml");
  const targets = list
    .slice(0, 50)
    .map((id) => ({ id, m: parse(readFileSync(join(hist, "secrets", `${id}.yaml`), "utf8")) }));
  const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: hist }).toString().trim();
  const chunks = [];
  const t0 = 1_790_000_000;
  for (let c = 0; c < COMMITS; c++) {
    const t = targets[c % targets.length];
    const rotate = Math.floor(c / targets.length) % 2 === 0;
    if (rotate) {
      const top = t.m.versions[0];
      t.m.versions.unshift({ ...top, version: top.version + 1 });
      t.m.stages.canary = top.version + 1;
    } else {
      t.m.stages.stable = t.m.stages.canary;
    }
    const content = stringify(t.m, { lineWidth: 0 });
    const msg = `${rotate ? "rotate" : "promote"} ${t.id}`;
    let commit = `commit refs/heads/main\nauthor Author${c % 7} <a${c % 7}@lockstep.invalid> ${t0 + c * 60} +0000\ncommitter Bench <bench@lockstep.invalid> ${t0 + c * 60} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}\n`;
    if (c === 0) commit += `from ${head}\n`;
    commit += `M 100644 inline secrets/${t.id}.yaml\ndata ${Buffer.byteLength(content)}\n${content}\n`;
    chunks.push(commit);
  }
  const stream = chunks.join("");
  run("git", ["fast-import", "--quiet"], { cwd: hist, input: stream });
  run("git", ["reset", "-q", "--hard", "main"], { cwd: hist });
}
const commitCount = execFileSync("git", ["rev-list", "--count", "HEAD"], { cwd: hist }).toString().trim();

// --- timings ----------------------------------------------------------------
log("timing...");
const rows = [];
const row = (what, ms, note = "") => {
  rows.push({ what, ms, note });
  log(`  ${what}: ${ms.toFixed(0)} ms`);
};
const bare = time(() => run(process.execPath, ["-e", "0"]), 9);
row("node -e 0 (bare start-up, the yardstick)", bare);
row(
  "lockstep --help",
  time(() => lockstep(["--help"]), 9),
);
row(
  "lockstep get (one secret)",
  time(() => lockstep(["get", list[0]], asCi), 9),
);
row(
  `lockstep export production (${SECRETS} secrets, dotenv)`,
  time(() => lockstep(["export", "production"], asCi)),
);
row(
  `age CLI: ${SECRETS} processes, one per ciphertext`,
  time(() => run("bash", [ageScript]), Math.min(RUNS, 3)),
);
row(
  `age-encryption default path: ${SECRETS} ciphertexts in one process`,
  time(() => run(process.execPath, [typageScript]), Math.min(RUNS, 3)),
);
/** The floor for `stanzas` stanzas of `kind` in files of `readers`: the faster of one thread and every core. */
const floor = (kind, stanzas, readers) =>
  Math.min(
    ...[1, cpus().length].map((threads) =>
      time(
        () => run(process.execPath, [floorScript, kind, String(stanzas), String(readers), String(threads)]),
        Math.min(RUNS, 3),
      ),
    ),
  );
row(
  `floor: age's crypto alone for ${SECRETS} decryptions`,
  floor("decrypt", SECRETS, 1),
  "Node's X25519, HKDF, HMAC, ChaCha20-Poly1305; one thread or every core, whichever is faster; no files or parsing",
);
const importCopy = join(work, "import-copy");
/** A fresh copy of the sandbox for an import, flushed: the copy's writes are not the import's to flush. */
const freshImportCopy = () => {
  rmSync(importCopy, { recursive: true, force: true });
  cpSync(repo, importCopy, { recursive: true });
  execFileSync("sync");
};
row(
  `lockstep import (${SECRETS} variables into an empty environment)`,
  time(
    () => lockstep(["import", "import", join(work, "bench.env")], { cwd: importCopy }),
    Math.min(RUNS, 3),
    freshImportCopy,
  ),
  `first run in the sandbox: ${importMs.toFixed(0)} ms`,
);
row(
  "lockstep import, one thread (LOCKSTEP_WORKERS=0)",
  time(
    () => lockstep(["import", "import", join(work, "bench.env")], { cwd: importCopy, env: { LOCKSTEP_WORKERS: "0" } }),
    Math.min(RUNS, 3),
    freshImportCopy,
  ),
);
row(
  `floor: age's crypto alone for import's ${SECRETS} files of ${READERS} stanzas`,
  floor("encrypt", SECRETS * READERS, READERS),
  "as for the decryptions",
);
const rekeyCopy = join(work, "rekey-copy");
row(
  `lockstep rekey (a reader added: ${SECRETS} secrets re-encrypted to ${READERS + 1})`,
  time(
    () => lockstep(["rekey"], { cwd: rekeyCopy, env: { LOCKSTEP_AGE_KEY_FILE: ci.file } }),
    Math.min(RUNS, 3),
    () => {
      rmSync(rekeyCopy, { recursive: true, force: true });
      cpSync(repo, rekeyCopy, { recursive: true });
      lockstep(["member", "add", "newcomer", "--key", extra.recipient, "--group", "everyone"], { cwd: rekeyCopy });
      execFileSync("sync");
    },
  ),
);
row(
  "lockstep check (no key)",
  time(() => lockstep(["check"], { cwd: repo })),
);
row(
  "lockstep check --decrypt",
  time(() => lockstep(["check", "--decrypt"], asCi), Math.min(RUNS, 3)),
);
row(
  `lockstep audit (${commitCount} commits)`,
  time(() => lockstep(["audit", "--json"], { cwd: hist }), Math.min(RUNS, 3)),
);

// --- report -----------------------------------------------------------------
const cpu = cpus()[0]?.model ?? "unknown CPU";
const machine = `${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, age ${execFileSync("age", ["--version"]).toString().trim()}`;
const lines = [
  `Machine: ${machine}. ${SECRETS} secrets x ${READERS} readers; medians of up to ${RUNS} runs, whole processes.`,
  "",
  "| what | ms | x node start-up | note |",
  "|---|---:|---:|---|",
  ...rows.map((r) => `| ${r.what} | ${r.ms.toFixed(0)} | ${(r.ms / bare).toFixed(1)} | ${r.note} |`),
];
const exportMs = rows.find((r) => r.what.startsWith("lockstep export production ("))?.ms ?? 0;
const ageMs = rows.find((r) => r.what.startsWith("age CLI"))?.ms ?? 0;
lines.push("", `export is ${(ageMs / exportMs).toFixed(1)}x faster than the age CLI loop on the same ciphertexts.`);
const table = `${lines.join("\n")}\n`;
mkdirSync(join(ROOT, ".bench"), { recursive: true });
writeFileSync(join(ROOT, ".bench", "results.md"), table);
process.stdout.write(table);
if (!process.argv.includes("--keep")) rmSync(work, { recursive: true, force: true });
