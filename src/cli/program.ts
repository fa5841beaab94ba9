/**
 * The commands and flags of the lockstep command line, declared once: the
 * option types of every command are inferred from these declarations
 * (`@commander-js/extra-typings`), and each command module takes them as
 * {@link ArgsOf} and {@link OptionsOf} its command. main.ts attaches the
 * actions, which load a command's module only when it runs.
 */
import { Argument, Command, InvalidArgumentError, Option, type OptionValues } from "@commander-js/extra-typings";
import { SHELLS } from "./completion.js";
import { examplesHelp } from "./examples.js";
import { actionReference } from "./package-info.js";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("expected a whole number, 0 or more");
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number from 1 up");
  return n;
}

/** `--all-stages` and `--no-stage`: where a new version goes (set, rotate). */
function stageOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(c: Command<A, O, G>) {
  return c
    .option("--all-stages", "point every stage at the new version")
    .option("--no-stage", "point no stage at it (pending)");
}

/** `--stage` and `--consumer`: whose values (export, exec). */
function selectOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(c: Command<A, O, G>) {
  return c
    .option("--stage <stage>", "the values this stage points at (default: the last stage)")
    .option("--consumer <name>", "the values of the stage that deploys this consumer, and only its secrets");
}

/** `--commit`: every command that writes (set, edit, rotate, import, rekey, member, rule, promote, rollback, rm, restore, mv, prune). */
function commitOption<A extends unknown[], O extends OptionValues, G extends OptionValues>(c: Command<A, O, G>) {
  return c.option("--commit", "commit exactly the files it changed, with a message saying what happened");
}

/** A comma-separated list of names, repeatable: `--readers a,b --readers c`. */
const names = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== ""),
];

/** The positional arguments a command's action gets. */
export type ArgsOf<C> = C extends { processedArgs: infer A } ? A : never;
/** The options a command's action gets: its own and the global ones (`-C`, `--identity`). */
export type OptionsOf<C> = C extends { optsWithGlobals(): infer O } ? O : never;

/** The program, with its global options. */
export const program = new Command("lockstep")
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

const keygen = program
  .command("keygen")
  .description("make a new age identity; its public key goes to stderr")
  .option("-o, --output <file>", "write the identity to FILE (mode 0600; never overwrites)")
  .option("--pq", "hybrid post-quantum key (age1pq1...) instead of X25519");

const init = program
  .command("init")
  .description("write lockstep.yaml, access.yaml and secrets/ (and git init if needed)")
  .option("--env <name>", "an environment (repeatable; default: staging and production)", collect)
  .option("--github", "also write GitHub Actions workflows: the pull-request check, staged deploys, promote/rollback")
  .option("--action <ref>", "the lockstep action those workflows use (default: OWNER/REPO@vMAJOR, see below)")
  .addHelpText(
    "after",
    () => `
The workflows go to the git root's .github/workflows/ (through this folder when the secrets
repository is a folder of a larger one), deploy from the repository's default branch, and get one
deploy job per environment and stage that a CI member (named ci or ci-...) reads: job and GitHub
Environment ENV-STAGE, the member's key in the secret LOCKSTEP_AGE_KEY_<MEMBER>.

Action reference: OWNER/REPO@vMAJOR, OWNER/REPO from package.json "repository" (the action.yml
at its root) and vMAJOR the major release tag, moved to every release of that major version.
This lockstep writes ${actionReference()}; --action takes a fork, a full tag (v0.1.0) or a commit SHA.`,
  );

const member = program.command("member").description("edit the members of access.yaml");
const memberAdd = commitOption(
  member
    .command("add <name>")
    .description("add a member, or more keys to one")
    .requiredOption("--key <recipient>", "age recipient, age1... (repeatable)", collect)
    .option("--github <user>", "GitHub user name, for CODEOWNERS")
    .option("--group <group>", "add to this group, made if new (repeatable)", collect)
    .option("--rekey", "also rekey the secrets it now reads, so that it can open them (needs a reader's key)"),
);
const memberRm = commitOption(
  member.command("rm <name>").description("remove a member from access.yaml, its groups and rules"),
);
const memberLs = member
  .command("ls")
  .description("members, their groups and keys, and what each reads (and what awaits a rekey)")
  .option("--json", "one JSON document");

const rule = program.command("rule").description("edit the access rules of access.yaml: who reads and approves what");
const ruleAdd = commitOption(
  rule
    .command("add <match>")
    .description("add a rule (a glob over secret ids), or more names to the rule of that glob")
    .option("--readers <names>", "members or groups who read what it matches (comma-separated, repeatable)", names)
    .option("--approvers <names>", "members or groups who approve changes to it (comma-separated, repeatable)", names),
);
const ruleRm = commitOption(
  rule
    .command("rm <match>")
    .description("remove the rule of that glob, or only the names given")
    .option("--readers <names>", "take only these readers out of it (comma-separated, repeatable)", names)
    .option("--approvers <names>", "take only these approvers out of it (comma-separated, repeatable)", names),
);
const ruleLs = rule
  .command("ls [id]")
  .description("the rules, their members and how many secrets each matches; with ID, the rules that decide its readers")
  .option("--json", "one JSON document");

const set = commitOption(
  stageOptions(
    program
      .command("set <id>")
      .description(
        "create a secret or add a version; the value comes from stdin (its final newline dropped), --file or --generate",
      )
      .option("--file <file>", "read the value from FILE, exactly (any bytes)")
      .option("--generate <spec>", "generate it: password:LEN, hex:BYTES, base64:BYTES, uuid, age-identity")
      .addOption(new Option("--type <type>", "value type").choices(["string", "json"] as const))
      .option("--description <text>", "what the secret is for")
      .option("--schema <name>", "value schema: schemas/<name>.schema.json in the secrets repository")
      .option("--env <name>", "variable name on export (default: the path upper-cased, other characters as _)")
      .option("--allow-empty", "store an empty value (refused otherwise)")
      .option("--consumers <names>", "with --keep-value: the consumers it goes to, comma-separated")
      .option(
        "--max-age <duration>",
        "with --keep-value: how old its newest version may get (rotation.maxAge), e.g. 30d",
      )
      .option(
        "--keep-value",
        "change only --description, --schema, --env, --consumers or --max-age: no value is read, no version added",
      ),
  ),
);

const get = program
  .command("get <id>")
  .description("write a value to stdout, exactly as stored (default: the newest version)")
  .option("--version <n>", "this version", positiveInt)
  .option("--stage <stage>", "the version this stage points at");

const edit = commitOption(
  stageOptions(
    program
      .command("edit <id>")
      .description(
        "edit the newest value in $VISUAL or $EDITOR (a private file, on /dev/shm where there is one); a version is added only if it changed",
      ),
  ),
);

const rotate = commitOption(
  stageOptions(
    program
      .command("rotate <id>")
      .description(
        "add a version made by the secret's generator (to the first stage), set and tested where it lives by its rotation.strategy",
      )
      .option("--generate <spec>", "use this generator instead")
      .option("--finish", "retire the previous credential, once the last stage has the new version"),
  ),
);

const ls = program
  .command("ls [env]")
  .description("list secrets and their versions, never values")
  .option("--json", "one JSON document");

const show = program
  .command("show <id>")
  .description("a secret's metadata, readers, stages and versions, never its value")
  .option("--json", "one JSON document");

const mv = commitOption(
  program
    .command("mv <old> <new>")
    .description("rename a secret: every version re-encrypted bound to the new id (needs a key that reads them all)"),
);

const rm = commitOption(
  program
    .command("rm <id>")
    .description("delete a secret (Git history keeps it; see restore)")
    .option("--force", "delete it even while consumers still deploy it"),
);

const restore = commitOption(
  program
    .command("restore <id>")
    .description("bring a deleted secret back from Git history, versions and stages intact")
    .option("--from <rev>", "take it as it was at REV (default: just before its last deletion)"),
);

const prune = commitOption(
  program
    .command("prune <id>")
    .description("remove old versions no stage points at (Git history still holds them)")
    .requiredOption("--keep <n>", "keep the N newest versions besides the live and pending ones", wholeNumber),
);

const importCommand = program
  .command("import <env> [file]")
  .description(
    "create secrets from a .env, JSON or YAML file, or one sops or dotenvx encrypted (stdin if no FILE): KEY becomes ENV/[prefix/]key, nested keys a path",
  )
  .addOption(
    new Option("--from <tool>", "decrypt a file sops or dotenvx encrypted").choices(["sops", "dotenvx"] as const),
  )
  .addOption(
    new Option("--format <format>", "input format (default: by extension, else dotenv; ini only --from sops)").choices([
      "dotenv",
      "json",
      "yaml",
      "ini",
    ] as const),
  )
  .option("--prefix <path>", "path prefix under the environment")
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dotenv's reference syntax, not a template
  .option("--expand", "dotenv: expand $VAR and ${VAR} references as dotenv-expand does (default: keep them, and warn)")
  .option("--keep-objects", "keep each top-level object whole, as one json secret")
  .option("--env-keys-file <file>", "dotenvx's .env.keys (default: the one beside FILE)")
  .option("--commit", "commit exactly the files it changed, with a message saying what happened");

const rekey = commitOption(
  program
    .command("rekey [ids...]")
    .description("re-encrypt versions whose recipients differ from the readers (all secrets, or those named)"),
);

const check = program
  .command("check")
  .description(
    "validate the repository: schemas, access lists, drift, exposure, stages, ciphertexts, leaks (no key needed)",
  )
  .addOption(
    new Option("--format <format>", "output format")
      .choices(["text", "json", "github", "markdown"] as const)
      .default("text" as const),
  )
  .option("--decrypt", "also decrypt every live version and check its binding and value schema")
  .option(
    "--base <rev>",
    "also compare with REV (a pull request's base): versions rewritten, renumbered, moved or removed; with --decrypt, re-encrypted versions must hold their value at REV",
  );

const diff = program
  .command("diff [rev]")
  .description(
    "what the working tree changes against REV (default HEAD): secrets, stages, readers, access; never values",
  )
  .addOption(
    new Option("--format <format>", "output format")
      .choices(["text", "markdown", "json"] as const)
      .default("text" as const),
  );

const exposure = program
  .command("exposure <member>")
  .description("every secret version MEMBER could ever decrypt (Git history and working tree), and which are live")
  .option("--json", "one JSON document")
  .option(
    "--allow-shallow",
    "in a shallow clone, report from the history there is (exit 0) instead of warning and exiting 1: the history is complete enough",
  );

const audit = program
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
  .option("--require-signed", "exit 1 if any event comes from a commit without a good signature");

const codeowners = program
  .command("codeowners")
  .description("print .github/CODEOWNERS giving each secret to its approvers' GitHub handles")
  .option("--write", "write it")
  .option("--check", "exit 1 if it is missing or out of date");

const promote = commitOption(
  program
    .command("promote [id]")
    .description("move a stage (default: the first that lags) to its predecessor's version")
    .option("--stage <stage>", "the stage to promote")
    .option("--env <env>", "with --all: every secret of ENV")
    .option("--all", "promote every secret of --env"),
);

const rollback = commitOption(
  program
    .command("rollback <id>")
    .description("move the stages on the newest live version back to the version below it")
    .option("--stage <stage>", "roll back only this stage")
    .option("--to <n>", "roll back to version N", positiveInt),
);

const status = program
  .command("status [env]")
  .description("per secret: newest version, version per stage, pending, rotation due; per consumer: what lags")
  .option("--json", "one JSON document")
  .addOption(
    new Option("--format <format>", "text, json, or markdown (a mermaid diagram of stages and versions)").choices([
      "text",
      "json",
      "markdown",
    ] as const),
  );

const exportCommand = selectOptions(
  program
    .command("export <env>")
    .description("decrypt an environment's values at a stage and write them in a deploy format")
    .addOption(
      new Option("--format <format>", "output format")
        .choices(["dotenv", "json", "yaml", "shell", "k8s", "github", "files"] as const)
        .default("dotenv" as const),
    )
    .option("--out <path>", "write to PATH (a folder for --format files), outside the repository")
    .option("--force", "allow --out inside the repository's working tree")
    .option("--name <name>", "k8s: the Secret's name (default: ENV-STAGE)")
    .option("--namespace <ns>", "k8s: the Secret's namespace")
    .option("--label <key=value>", "k8s: a label (repeatable)", collect),
);

const exec = selectOptions(
  program
    .command("exec <env> <command...>")
    .description("run COMMAND with the environment's values in its environment; its exit code is ours")
    .usage("[options] <env> -- <command...>"),
);

const setupGitCommand = program
  .command("setup-git")
  .description(
    "make git merge secret manifests with lockstep's merge driver (.gitattributes and this clone's git config)",
  );

const mergeDriverCommand = program
  .command("merge-driver <base> <ours> <theirs> [path]")
  .description("git's merge driver for manifests (run by git as %O %A %B %P; see setup-git)");

const resolve = program
  .command("resolve <id>")
  .description("finish a merge the driver left for want of a key: re-encrypt renumbered versions, git add the file");

const completion = program
  .command("completion")
  .description("print a shell completion script: commands, flags, environments, stages and secret ids")
  .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(SHELLS));

// `lockstep help` is a command of its own, so that it exits 0 (commander's own fails without a command).
program.helpCommand(false);
const help = program.command("help [command]").description("display help for command");

// Every command's help ends with examples.
const withExamples = (c: Command<unknown[], OptionValues, OptionValues>, path: string): void => {
  const examples = examplesHelp(path);
  if (examples !== "") c.addHelpText("after", examples);
  for (const sub of c.commands) withExamples(sub, path === "" ? sub.name() : `${path} ${sub.name()}`);
};
withExamples(program as never, "");

/** Every command, by the name of its module in commands/. */
export const commands = {
  keygen,
  init,
  memberAdd,
  memberRm,
  memberLs,
  ruleAdd,
  ruleRm,
  ruleLs,
  set,
  get,
  edit,
  rotate,
  ls,
  show,
  mv,
  rm,
  restore,
  prune,
  import: importCommand,
  rekey,
  check,
  diff,
  exposure,
  audit,
  codeowners,
  promote,
  rollback,
  status,
  export: exportCommand,
  exec,
  setupGit: setupGitCommand,
  mergeDriver: mergeDriverCommand,
  resolve,

  completion,
  help,
};
