/**
 * The lockstep command line. This file declares commands and flags only; each
 * command's module loads when that command runs, so `--help` stays fast. It
 * is the one place that sets the process's exit code.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { removeTemporaryFiles } from "../storage/fs.js";
import { releaseHeldLocks } from "../storage/locks.js";
import { EXIT, reportError } from "./exit-codes.js";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number from 1 up");
  return n;
}

/** The exit code a command asked for (`exec` passes its child's on). */
let commandExit: number = EXIT.ok;

/** Runs a command's module with its options merged with the global ones. */
function action<T>(
  // biome-ignore lint/suspicious/noConfusingVoidType: a command returns nothing, or the exit code it wants
  load: () => Promise<(o: T) => Promise<void | number>>,
  build: (args: unknown[], opts: Record<string, unknown>) => T,
) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.optsWithGlobals();
    const run = await load();
    commandExit = (await run(build(args.slice(0, -2), opts))) ?? EXIT.ok;
  };
}

const program = new Command("lockstep")
  .description("GitOps for secrets: age-encrypted, versioned, access-checked, rolled out in stages")
  .addHelpText("after", "\nlockstep -V, --version prints the version.")
  .option("-C <dir>", "run as if started in DIR")
  .option(
    "--identity <file>",
    "age identity file (repeatable; default: LOCKSTEP_AGE_KEY, LOCKSTEP_AGE_KEY_FILE, ~/.config/lockstep/identity.txt)",
    collect,
  )
  .showHelpAfterError("(run with --help for usage)")
  .configureHelp({ sortSubcommands: false })
  .exitOverride();

program
  .command("keygen")
  .description("make a new age identity; its public key goes to stderr")
  .option("-o, --output <file>", "write the identity to FILE (mode 0600; never overwrites)")
  .option("--pq", "hybrid post-quantum key (age1pq1...) instead of X25519")
  .action(
    action(
      async () => (await import("./commands/keygen.js")).keygen,
      (_a, o) => o,
    ),
  );

program
  .command("init")
  .description("write lockstep.yaml, access.yaml and secrets/ (and git init if needed)")
  .option("--env <name>", "an environment (repeatable; default: staging and production)", collect)
  .option("--github", "also write GitHub Actions workflows: the pull-request check, staged deploys, promote/rollback")
  .option("--action <ref>", "the lockstep action those workflows use (owner/repo/.github/actions/lockstep@ref)")
  .action(
    action(
      async () => (await import("./commands/init.js")).init,
      (_a, o) => o,
    ),
  );

const member = program.command("member").description("edit the members of access.yaml");
member
  .command("add <name>")
  .description("add a member, or more keys to one")
  .requiredOption("--key <recipient>", "age recipient, age1... (repeatable)", collect)
  .option("--github <user>", "GitHub user name, for CODEOWNERS")
  .option("--group <group>", "add to this group, made if new (repeatable)", collect)
  .action(
    action(
      async () => (await import("./commands/member.js")).memberAdd,
      ([name], o) => ({ ...o, name }) as never,
    ),
  );
member
  .command("rm <name>")
  .description("remove a member from access.yaml, its groups and rules")
  .action(
    action(
      async () => (await import("./commands/member.js")).memberRm,
      ([name], o) => ({ ...o, name }) as never,
    ),
  );

const stageOptions = (c: Command): Command =>
  c
    .option("--all-stages", "point every stage at the new version")
    .option("--no-stage", "point no stage at it (pending)");

stageOptions(
  program
    .command("set <id>")
    .description(
      "create a secret or add a version; the value comes from stdin (its final newline dropped), --file or --generate",
    )
    .option("--file <file>", "read the value from FILE, exactly")
    .option("--generate <spec>", "generate it: password:LEN, hex:BYTES, base64:BYTES, uuid, age-identity")
    .addOption(new Option("--type <type>", "value type").choices(["string", "json"]))
    .option("--description <text>", "what the secret is for")
    .option("--schema <name>", "value schema: schemas/<name>.schema.json in the secrets repository"),
).action(
  action(
    async () => (await import("./commands/set.js")).set,
    ([id], o) => ({ ...o, id }) as never,
  ),
);

program
  .command("get <id>")
  .description("write a value to stdout, exactly as stored (default: the newest version)")
  .option("--version <n>", "this version", positiveInt)
  .option("--stage <stage>", "the version this stage points at")
  .action(
    action(
      async () => (await import("./commands/get.js")).get,
      ([id], o) => ({ ...o, id }) as never,
    ),
  );

stageOptions(
  program
    .command("rotate <id>")
    .description(
      "add a version made by the secret's generator (to the first stage), set and tested where it lives by its rotation.strategy",
    )
    .option("--generate <spec>", "use this generator instead")
    .option("--finish", "retire the previous credential, once the last stage has the new version"),
).action(
  action(
    async () => (await import("./commands/rotate.js")).rotate,
    ([id], o) => ({ ...o, id }) as never,
  ),
);

program
  .command("ls [env]")
  .description("list secrets and their versions, never values")
  .option("--json", "one JSON document")
  .action(
    action(
      async () => (await import("./commands/ls.js")).ls,
      ([env], o) => ({ ...o, env }) as never,
    ),
  );

program
  .command("show <id>")
  .description("a secret's metadata, readers, stages and versions, never its value")
  .option("--json", "one JSON document")
  .action(
    action(
      async () => (await import("./commands/show.js")).show,
      ([id], o) => ({ ...o, id }) as never,
    ),
  );

program
  .command("import <env> [file]")
  .description("create secrets from a .env or JSON file (stdin if no FILE): KEY becomes ENV/[prefix/]key")
  .addOption(
    new Option("--format <format>", "input format (default: by extension, else dotenv)").choices(["dotenv", "json"]),
  )
  .option("--prefix <path>", "path prefix under the environment")
  .action(
    action(
      async () => (await import("./commands/import.js")).importCommand,
      ([env, file], o) => ({ ...o, env, file }) as never,
    ),
  );

program
  .command("rekey [ids...]")
  .description("re-encrypt versions whose recipients differ from the readers (all secrets, or those named)")
  .action(
    action(
      async () => (await import("./commands/rekey.js")).rekey,
      ([ids], o) => ({ ...o, ids: ids ?? [] }) as never,
    ),
  );

program
  .command("check")
  .description(
    "validate the repository: schemas, access lists, drift, exposure, stages, ciphertexts, leaks (no key needed)",
  )
  .addOption(
    new Option("--format <format>", "output format").choices(["text", "json", "github", "markdown"]).default("text"),
  )
  .option("--decrypt", "also decrypt every live version and check its binding and value schema")
  .action(
    action(
      async () => (await import("./commands/check.js")).check,
      (_a, o) => o as never,
    ),
  );

program
  .command("diff [rev]")
  .description(
    "what the working tree changes against REV (default HEAD): secrets, stages, readers, access; never values",
  )
  .addOption(new Option("--format <format>", "output format").choices(["text", "markdown", "json"]).default("text"))
  .action(
    action(
      async () => (await import("./commands/diff.js")).diff,
      ([rev], o) => ({ ...o, rev }) as never,
    ),
  );

program
  .command("exposure <member>")
  .description("every secret version MEMBER could ever decrypt (Git history and working tree), and which are live")
  .option("--json", "one JSON document")
  .action(
    action(
      async () => (await import("./commands/exposure.js")).exposureCommand,
      ([member], o) => ({ ...o, member }) as never,
    ),
  );

program
  .command("audit [target]")
  .description(
    "who created, rotated, promoted, rolled back, re-keyed or deleted which secret, and who changed access: from Git history",
  )
  .option("--since <date>", "events at or after DATE (anything git log takes: 2026-01-31, '2 weeks ago')")
  .option("--until <date>", "events at or before DATE")
  .option("--author <name>", "events by this author (name or email, part of it)")
  .option(
    "--kind <kind>",
    `only these kinds (repeatable): created, rotated, promoted, rolled-back, rekeyed, deleted, access-changed`,
    collect,
  )
  .option("--json", "one JSON array")
  .option("--require-signed", "exit 1 if any event comes from a commit without a good signature")
  .action(
    action(
      async () => (await import("./commands/audit.js")).audit,
      ([target], o) => ({ ...o, target }) as never,
    ),
  );

program
  .command("codeowners")
  .description("print .github/CODEOWNERS giving each secret to its approvers' GitHub handles")
  .option("--write", "write it")
  .option("--check", "exit 1 if it is missing or out of date")
  .action(
    action(
      async () => (await import("./commands/codeowners.js")).codeowners,
      (_a, o) => o as never,
    ),
  );

const commitOption = (c: Command): Command =>
  c.option("--commit", "commit the changed manifests with a message saying what moved");

commitOption(
  program
    .command("promote [id]")
    .description("move a stage (default: the first that lags) to its predecessor's version")
    .option("--stage <stage>", "the stage to promote")
    .option("--env <env>", "with --all: every secret of ENV")
    .option("--all", "promote every secret of --env"),
).action(
  action(
    async () => (await import("./commands/rollout.js")).promote,
    ([id], o) => ({ ...o, id }) as never,
  ),
);

commitOption(
  program
    .command("rollback <id>")
    .description("move the stages on the newest live version back to the version below it")
    .option("--stage <stage>", "roll back only this stage")
    .option("--to <n>", "roll back to version N", positiveInt),
).action(
  action(
    async () => (await import("./commands/rollout.js")).rollback,
    ([id], o) => ({ ...o, id }) as never,
  ),
);

program
  .command("status [env]")
  .description("per secret: newest version, version per stage, pending, rotation due; per consumer: what lags")
  .option("--json", "one JSON document")
  .action(
    action(
      async () => (await import("./commands/status.js")).status,
      ([env], o) => ({ ...o, env }) as never,
    ),
  );

const selectOptions = (c: Command): Command =>
  c
    .option("--stage <stage>", "the values this stage points at (default: the last stage)")
    .option("--consumer <name>", "the values of the stage that deploys this consumer, and only its secrets");

selectOptions(
  program
    .command("export <env>")
    .description("decrypt an environment's values at a stage and write them in a deploy format")
    .addOption(
      new Option("--format <format>", "output format")
        .choices(["dotenv", "json", "yaml", "shell", "k8s", "github", "files"])
        .default("dotenv"),
    )
    .option("--out <path>", "write to PATH (a folder for --format files), outside the repository")
    .option("--force", "allow --out inside the repository's working tree")
    .option("--name <name>", "k8s: the Secret's name (default: ENV-STAGE)")
    .option("--namespace <ns>", "k8s: the Secret's namespace")
    .option("--label <key=value>", "k8s: a label (repeatable)", collect),
).action(
  action(
    async () => (await import("./commands/export.js")).exportCommand,
    ([env], o) => ({ ...o, env }) as never,
  ),
);

selectOptions(
  program
    .command("exec <env> <command...>")
    .description("run COMMAND with the environment's values in its environment; its exit code is ours")
    .usage("[options] <env> -- <command...>"),
).action(
  action(
    async () => (await import("./commands/exec.js")).exec,
    ([env, command], o) => ({ ...o, env, command }) as never,
  ),
);

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    // Not a commander option: `get --version N` must stay get's own flag.
    process.stdout.write("0.1.0\n");
    return EXIT.ok;
  }
  try {
    await program.parseAsync(process.argv);
    return commandExit;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(e);
  }
}

/** The command's exit code, once `main` has settled. */
let settled: number | undefined;

// A reader that goes away (`lockstep ls | head`) is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") {
    settled ??= EXIT.ok;
    process.exit(settled);
  }
  throw e;
});

// A signal that ends the command (Ctrl-C, SIGTERM, SIGHUP) first removes the locks it holds and the
// temporary files of its writes in flight, so that nobody waits for the locks to go stale and no
// `*.tmp` is left; then it ends the process as the signal would have. A command that handles the
// signal itself (`exec` passes it on to its child) goes on running.
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  releaseHeldLocks();
  removeTemporaryFiles();
  for (const s of SIGNALS) process.off(s, onSignal);
  process.kill(process.pid, signal);
}
for (const s of SIGNALS) process.on(s, onSignal);

// Should the event loop drain while `main` still waits (on a promise that nothing settles), the
// process must not pass for a success: it fails, and says so.
process.exitCode = EXIT.failed;
process.on("exit", () => {
  if (settled === undefined) {
    process.stderr.write("internal error: the command stopped before it finished\n  (report it)\n");
  }
});
main().then(
  (code) => {
    settled = code;
    process.exitCode = code;
  },
  (e: unknown) => {
    settled = reportError(e);
    process.exitCode = settled;
  },
);
