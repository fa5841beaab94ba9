/**
 * The keys people already have, through the built CLI: a teammate with only
 * an SSH key (added with the line of their .pub file, comment and all, and
 * reading with `--identity ~/.ssh/id_ed25519`), encrypted SSH keys and
 * passphrase-protected identity files asking on a terminal, sops' key
 * locations, and age plugins run from PATH.
 */
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { have } from "../support/keys.js";
import { haveScript, runInTerminal } from "../support/terminal.js";
import {
  CLI,
  childEnv,
  expectError,
  expectOk,
  makeSandbox,
  ROOT,
  requireBuiltCli,
  type Sandbox,
  writeKeyFile,
} from "./helpers.js";

requireBuiltCli();

const HAVE_SSH = have("ssh-keygen", ["-?"]);
const HAVE_AGE = have("age", ["--version"]);
const HAVE_TTY = haveScript();
if (!HAVE_SSH || !HAVE_AGE || !HAVE_TTY) {
  console.warn("keys.test.ts: some cases SKIPPED (they need ssh-keygen, age and util-linux script on PATH)");
}
const PLUGIN_PATH = `${join(ROOT, "test", "support")}${delimiter}${process.env.PATH ?? ""}`;

/** An SSH key pair made by ssh-keygen in the sandbox's ~/.ssh. */
function sshKeygen(s: Sandbox, name: string, type: "ed25519" | "rsa", passphrase = "") {
  const path = join(s.home, ".ssh", name);
  execFileSync("ssh-keygen", ["-q", "-t", type, "-N", passphrase, "-C", `${name}@laptop`, "-f", path]);
  return {
    path,
    line: execFileSync("cat", [`${path}.pub`])
      .toString()
      .trim(),
  };
}

/** The plaintext of an age ciphertext, opened by the age CLI with `key`. */
function ageDecrypt(ciphertext: string, key: string): string {
  return execFileSync("age", ["-d", "-i", key], { input: ciphertext }).toString();
}

describe.skipIf(!HAVE_SSH || !HAVE_AGE)("a teammate with only an SSH key", () => {
  let s: Sandbox;
  const id = "production/db/password";
  let ed: { path: string; line: string };
  let rsa: { path: string; line: string };
  beforeAll(async () => {
    s = await makeSandbox();
    await mkdir(join(s.home, ".ssh"), { mode: 0o700 });
    ed = sshKeygen(s, "id_ed25519", "ed25519");
    rsa = sshKeygen(s, "id_rsa", "rsa");
    // The lines as the .pub files (or github.com/carol.keys) give them, comment included; two keys for one member.
    expectOk(await s.run(["member", "add", "carol", "--key", ed.line, "--group", "platform"]));
    expectOk(await s.run(["member", "add", "carol", "--key", rsa.line]));
    expectOk(await s.run(["set", id], { input: "s3cret-for-carol" }));
  });
  afterAll(() => s.cleanup());

  it("keeps the lines in access.yaml as given, and records each key once, without its comment, in the version", async () => {
    const access = await s.read("access.yaml");
    expect(access).toContain(ed.line);
    expect(access).toContain(rsa.line);
    const v = (await s.manifest(id)).versions[0];
    const carol = v?.recipients.filter((r) => r.member === "carol").map((r) => r.key);
    expect(carol).toEqual([ed.line, rsa.line].map((l) => l.split(" ").slice(0, 2).join(" ")));
  });

  it("get --identity ~/.ssh/id_ed25519 (or id_rsa) decrypts", async () => {
    for (const key of [ed.path, rsa.path]) {
      const r = expectOk(await s.run(["get", id, "--identity", key]));
      expect(r.stdout).toBe("s3cret-for-carol");
    }
  });

  it("--identity ~/.ssh/id_ed25519.pub (the public key, by mistake) says so and names the private key, with no chmod advice", async () => {
    const pub = `${ed.path}.pub`;
    const r = await s.run(["get", id, "--identity", pub]);
    expectError(r, 1, "this is a public key (a recipient), not an identity", `--identity ${ed.path}`);
    expect(r.stderr).not.toContain("chmod");
  });

  it("`age -d -i ~/.ssh/id_ed25519` and `-i ~/.ssh/id_rsa` open the version lockstep wrote", async () => {
    const ciphertext = (await s.manifest(id)).versions[0]?.ciphertext ?? "";
    for (const key of [ed.path, rsa.path]) expect(ageDecrypt(ciphertext, key)).toContain("s3cret-for-carol");
  });

  it("check accepts SSH recipients, and reports a damaged one as invalid-recipient", async () => {
    expectOk(await s.run(["check"]));
    const access = await s.read("access.yaml");
    const [type, b64] = ed.line.split(" ");
    const damaged = `${type} ${(b64 ?? "").slice(0, 40)} carol@laptop`; // cut short in the copying
    await s.write("access.yaml", access.replace(ed.line, damaged));
    const r = await s.run(["check", "--format", "json"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("invalid-recipient");
    await s.write("access.yaml", access);
  });

  it("member add refuses an SSH key age cannot use, naming what works", async () => {
    const path = join(s.home, ".ssh", "id_ecdsa");
    execFileSync("ssh-keygen", ["-q", "-t", "ecdsa", "-N", "", "-f", path]);
    const line = (await readFile(`${path}.pub`, "utf8")).trim();
    expectError(await s.run(["member", "add", "erin", "--key", line]), 1, "not a valid age recipient", "ssh-ed25519");
  });
});

describe.skipIf(!HAVE_SSH || !HAVE_TTY)("keys behind a passphrase", () => {
  let s: Sandbox;
  const id = "production/api/token";
  let enc: { path: string; line: string };
  const run = (args: string[], answers: [RegExp, string][]) =>
    runInTerminal(process.execPath, [CLI, ...args], answers, { cwd: s.repo, env: childEnv(s.home) });
  beforeAll(async () => {
    s = await makeSandbox();
    await mkdir(join(s.home, ".ssh"), { mode: 0o700 });
    enc = sshKeygen(s, "id_locked", "ed25519", "open sesame");
    expectOk(await s.run(["member", "add", "erin", "--key", enc.line, "--group", "platform"]));
    expectOk(await s.run(["set", id], { input: "token-behind-passphrase" }));
  });
  afterAll(() => s.cleanup());

  it("an encrypted SSH key: exit 3 and a coded error without a terminal; asked on the terminal with one", async () => {
    expectError(await s.run(["get", id, "--identity", enc.path]), 3, enc.path, /passphrase/, /terminal/);
    const r = await run(
      ["get", id, "--identity", enc.path],
      [[/Enter passphrase for "[^"]*id_locked":/, "open sesame"]],
    );
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain("token-behind-passphrase");
    expect(r.screen).not.toContain("open sesame"); // not echoed
  });

  it("an identity file encrypted with `age -p`: asked on the terminal, exit 3 without one", async () => {
    const file = join(s.home, "alice.txt.age");
    const made = await runInTerminal(
      "age",
      ["-p", "-o", file, s.keys.alice.file],
      [
        [/Enter passphrase/, "alice's passphrase"],
        [/Confirm passphrase/, "alice's passphrase"],
      ],
    );
    expect(made.code, made.screen).toBe(0);
    expectError(await s.run(["get", id, "--identity", file]), 3, file, /passphrase/);
    const r = await run(
      ["get", id, "--identity", file],
      [[/Enter passphrase for identity file/, "alice's passphrase"]],
    );
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain("token-behind-passphrase");
  });

  it("Ctrl-C at the passphrase prompt interrupts the command, as anywhere else (exit 130)", async () => {
    const r = await run(["get", id, "--identity", enc.path], [[/Enter passphrase for "[^"]*id_locked":/, "\u0003"]]);
    expect(r.code, r.screen).toBe(130);
    expect(r.screen).not.toContain("token-behind-passphrase");
    expect(r.screen).not.toMatch(/without a terminal/);
  });
});

describe("sops' key locations, after lockstep's own", () => {
  let s: Sandbox;
  const id = "production/sops/key";
  beforeAll(async () => {
    s = await makeSandbox();
    expectOk(await s.run(["set", id], { input: "found-through-sops" }));
  });
  afterAll(() => s.cleanup());

  it("SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, then $XDG_CONFIG_HOME/sops/age/keys.txt", async () => {
    for (const env of [{ SOPS_AGE_KEY: s.keys.alice.text }, { SOPS_AGE_KEY_FILE: s.keys.ci.file }]) {
      expect(expectOk(await s.run(["get", id], { env })).stdout).toBe("found-through-sops");
    }
    const xdg = join(s.home, "xdg-sops");
    await writeKeyFile(join(xdg, "sops", "age", "keys.txt"), s.keys.ci.text, 0o600);
    expect(expectOk(await s.run(["get", id], { env: { XDG_CONFIG_HOME: xdg } })).stdout).toBe("found-through-sops");
  });

  it("lockstep's own sources come first: bob's key there wins over a reader's key in sops' places", async () => {
    expectError(
      await s.run(["get", id], { env: { LOCKSTEP_AGE_KEY: s.keys.bob.text, SOPS_AGE_KEY: s.keys.alice.text } }),
      3,
    );
    const xdg = join(s.home, "xdg-both");
    await writeKeyFile(join(xdg, "lockstep", "identity.txt"), s.keys.bob.text, 0o600);
    await writeKeyFile(join(xdg, "sops", "age", "keys.txt"), s.keys.alice.text, 0o600);
    expectError(await s.run(["get", id], { env: { XDG_CONFIG_HOME: xdg } }), 3);
  });

  it("with none set, the error lists every source it tried", async () => {
    const r = await s.run(["get", id]);
    expectError(r, 3, /no age identity/);
    for (const source of [
      "--identity",
      "LOCKSTEP_AGE_KEY ",
      "LOCKSTEP_AGE_KEY_FILE",
      join(s.home, ".config", "lockstep", "identity.txt"),
      "SOPS_AGE_KEY ",
      "SOPS_AGE_KEY_FILE",
      join(s.home, ".config", "sops", "age", "keys.txt"),
    ]) {
      expect(r.stderr).toContain(source);
    }
  });

  it("exec removes SOPS_AGE_KEY and SOPS_AGE_KEY_FILE from the child's environment", async () => {
    const seen =
      "process.stdout.write(JSON.stringify([process.env.SOPS_AGE_KEY ?? null, process.env.SOPS_AGE_KEY_FILE ?? null]))";
    for (const env of [{ SOPS_AGE_KEY: s.keys.ci.text }, { SOPS_AGE_KEY_FILE: s.keys.ci.file }]) {
      const r = expectOk(await s.run(["exec", "production", "--", process.execPath, "-e", seen], { env }));
      expect(JSON.parse(r.stdout)).toEqual([null, null]);
    }
  });
});

describe("age plugins, run from PATH", () => {
  let s: Sandbox;
  const id = "production/hardware/key";
  let identity: string;
  beforeAll(async () => {
    s = await makeSandbox();
    const keygen = execFileSync(join(ROOT, "test", "support", "age-plugin-locktest"), ["--keygen"]).toString();
    identity = join(s.home, "keys", "dave-plugin.txt");
    await writeFile(identity, keygen, { mode: 0o600 });
    const recipient = /Recipient: (\S+)/.exec(keygen)?.[1] ?? "";
    expectOk(await s.run(["member", "add", "dave", "--key", recipient, "--group", "platform"]));
  });
  afterAll(() => s.cleanup());

  it("set encrypts to a plugin recipient and get decrypts with its identity, through age-plugin-NAME", async () => {
    expectOk(await s.run(["set", id], { input: "through-the-plugin", env: { PATH: PLUGIN_PATH } }));
    const r = expectOk(await s.run(["get", id, "--identity", identity], { env: { PATH: PLUGIN_PATH } }));
    expect(r.stdout).toBe("through-the-plugin");
    expectOk(await s.run(["check"]));
  });

  it("a missing plugin: exit 3, naming it and how to install it", async () => {
    const path = process.env.PATH ?? "";
    expectError(
      await s.run(["get", id, "--identity", identity], { env: { PATH: path } }),
      3,
      "age-plugin-locktest",
      /install/,
    );
    expectError(await s.run(["set", id], { input: "v2", env: { PATH: path } }), 3, "age-plugin-locktest", /install/);
  });
});
