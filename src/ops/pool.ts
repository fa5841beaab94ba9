/**
 * Bounded concurrency for bulk operations: while one secret is being
 * encrypted, others are being read, written and flushed to disk.
 */

/** How many secrets a bulk operation works on at once. */
export const BULK_CONCURRENCY = 16;

/**
 * Maps `items` through `f` with at most `limit` calls in flight; results in
 * input order. The first failure rejects, after the calls in flight settle.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await f(items[i] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
