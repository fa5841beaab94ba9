/**
 * The rotator of a secret's `rotation.strategy`: `generate` (only makes a
 * value), `hook` (the team's commands) or `postgres` (built in).
 */
import { parseDuration } from "../core/duration.js";
import type { SecretRotation } from "../core/model.js";
import { strategyOf } from "../core/rotation.js";
import { LockstepError } from "../errors.js";
import { hookRotator } from "./hook.js";
import { postgresRotator } from "./postgres.js";
import type { Rotator } from "./steps.js";

/** What a rotator needs from its surroundings. */
export interface RotatorContext {
  /** The repository's root folder: hooks run there. */
  cwd: string;
  /** Makes a new value (or password) from the secret's generator. */
  generate: () => string;
  /** The environment hooks start from (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** The clock (the postgres strategy's `retire: expire`). */
  now?: () => Date;
}

/** Default time limit of one hook step. */
export const DEFAULT_HOOK_TIMEOUT_MS = 60_000;

/**
 * A fresh rotator for one rotation (settings as checked by
 * `checkRotationSettings`: hook has `hooks`).
 */
export function rotatorFor(rotation: SecretRotation | undefined, context: RotatorContext): Rotator {
  switch (strategyOf(rotation)) {
    case "hook": {
      if (rotation?.hooks === undefined) {
        throw new LockstepError("INVALID_VALUE", "rotation strategy hook needs rotation.hooks", {
          fix: "add rotation.hooks with at least a set command",
        });
      }
      return hookRotator(rotation.hooks, {
        cwd: context.cwd,
        generate: context.generate,
        timeoutMs: rotation?.timeout === undefined ? DEFAULT_HOOK_TIMEOUT_MS : parseDuration(rotation.timeout),
        ...(context.env !== undefined && { env: context.env }),
      });
    }
    case "postgres":
      return postgresRotator({
        generate: context.generate,
        ...(rotation?.postgres?.users !== undefined && { users: rotation.postgres.users }),
        ...(rotation?.postgres?.retire !== undefined && { retire: rotation.postgres.retire }),
        ...(context.now !== undefined && { now: context.now }),
      });
    default:
      return generateRotator(context.generate);
  }
}

/** Today's `rotate`: a new value, changed nowhere else. */
export function generateRotator(generate: () => string): Rotator {
  return {
    create: async () => ({ value: generate() }),
    set: async () => undefined,
    test: async () => undefined,
    finish: async () => undefined,
  };
}
