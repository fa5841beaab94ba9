/**
 * Random bytes for keys and nonces, drawn from the CSPRNG a thousand keys at
 * a time: one `randomFillSync` per 32 KiB rather than one `randomBytes` per
 * key, which costs more than the bytes (about 4 µs a call, and an import
 * draws one per stanza). Each byte is handed out once, as a copy, so a later
 * refill never changes a key already given.
 */
import { randomFillSync } from "node:crypto";

const pool = Buffer.alloc(32 * 1024);
let used = pool.length;

/** `n` fresh random bytes (at most 32 KiB), as a new Buffer. */
export function randomKeyBytes(n: number): Buffer {
  if (n > pool.length) throw new RangeError(`at most ${pool.length} random bytes at a time`);
  if (used + n > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const bytes = Buffer.from(pool.subarray(used, used + n));
  pool.fill(0, used, used + n); // nothing handed out stays behind in the pool
  used += n;
  return bytes;
}
