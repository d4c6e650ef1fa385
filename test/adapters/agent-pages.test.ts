import { readsScenario } from '../support/reads-scenario';
import { type ScannerHarness, scannerHarnesses } from '../support/scanner-harness';

// GET /v1/agents in pages and GET /v1/status from the scan's counts, over the store of the test
// project (dynalite, and DynamoDB Local), and the answers to a bad query.
describe('reads that do not scan the agents table', () => {
  const harness = scannerHarnesses();

  describe('paging, filters and counts', () => {
    readsScenario(() => harness());
  });

  /** The harness's router, its answer read as JSON. */
  const call = (h: ScannerHarness, path: string) =>
    // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the watcher answered
    h.http('GET', path) as Promise<{ status: number; body: any }>;

  it.each([['0'], ['1001'], ['-1'], ['ten'], ['2.5'], ['99999']])(
    'refuses limit=%s with a 400 naming limit',
    async (limit) => {
      const h = await harness();

      const res = await call(h, `/v1/agents?limit=${limit}`);

      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', field: 'limit' });
    },
  );

  it('refuses a forged, tampered or foreign cursor with a 400 naming cursor', async () => {
    const h = await harness();
    for (const id of ['a-01', 'a-02', 'a-03']) await h.addAgent(id);
    const given = (await call(h, '/v1/agents?limit=1')).body.cursor as string;
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forged = [
      'not a cursor',
      `${given}x`,
      given.slice(0, -1),
      b64({ after: 'a-01', table: 'hbw-state' }),
      b64({ after: { S: 'scanner' } }),
      b64({ after: 'a 01' }),
      b64({ agentId: 'a-01' }),
      Buffer.from(JSON.stringify({ after: 'a-01' })).toString('base64'),
      'x'.repeat(2000),
    ];

    for (const cursor of forged) {
      const res = await call(h, `/v1/agents?cursor=${encodeURIComponent(cursor)}`);
      expect([cursor, res.status, res.body.error?.field]).toEqual([cursor, 400, 'cursor']);
    }
    expect((await call(h, `/v1/agents?cursor=${given}`)).status).toBe(200);
  });
});
