/**
 * Every item of a paged route (`GET /v1/agents`'s `agents`, `GET /v1/audit`'s `entries`), following
 * each `cursor` until a page has none, or until `max` items are in; `page` asks for one (the first
 * with no cursor). A filtered page may be short, even empty, and still have a cursor. The CLI and the
 * browser's console both read the fleet and the trail with it.
 */
export async function followCursors<K extends string, T>(
  key: K,
  page: (cursor: string | undefined) => Promise<{ readonly [k in K]: T[] } & { cursor?: string }>,
  max = Number.POSITIVE_INFINITY,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    all.push(...next[key]);
    cursor = next.cursor;
  } while (cursor !== undefined && all.length < max);
  return all.slice(0, max);
}
