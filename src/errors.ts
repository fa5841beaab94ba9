/**
 * Every failure lockstep reports is a {@link LockstepError} with a stable
 * `code`. The CLI maps codes to exit codes in one table; library users switch
 * on `code` (or `instanceof`) and never need to parse messages.
 */

/** Stable error codes. Scripts may rely on them; never rename one. */
export type ErrorCode =
  | "USAGE"
  | "NOT_A_REPOSITORY"
  | "ALREADY_EXISTS"
  | "YAML_INVALID"
  | "SCHEMA_INVALID"
  | "UNKNOWN_SECRET"
  | "UNKNOWN_VERSION"
  | "UNKNOWN_STAGE"
  | "UNKNOWN_MEMBER"
  | "UNKNOWN_RULE"
  | "INVALID_ID"
  | "INVALID_KEY"
  | "INVALID_VALUE"
  | "INVALID_NAME"
  | "UNREPRESENTABLE_VALUE"
  | "NO_READERS"
  | "ROLLOUT_REFUSED"
  | "ROTATION_FAILED"
  | "LOCKED"
  | "CONFLICT"
  | "IO"
  | "UNSAFE_PATH"
  | "GIT"
  | "NOT_COMMITTED"
  | "NO_IDENTITY"
  | "PASSPHRASE_REQUIRED"
  | "PLUGIN_MISSING"
  | "INTEGRITY";

/** Options shared by every lockstep error. */
export interface ErrorDetails {
  /** The file the error is about, relative to the repository when inside it. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** What the user can do about it. */
  fix?: string;
  /** The underlying error, kept for debugging (`LOCKSTEP_DEBUG=1`). */
  cause?: unknown;
}

/** Base class of every error lockstep throws on purpose. */
export class LockstepError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** File the error is about, if any. */
  readonly file: string | undefined;
  /** 1-based line in `file`, if known. */
  readonly line: number | undefined;
  /** What to do about it, if there is something. */
  readonly fix: string | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.file = details.file;
    this.line = details.line;
    this.fix = details.fix;
  }
}

/** The user asked for something that does not make sense (exit 2). */
export class UsageError extends LockstepError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("USAGE", message, details);
  }
}

/** A file of the secrets repository is not YAML, or breaks its schema (exit 1). */
export class FileFormatError extends LockstepError {
  /** Whether the file holds git's conflict markers: a merge left it unresolved. */
  readonly mergeConflict: boolean;

  constructor(
    code: "YAML_INVALID" | "SCHEMA_INVALID",
    message: string,
    details: ErrorDetails & { mergeConflict?: boolean },
  ) {
    const { mergeConflict, ...rest } = details;
    super(code, message, rest);
    this.mergeConflict = mergeConflict === true;
  }
}

/**
 * git failed (exit 1): it exited with an error, or could not be run. The
 * message names the git command and the first line of what git said; the
 * whole of it is in `stderr`.
 */
export class GitError extends LockstepError {
  /** The arguments git was run with (`["log", ...]`). */
  readonly args: readonly string[];
  /** git's exit code, or `undefined` when git could not be started (not installed). */
  readonly exitCode: number | undefined;
  /** Everything git wrote to its standard error. */
  readonly stderr: string;

  constructor(args: readonly string[], exitCode: number | undefined, stderr: string, details: ErrorDetails = {}) {
    const said = stderr.trim().split("\n")[0] ?? "";
    const command = gitSubcommand(args);
    super(
      "GIT",
      exitCode === undefined
        ? `could not run git ${command}${said === "" ? "" : `: ${said}`}`
        : `git ${command} failed (exit ${exitCode})${said === "" ? "" : `: ${said}`}`,
      { ...(exitCode === undefined && { fix: "install git and make sure it is on PATH" }), ...details },
    );
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** git's subcommand among its arguments: the first that is no option (`-c name=value` and `-C dir` take one). */
function gitSubcommand(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "-c" || a === "-C") i++;
    else if (!a.startsWith("-")) return a;
  }
  return args[0] ?? "";
}

/** No identity available to this process can open the ciphertext (exit 3). */
export class NoIdentityError extends LockstepError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("NO_IDENTITY", message, details);
  }
}

/**
 * A ciphertext is damaged, or stands where it does not belong (exit 4).
 * The message is deliberately vague about the contents: nothing of a
 * plaintext that failed its checks is ever shown.
 */
export class IntegrityError extends LockstepError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("INTEGRITY", message, details);
  }
}

/** Type guard for errors lockstep raised on purpose. */
export function isLockstepError(e: unknown): e is LockstepError {
  return e instanceof LockstepError;
}
