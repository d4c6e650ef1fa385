import type { ScannerHarness } from './scanner-harness';

/**
 * The reads of issue 15, played over any store: `GET /v1/agents` page by page with its filters in
 * the store, and `GET /v1/status` from the scanner's one progress item. Called inside a `describe`
 * with a maker of harnesses (dynalite, or DynamoDB Local).
 */
export function readsScenario(harness: () => Promise<ScannerHarness>): void {
  /** The harness's router, its answer read as JSON. */
  const call = (h: ScannerHarness, path: string) =>
    // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the watcher answered
    h.http('GET', path) as Promise<{ status: number; body: any }>;

  /** Every page of `path` (a query string of filters), following each cursor: the pages' agent ids. */
  async function pages(h: ScannerHarness, query: string): Promise<string[][]> {
    const out: string[][] = [];
    let cursor: string | undefined;
    do {
      const res = await call(h, `/v1/agents?${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      out.push(res.body.agents.map((a: { agentId: string }) => a.agentId));
      cursor = res.body.cursor;
    } while (cursor !== undefined);
    return out;
  }

  async function fleet(): Promise<ScannerHarness> {
    const h = await harness();
    for (let i = 1; i <= 7; i++) await h.addAgent(`web-${String(i).padStart(2, '0')}`);
    for (let i = 1; i <= 3; i++) await h.addAgent(`db-0${i}`, 'production', { cluster: 'db' });
    return h;
  }

  it('pages through every agent with limit and cursor, each once, the last page without a cursor', async () => {
    const h = await fleet();

    const seen = await pages(h, 'limit=3');

    expect(seen.slice(0, -1).every((page) => page.length === 3)).toBe(true);
    expect(seen.at(-1)!.length).toBeLessThanOrEqual(3);
    const all = seen.flat();
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual([
      'db-01',
      'db-02',
      'db-03',
      'web-01',
      'web-02',
      'web-03',
      'web-04',
      'web-05',
      'web-06',
      'web-07',
    ]);
    for (const page of seen) expect(page).toEqual([...page].sort());
  });

  it('filters by cluster and state in the store, across pages that may come back short', async () => {
    const h = await fleet();
    await h.beat('web-01', 'db-02');

    expect((await pages(h, 'limit=2&cluster=db')).flat().sort()).toEqual(['db-01', 'db-02', 'db-03']);
    expect((await pages(h, 'limit=4&state=healthy')).flat().sort()).toEqual(['db-02', 'web-01']);
    expect((await pages(h, 'cluster=db&state=new')).flat().sort()).toEqual(['db-01', 'db-03']);
  });

  it('answers everything in one page without a cursor under the default limit', async () => {
    const h = await fleet();

    const res = await call(h, '/v1/agents');

    expect(res.status).toBe(200);
    expect(res.body.agents).toHaveLength(10);
    expect(res.body.cursor).toBeUndefined();
  });

  it('counts the fleet by group and state in the scan, and the status reads that one item', async () => {
    const h = await fleet();
    const before = (await call(h, '/v1/status')).body;
    await h.beat('web-01', 'web-02');
    await h.scan();
    const reads: string[] = [];
    h.client.middlewareStack.add(
      (next, context) => async (args) => {
        reads.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'readsScenarioCounter' },
    );

    const status = (await call(h, '/v1/status')).body;

    h.client.middlewareStack.remove('readsScenarioCounter');
    expect(before).toMatchObject({ countsAt: null, agents: null, openAlerts: null });
    expect(reads).toEqual(['GetItemCommand']);
    expect(status).toMatchObject({ countsAt: status.lastScanAt, agents: 10, openAlerts: 0 });
    expect(status.groups.production).toMatchObject({ healthy: 2, new: 8, failed: 0 });
  });
}
