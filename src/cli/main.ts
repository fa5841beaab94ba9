/**
 * The lockstep command line. This file declares commands and flags only; each
 * command's module loads when that command runs, so `--help` stays fast. It
 * is the one place that sets the process's exit code.
 */
import { type Command, CommanderError, type OptionValues } from "@commander-js/extra-typings";
import { UsageError } from "../errors.js";
import { EXIT, reportError } from "./exit-codes.js";
import { packageJson } from "./package-info.js";
import { commands, program } from "./program.js";

/** The exit code a command asked for (`exec` passes its child's on). */
let commandExit: number = EXIT.ok;

/** Runs `cmd` with the function `load` brings from its module, loaded only when the command runs. */
function on<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
  // biome-ignore lint/suspicious/noConfusingVoidType: a command returns nothing, or the exit code it wants
  load: () => Promise<(args: A, options: ReturnType<Command<A, O, G>["optsWithGlobals"]>) => Promise<void | number>>,
): void {
  cmd.action(async () => {
    const run = await load();
    commandExit = (await run(cmd.processedArgs, cmd.optsWithGlobals())) ?? EXIT.ok;
  });
}

on(commands.keygen, async () => (await import("./commands/keygen.js")).keygen);
on(commands.init, async () => (await import("./commands/init.js")).init);
on(commands.memberAdd, async () => (await import("./commands/member.js")).memberAdd);
on(commands.memberRm, async () => (await import("./commands/member.js")).memberRm);
on(commands.memberLs, async () => (await import("./commands/member.js")).memberLs);
on(commands.ruleAdd, async () => (await import("./commands/rule.js")).ruleAdd);
on(commands.ruleRm, async () => (await import("./commands/rule.js")).ruleRm);
on(commands.ruleLs, async () => (await import("./commands/rule.js")).ruleLs);
on(commands.set, async () => (await import("./commands/set.js")).set);
on(commands.get, async () => (await import("./commands/get.js")).get);
on(commands.edit, async () => (await import("./commands/edit.js")).edit);
on(commands.rotate, async () => (await import("./commands/rotate.js")).rotate);
on(commands.ls, async () => (await import("./commands/ls.js")).ls);
on(commands.show, async () => (await import("./commands/show.js")).show);
on(commands.mv, async () => (await import("./commands/mv.js")).mv);
on(commands.rm, async () => (await import("./commands/rm.js")).rm);
on(commands.restore, async () => (await import("./commands/rm.js")).restore);
on(commands.prune, async () => (await import("./commands/prune.js")).prune);
on(commands.import, async () => (await import("./commands/import.js")).importCommand);
on(commands.rekey, async () => (await import("./commands/rekey.js")).rekey);
on(commands.check, async () => (await import("./commands/check.js")).check);
on(commands.diff, async () => (await import("./commands/diff.js")).diff);
on(commands.exposure, async () => (await import("./commands/exposure.js")).exposureCommand);
on(commands.audit, async () => (await import("./commands/audit.js")).audit);
on(commands.codeowners, async () => (await import("./commands/codeowners.js")).codeowners);
on(commands.promote, async () => (await import("./commands/rollout.js")).promote);
on(commands.rollback, async () => (await import("./commands/rollout.js")).rollback);
on(commands.status, async () => (await import("./commands/status.js")).status);
on(commands.export, async () => (await import("./commands/export.js")).exportCommand);
on(commands.exec, async () => (await import("./commands/exec.js")).exec);
on(commands.setupGit, async () => (await import("./commands/merge.js")).setupGit);
on(commands.mergeDriver, async () => (await import("./commands/merge.js")).mergeDriver);
on(commands.resolve, async () => (await import("./commands/merge.js")).resolve);

on(commands.completion, async () => (await import("./commands/completion.js")).completion);
commands.help.action((name) => {
  if (name === undefined) return program.outputHelp();
  const cmd = program.commands.find((c) => c.name() === name || c.aliases().includes(name));
  if (!cmd) throw new UsageError(`no command "${name}"`, { fix: "run lockstep help for the list of commands" });
  cmd.outputHelp();
});

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    // Not a commander option: `get --version N` must stay get's own flag.
    process.stdout.write(`${packageJson().version}\n`);
    return EXIT.ok;
  }
  if (args[0] === "__complete") {
    // Shell completion (`lockstep completion`): the words after `lockstep`, none of them parsed as options.
    await (await import("./commands/completion.js")).completeWords(program, args.slice(1));
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
async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (process.listenerCount(signal) > 1) return;
  // The library is loaded already whenever it holds anything; this only reaches it through its door.
  (await import("../index.js")).releaseHeldResources();
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
