/** Durations as lockstep.yaml writes them: `90d`, `12h`, `4w`, `1y`. */
import { LockstepError } from "../errors.js";

const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 } as const;

/**
 * Parses a duration into milliseconds.
 * @throws LockstepError `INVALID_VALUE` for anything else.
 */
export function parseDuration(s: string): number {
  const m = /^(\d+)([hdwy])$/.exec(s);
  if (!m) {
    throw new LockstepError("INVALID_VALUE", `"${s}" is not a duration`, {
      fix: "write a whole number and a unit: h, d, w or y (e.g. 90d)",
    });
  }
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
