/** Durations as lockstep's files write them: `90d`, `12h`, `4w`, `1y`, and for time limits `60s`, `5m`. */
import { LockstepError } from "../errors.js";

const UNIT_MS = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
} as const;

/**
 * Parses a duration into milliseconds. Each file's schema says which units
 * a key takes (ages: h, d, w, y; time limits: s, m).
 * @throws LockstepError `INVALID_VALUE` for anything else.
 */
export function parseDuration(s: string): number {
  const m = /^(\d+)([smhdwy])$/.exec(s);
  if (!m) {
    throw new LockstepError("INVALID_VALUE", `"${s}" is not a duration`, {
      fix: "write a whole number and a unit: s, m, h, d, w or y (e.g. 90d)",
    });
  }
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
