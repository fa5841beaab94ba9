/**
 * A throwaway secrets repository for the use-case tests: lockstep.yaml with
 * production (canary, stable), access.yaml with alice (platform, a GitHub
 * handle) and ci-production reading production/**, bob a member reading
 * nothing, each with a test-only key file, in a git work tree with a fixed
 * identity. Sessions are opened on it with a fixed clock.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { generateKey } from "../../src/crypto/keys.js";
import { initRepository } from "../../src/ops/init.js";
import { type OpenOptions, openSession, type Session } from "../../src/ops/session.js";

const execFileP = promisify(execFile);

/** The clock of every session: 2026-11-28 10:00 UTC. */
export const NOW = new Date("2026-11-28T10:00:00Z");

export const ACCESS = (keys: Record<string, string>) => `# who reads what
members:
  alice:
    recipients: [${keys.alice}]
    github: alice-gh
  bob:
    recipients: [${keys.bob}]
  ci-production:
    recipients: [${keys["ci-production"]}]
groups:
  platform: [alice]
rules:
  - match: "production/**"
    readers: [platform, ci-production]
    approvers: [platform]
`;

/** A sandbox repository. */
export interface Sandbox {
  dir: string;
  /** Key files, by member. */
  keys: Record<string, string>;
  /** Public keys, by member. */
  recipients: Record<string, string>;
  /** A session as `who` (identity file), with the fixed clock. */
  open(who?: string, options?: OpenOptions): Promise<Session>;
  /** git in the sandbox, with a fixed identity; its stdout. */
  git(...args: string[]): Promise<string>;
  read(rel: string): Promise<string>;
  write(rel: string, text: string): Promise<void>;
  cleanup(): Promise<void>;
}

/** Commits made in tests carry this identity, whatever the machine's git configuration. */
function fixGitIdentity(): void {
  Object.assign(process.env, {
    GIT_AUTHOR_NAME: "Lockstep Test",
    GIT_AUTHOR_EMAIL: "test@lockstep.invalid",
    GIT_COMMITTER_NAME: "Lockstep Test",
    GIT_COMMITTER_EMAIL: "test@lockstep.invalid",
  });
}

export async function sandbox(): Promise<Sandbox> {
  fixGitIdentity();
  const dir = await mkdtemp(join(tmpdir(), "lockstep-ops-"));
  await initRepository({ dir, environments: ["production"] });
  const keys: Record<string, string> = {};
  const recipients: Record<string, string> = {};
  for (const who of ["alice", "bob", "ci-production"]) {
    const k = await generateKey(false);
    keys[who] = join(dir, `${who}.test-only.key`);
    recipients[who] = k.recipient;
    await writeFile(keys[who], k.fileText, { mode: 0o600 });
  }
  await writeFile(join(dir, "access.yaml"), ACCESS(recipients));
  await writeFile(join(dir, ".gitignore"), "*.key\n");
  return {
    dir,
    keys,
    recipients,
    open: (who = "alice", options = {}) =>
      openSession({ dir, files: [keys[who] as string], now: () => NOW, ...options }),
    git: async (...args) => (await execFileP("git", args, { cwd: dir })).stdout,
    read: (rel) => readFile(join(dir, rel), "utf8"),
    write: (rel, text) => writeFile(join(dir, rel), text),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
