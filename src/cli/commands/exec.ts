/** `lockstep exec`: run a command with an environment's values in its environment. */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { UsageError } from "../../errors.js";
import { openRepo } from "../context.js";
import { note } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";

type Exec = typeof commands.exec;

/**
 * Runs the command with the values added to its environment, and no key
 * lockstep could read; nothing is written to disk. SIGINT, SIGTERM and SIGHUP are passed on. Returns the
 * child's exit code (128 + the signal number if a signal ended it).
 */
export async function exec([env, command]: ArgsOf<Exec>, o: OptionsOf<Exec>): Promise<number> {
  const [cmd, ...args] = command;
  if (cmd === undefined) throw new UsageError("exec needs a command: lockstep exec ENV -- CMD [ARGS...]");
  const repo = await openRepo(o);
  const childEnv = await repo.execEnvironment(env, {
    ...(o.stage !== undefined && { stage: o.stage }),
    ...(o.consumer !== undefined && { consumer: o.consumer }),
  });
  const child = spawn(cmd, args, { stdio: "inherit", env: childEnv });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") return reject(e);
        note(`error: command not found: ${cmd}`);
        resolve(127); // as a shell says it
      });
      child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
    });
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
  }
}
