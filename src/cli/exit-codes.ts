/**
 * The one table from error codes to exit codes, and how errors are shown.
 */
import type { ErrorCode } from "../errors.js";
import { isLockstepError } from "../errors.js";
import { paint } from "./output.js";

/** Exit codes of DESIGN section 3. */
export const EXIT = { ok: 0, failed: 1, usage: 2, noIdentity: 3, integrity: 4 } as const;

const TABLE: Record<ErrorCode, number> = {
  USAGE: EXIT.usage,
  INVALID_ID: EXIT.usage,
  NOT_A_REPOSITORY: EXIT.failed,
  ALREADY_EXISTS: EXIT.failed,
  YAML_INVALID: EXIT.failed,
  SCHEMA_INVALID: EXIT.failed,
  UNKNOWN_SECRET: EXIT.failed,
  UNKNOWN_VERSION: EXIT.failed,
  UNKNOWN_STAGE: EXIT.failed,
  UNKNOWN_MEMBER: EXIT.failed,
  UNKNOWN_RULE: EXIT.failed,
  INVALID_KEY: EXIT.failed,
  INVALID_VALUE: EXIT.failed,
  INVALID_NAME: EXIT.failed,
  UNREPRESENTABLE_VALUE: EXIT.failed,
  NO_READERS: EXIT.failed,
  ROLLOUT_REFUSED: EXIT.failed,
  ROTATION_FAILED: EXIT.failed,
  LOCKED: EXIT.failed,
  CONFLICT: EXIT.failed,
  IO: EXIT.failed,
  UNSAFE_PATH: EXIT.failed,
  GIT: EXIT.failed,
  NOT_COMMITTED: EXIT.failed,
  NO_IDENTITY: EXIT.noIdentity,
  PASSPHRASE_REQUIRED: EXIT.noIdentity,
  PLUGIN_MISSING: EXIT.noIdentity,
  INTEGRITY: EXIT.integrity,
};

/** Writes an error for a person to stderr; returns the exit code it maps to. */
export function reportError(e: unknown, stderr: NodeJS.WriteStream = process.stderr): number {
  const debug = process.env.LOCKSTEP_DEBUG === "1";
  const red = (s: string) => paint(stderr, "31", s);
  if (isLockstepError(e)) {
    // Name the file, unless the message already does.
    const where =
      e.file !== undefined && !e.message.includes(e.file)
        ? `${e.file}${e.line !== undefined ? `:${e.line}` : ""}: `
        : "";
    stderr.write(`${red("error:")} ${where}${e.message}\n`);
    if (e.fix) stderr.write(`  ${paint(stderr, "2", "fix:")} ${e.fix.replace(/\n/g, "\n  ")}\n`);
    if (debug) stderr.write(`${e.stack}\n`);
    return TABLE[e.code];
  }
  const errno = e as NodeJS.ErrnoException;
  if (errno && typeof errno.code === "string" && typeof errno.syscall === "string") {
    // A file system failure: say which file and why, not where in our code.
    stderr.write(`${red("error:")} ${errno.syscall} ${errno.path ?? ""}: ${errno.code}\n`);
    if (debug) stderr.write(`${errno.stack}\n`);
    return EXIT.failed;
  }
  stderr.write(`${red("internal error:")} ${e instanceof Error ? e.message : String(e)}\n`);
  stderr.write(
    debug && e instanceof Error ? `${e.stack}\n` : "  (run with LOCKSTEP_DEBUG=1 for details, and report it)\n",
  );
  return EXIT.failed;
}
