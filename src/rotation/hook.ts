/**
 * The `hook` strategy: a team's own command for each rotation step.
 *
 * Protocol (version 1): lockstep runs the step's command in the repository's
 * root folder and writes one JSON document to its stdin:
 *
 * ```json
 * { "protocol": 1, "step": "set", "id": "production/db/password",
 *   "stages": { "canary": 4, "stable": 4 },
 *   "pending":  { "version": 5, "value": "..." },
 *   "current":  { "version": 4, "value": "..." },
 *   "previous": { "version": 3, "value": "..." },
 *   "admin":    { "id": "production/db/admin", "version": 2, "value": "..." } }
 * ```
 *
 * - create: `pending` has no value; the command prints the new value on
 *   stdout (one trailing newline is dropped). Without a create command the
 *   secret's generator makes it.
 * - set, test, undo: `pending` is the new version; `current` the one the
 *   last stage has; `previous` (if not retired) the one before it.
 * - finish: `current` is the new version, now on every stage; `previous` is
 *   the one to retire.
 *
 * Values go only to stdin: never in the arguments or the environment (which
 * holds `LOCKSTEP_ROTATION_STEP` and `LOCKSTEP_SECRET_ID`, and none of the
 * age identities lockstep reads). A step that exits non-zero, is killed, or
 * runs past its time limit stops the rotation (so does a signal to lockstep,
 * Ctrl-C, which the command's own process group would not get from the
 * terminal). What it prints is shown with
 * every value it was handed replaced by `***`.
 */
import { spawn } from "node:child_process";
import { scrubber } from "../core/scrub.js";
import { LockstepError } from "../errors.js";
import { IDENTITY_ENV_VARS } from "../storage/identities.js";
import type {
  Credential,
  FinishInput,
  PendingInput,
  RotationInput,
  RotationStep,
  Rotator,
  StepNotes,
} from "./steps.js";

/** A command: a string run by the shell (`/bin/sh -c`), or a program and its arguments. */
export type HookCommand = string | readonly string[];

/** The commands of `rotation.hooks`; set is required, the others optional. */
export interface HookCommands {
  create?: HookCommand;
  set: HookCommand;
  test?: HookCommand;
  undo?: HookCommand;
  finish?: HookCommand;
}

/** How hooks run. */
export interface HookOptions {
  /** Folder the commands run in: the repository's root. */
  cwd: string;
  /** Time limit of one step, in milliseconds (default 60 000). */
  timeoutMs?: number;
  /** Makes a value when there is no create command. */
  generate: () => string;
  /** The environment to start from (default: this process's), less lockstep's identities. */
  env?: NodeJS.ProcessEnv;
}

/** The protocol's version, sent as `protocol`. */
export const HOOK_PROTOCOL = 1;

/** Most bytes a step may print (stdout and stderr together) before it is stopped. */
export const MAX_HOOK_OUTPUT = 1024 * 1024;

/** Lines of a failed step's output kept in the error. */
const TAIL_LINES = 20;

/** Signals to lockstep that stop a running step. */
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Grace between SIGTERM and SIGKILL when a step runs out of time. */
const KILL_GRACE_MS = 2000;

/** A rotator that runs the team's commands. */
export function hookRotator(commands: HookCommands, options: HookOptions): Rotator {
  const run = (step: RotationStep, doc: Record<string, unknown>, secrets: string[]) => {
    const command = commands[step as keyof HookCommands];
    return command === undefined ? Promise.resolve(undefined) : runHook(step, command, doc, secrets, options);
  };
  return {
    async create(input) {
      if (commands.create === undefined) return { value: options.generate() };
      const doc = document("create", input, { pending: { version: input.pending.version } });
      const r = await runHook("create", commands.create, doc, secretsOf(input), options, { valueOnStdout: true });
      const value = r.stdout.replace(/\r?\n$/, "");
      if (value === "") {
        throw new LockstepError("ROTATION_FAILED", "rotation step create printed no value", {
          fix: "the create command prints the new value on stdout",
        });
      }
      return { value, notes: r.notes };
    },
    async set(input) {
      return (await run("set", document("set", input, pendingPart(input)), secretsOf(input)))?.notes;
    },
    async test(input) {
      return (await run("test", document("test", input, pendingPart(input)), secretsOf(input)))?.notes;
    },
    async undo(input) {
      if (commands.undo === undefined) return ["no undo command in rotation.hooks: check what set changed"];
      await run("undo", document("undo", input, pendingPart(input)), secretsOf(input));
      return [];
    },
    async finish(input: FinishInput) {
      return (await run("finish", document("finish", input, {}), secretsOf(input)))?.notes;
    },
  };
}

/** The stdin document of a step. */
function document(
  step: RotationStep,
  input: RotationInput | FinishInput,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    protocol: HOOK_PROTOCOL,
    step,
    id: input.id,
    stages: input.stages,
    ...extra,
    current: credential(input.current),
    ...(input.previous !== undefined && { previous: credential(input.previous) }),
    ...(input.admin !== undefined && {
      admin: { id: input.admin.id, version: input.admin.version, value: input.admin.value },
    }),
  };
}

const credential = (c: Credential) => ({ version: c.version, value: c.value });
const pendingPart = (input: PendingInput) => ({ pending: credential(input.pending) });

function secretsOf(input: RotationInput | FinishInput | PendingInput): string[] {
  return [
    input.current.value,
    input.previous?.value,
    input.admin?.value,
    "pending" in input && "value" in input.pending ? input.pending.value : undefined,
  ].filter((v): v is string => typeof v === "string");
}

/** What a step printed, scrubbed. */
interface HookRun {
  /** stdout as printed, when it carries create's value (else empty). */
  stdout: string;
  /** Scrubbed lines for people: stderr, and stdout unless it carried the value. */
  notes: StepNotes;
}

/**
 * Runs one step's command with `doc` on stdin.
 * @throws LockstepError `ROTATION_FAILED` when it cannot start, exits
 *   non-zero, is killed, runs out of time or prints too much; the message
 *   ends with the last lines it printed, scrubbed.
 */
export function runHook(
  step: RotationStep,
  command: HookCommand,
  doc: Record<string, unknown>,
  secrets: readonly string[],
  options: Pick<HookOptions, "cwd" | "timeoutMs" | "env">,
  how: { valueOnStdout?: boolean } = {},
): Promise<HookRun> {
  const scrub = scrubber(secrets);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  for (const name of IDENTITY_ENV_VARS) delete env[name];
  env.LOCKSTEP_ROTATION_STEP = step;
  env.LOCKSTEP_SECRET_ID = String(doc.id);
  const [file, ...args] = typeof command === "string" ? [command] : command;
  const shown = typeof command === "string" ? command : command.join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn(file as string, args, {
      cwd: options.cwd,
      env,
      shell: typeof command === "string",
      stdio: ["pipe", "pipe", "pipe"],
      // Its own process group, so that a time-out ends the shell's children too.
      detached: process.platform !== "win32",
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    const combined: Buffer[] = [];
    let size = 0;
    let stopped: string | undefined;
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined && process.platform !== "win32") process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // Already gone.
      }
    };
    const stop = (why: string) => {
      if (stopped !== undefined) return;
      stopped = why;
      kill("SIGTERM");
      setTimeout(() => {
        kill("SIGKILL");
        // A process that left the group may still hold the pipes: stop reading them.
        child.stdout.destroy();
        child.stderr.destroy();
      }, KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => stop(`ran past its time limit of ${timeoutMs / 1000} s`), timeoutMs);
    const onExit = () => kill("SIGKILL");
    process.once("exit", onExit);
    // The command has a process group (and session) of its own, which a Ctrl-C at the terminal does
    // not reach: a signal to lockstep stops it, and the rotation fails (and undoes) as for any failure.
    const onSignal = (signal: NodeJS.Signals) => stop(`was stopped: lockstep received ${signal}`);
    for (const s of SIGNALS) process.on(s, onSignal);
    const done = () => {
      clearTimeout(timer);
      process.off("exit", onExit);
      for (const s of SIGNALS) process.off(s, onSignal);
    };
    const take = (into: Buffer[] | undefined) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_HOOK_OUTPUT) return stop(`printed more than ${MAX_HOOK_OUTPUT} bytes`);
      into?.push(chunk);
      if (into !== stdout || !how.valueOnStdout) combined.push(chunk);
    };
    child.stdout.on("data", take(stdout));
    child.stderr.on("data", take(undefined));
    // A command that does not read its stdin may close it before we finish writing.
    child.stdin.on("error", () => {});
    child.stdin.end(`${JSON.stringify(doc)}\n`);
    child.on("error", (e: NodeJS.ErrnoException) => {
      done();
      reject(
        new LockstepError("ROTATION_FAILED", `rotation step ${step}: cannot run \`${shown}\`: ${e.code ?? e.message}`, {
          fix: "check the command in the secret's rotation.hooks (it runs in the repository's root folder)",
        }),
      );
    });
    child.on("close", (code, signal) => {
      done();
      const out = scrub(Buffer.concat(combined).toString("utf8"));
      const lines = out.split(/\r?\n/).filter((l) => l.trim() !== "");
      if (stopped === undefined && code === 0) {
        return resolve({ stdout: how.valueOnStdout ? Buffer.concat(stdout).toString("utf8") : "", notes: lines });
      }
      const why = stopped ?? (code !== null ? `exited with code ${code}` : `was killed by ${signal}`);
      const tail = lines.slice(-TAIL_LINES);
      const shownTail = tail.length > 0 ? `; its output ends:\n${tail.map((l) => `  ${l}`).join("\n")}` : "";
      reject(
        new LockstepError("ROTATION_FAILED", `rotation step ${step} failed: \`${shown}\` ${why}${shownTail}`, {
          fix:
            step === "finish"
              ? "the previous credential is not recorded as retired; fix the hook and run `lockstep rotate ID --finish` again"
              : "fix what the hook reports, then run `lockstep rotate` again",
        }),
      );
    });
  });
}
