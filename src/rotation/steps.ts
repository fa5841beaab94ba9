/**
 * Rotation that changes a credential where it lives, in the four steps of
 * AWS Secrets Manager's rotation (createSecret, setSecret, testSecret,
 * finishSecret: https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html),
 * mapped onto lockstep's versions and stages:
 *
 * - `current` is the version the last stage points at (AWSCURRENT);
 * - `pending` is the new version N+1 (AWSPENDING) that `rotate` adds and
 *   the first stage gets;
 * - `previous` is the version `current` replaced (AWSPREVIOUS), whose
 *   credential still works until `finish` retires it.
 *
 * `rotate` runs create, set and test before anything is written; `finish`
 * runs once the last stage has the new version. A {@link Rotator} does the
 * work for one strategy (a hook's commands, PostgreSQL); this module runs
 * the steps in order, undoes `set` when a later step fails, and keeps every
 * value out of what it reports.
 */
import { scrubber } from "../core/scrub.js";
import { LockstepError } from "../errors.js";

/** The four steps, and `undo`, which puts back what `set` did when `set` or `test` fails. */
export type RotationStep = "create" | "set" | "test" | "undo" | "finish";

/** One version's credential. */
export interface Credential {
  version: number;
  value: string;
}

/** What every step is told. */
export interface StepContext {
  /** The secret's id, `production/db/password`. */
  id: string;
  /** Stage name to version, as the manifest has it before the step. */
  stages: Record<string, number>;
  /** The admin credential (`rotation.admin`), if the secret names one. */
  admin?: Credential & { id: string };
}

/** What create, set, test and undo are told: the versions before the rotation. */
export interface RotationInput extends StepContext {
  /** The credential in use: the version the last stage points at. */
  current: Credential;
  /** The credential `current` replaced, if it was not retired yet. */
  previous?: Credential;
}

/** The new version once create has made its value. */
export interface PendingInput extends RotationInput {
  pending: Credential;
}

/** What finish is told: the new current version and the previous one, whose credential it retires. */
export interface FinishInput extends StepContext {
  current: Credential;
  previous: Credential;
}

/** Lines a step reports for people (scrubbed by the runner before anyone sees them). */
export type StepNotes = string[];

/**
 * One strategy's steps. A rotator may keep state between the steps of one
 * rotation (what `set` changed, for `undo`): make one per rotation.
 */
export interface Rotator {
  /** Makes the new value (nothing changes anywhere yet). */
  create(input: RotationInput & { pending: { version: number } }): Promise<{ value: string; notes?: StepNotes }>;
  /** Makes the pending credential valid where it lives, alongside the current one. */
  set(input: PendingInput): Promise<StepNotes | undefined>;
  /** Checks the pending credential works (e.g. logs in with it). */
  test(input: PendingInput): Promise<StepNotes | undefined>;
  /**
   * Puts back what `set` changed, as far as it can (also after a `set` that
   * failed half-way). Resolves to what it could not put back, or to
   * `undefined` when set had changed nothing.
   */
  undo?(input: PendingInput): Promise<string[] | undefined>;
  /** Retires the previous credential where it lives. */
  finish(input: FinishInput): Promise<StepNotes | undefined>;
}

/** Checks a new value before set (its type and value schema); throws to stop the rotation. */
export type Validate = (value: string) => Promise<void>;

/** Options of {@link runRotation}. */
export interface RotationRunOptions {
  /** Runs after create, before set: a value it refuses changes nothing anywhere. */
  validate?: Validate;
}

/** The new value, and what the steps reported. */
export interface RotationOutcome {
  value: string;
  /** Scrubbed notes of each step, in order. */
  notes: { step: RotationStep; lines: string[] }[];
}

/**
 * Runs create, set and test for version `version` (N+1). When set or test
 * fails, runs undo (if the rotator has one) and throws; the new value is
 * never returned then.
 *
 * @throws LockstepError `ROTATION_FAILED` naming the step, with the scrubbed
 *   reason, and in `fix` whatever undo could not put back (other
 *   LockstepErrors of a rotator keep their code, scrubbed the same way).
 */
export async function runRotation(
  rotator: Rotator,
  input: RotationInput,
  version: number,
  options: RotationRunOptions = {},
): Promise<RotationOutcome> {
  const known = valuesOf(input);
  const notes: RotationOutcome["notes"] = [];
  const created = await step("create", scrubber(known), () => rotator.create({ ...input, pending: { version } }));
  // From here on, the new value is a secret too.
  const scrub = scrubber([...known, created.value]);
  if (options.validate) await step("create", scrub, () => (options.validate as Validate)(created.value));
  const record = (name: RotationStep, lines: StepNotes | undefined) => {
    if (lines && lines.length > 0) notes.push({ step: name, lines: lines.map(scrub) });
  };
  record("create", created.notes);
  const pending: PendingInput = { ...input, pending: { version, value: created.value } };
  for (const name of ["set", "test"] as const) {
    try {
      record(name, await step(name, scrub, () => rotator[name](pending)));
    } catch (e) {
      throw withUndo(e as LockstepError, await undo(rotator, pending, scrub));
    }
  }
  return { value: created.value, notes };
}

/**
 * Puts back what a successful rotation's set did, when what follows it
 * fails (writing the new version). Resolves to what undo could not put
 * back (scrubbed), `undefined` when set had changed nothing.
 */
export function abandonRotation(rotator: Rotator, input: PendingInput, value: string): Promise<string[] | undefined> {
  return undo(rotator, input, scrubber([...valuesOf(input), value]));
}

/**
 * Runs finish: retires the previous credential.
 * @throws LockstepError `ROTATION_FAILED` (scrubbed).
 */
export async function runFinish(rotator: Rotator, input: FinishInput): Promise<RotationOutcome["notes"]> {
  const scrub = scrubber(valuesOf(input));
  const lines = await step("finish", scrub, () => rotator.finish(input));
  return lines && lines.length > 0 ? [{ step: "finish", lines: lines.map(scrub) }] : [];
}

/** The values a step may not show. */
function valuesOf(input: StepContext & { current: Credential; previous?: Credential }): string[] {
  return [input.current.value, input.previous?.value, input.admin?.value].filter((v): v is string => v !== undefined);
}

/** Runs one step; any failure becomes a scrubbed `ROTATION_FAILED` (or the rotator's own error, scrubbed). */
async function step<T>(name: RotationStep, scrub: (s: string) => string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof LockstepError) {
      throw new LockstepError(e.code, scrub(e.message), {
        ...(e.file !== undefined && { file: e.file }),
        ...(e.line !== undefined && { line: e.line }),
        ...(e.fix !== undefined && { fix: scrub(e.fix) }),
      });
    }
    const reason = e instanceof Error ? e.message : String(e);
    throw new LockstepError("ROTATION_FAILED", `rotation step ${name} failed: ${scrub(reason)}`);
  }
}

/** Runs undo; returns what it could not put back (scrubbed), `undefined` when there was nothing to undo. */
async function undo(
  rotator: Rotator,
  input: PendingInput,
  scrub: (s: string) => string,
): Promise<string[] | undefined> {
  if (!rotator.undo) return ["this strategy has no undo step: check what set changed"];
  try {
    return (await rotator.undo(input))?.map(scrub);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return [`undo failed: ${scrub(reason)}`];
  }
}

/** The step's error, saying that nothing was written and what undo left. */
function withUndo(e: LockstepError, left: string[] | undefined): LockstepError {
  let undone = "";
  if (left !== undefined)
    undone = left.length === 0 ? "; set was undone" : `; set was undone except: ${left.join("; ")}`;
  return new LockstepError(e.code, `${e.message} (nothing was written${undone})`, {
    ...(e.file !== undefined && { file: e.file }),
    ...(e.line !== undefined && { line: e.line }),
    ...(e.fix !== undefined && { fix: e.fix }),
  });
}
