// Small tools the service and the scanner share.

/**
 * Runs the functions given to `run` with at most `limit` in flight; `drain` waits for the rest. The
 * first failure is thrown by the next `run` or by `drain`.
 */
export function limiter(limit: number) {
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const check = () => {
    if (failure) throw failure.error;
  };
  return {
    async run(fn: () => Promise<void>) {
      while (running.size >= limit) await Promise.race(running);
      check();
      const p: Promise<void> = fn()
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => running.delete(p));
      running.add(p);
    },
    async drain() {
      await Promise.all(running);
      check();
    },
  };
}

/** `items` in runs of at most `size`, in order (an API's most per call). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `items` by `key`, each list in the order of `items`. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Counts `items` by group, then by `key` within the group; a key with none is left out. */
export function countByGroupAnd<T extends { readonly group: string }, K extends string>(
  items: Iterable<T>,
  key: (item: T) => K,
): Record<string, Partial<Record<K, number>>> {
  const groups: Record<string, Partial<Record<K, number>>> = {};
  for (const item of items) {
    const counts: Partial<Record<K, number>> = groups[item.group] ?? {};
    const k = key(item);
    counts[k] = (counts[k] ?? 0) + 1;
    groups[item.group] = counts;
  }
  return groups;
}
