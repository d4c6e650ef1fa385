/**
 * Every agent of a paged `GET /v1/agents`, following each `cursor` until a page has none; `page`
 * asks for one (the first with no cursor). A filtered page may be short, even empty, and still have a
 * cursor. The CLI and the browser's console both read the fleet with it.
 */
export async function followCursors<T>(
  page: (cursor: string | undefined) => Promise<{ agents: T[]; cursor?: string }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    all.push(...next.agents);
    cursor = next.cursor;
  } while (cursor !== undefined);
  return all;
}
