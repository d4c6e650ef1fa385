import fc from 'fast-check';
import type { AgentRecord } from '../../lambda/domain/agent';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

/** Approved a and b, pending p (registered, not approved), rejected r: every answer the route has. */
const AGENT_IDS = ['agent-a', 'agent-b', 'agent-p', 'agent-r'] as const;
type AgentId = (typeof AGENT_IDS)[number];

const NAME = /^[A-Za-z0-9._:-]{1,128}$/;
const ANSWERS = [200, 202, 400, 401, 403, 413, 415];

interface FuzzRequest {
  readonly body: string;
  readonly contentType?: string;
  readonly authorization?: string;
  /** The agent whose own, correctly presented token `authorization` carries, if any. */
  readonly tokenOf?: AgentId;
}

/** The agentId a body claims, as the watcher would read it: the string `agentId` of a JSON object. */
function claimedAgentId(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const agentId = (parsed as { agentId?: unknown }).agentId;
    return typeof agentId === 'string' ? agentId : undefined;
  } catch {
    return undefined;
  }
}

function requests(tokens: Record<AgentId, string>): fc.Arbitrary<FuzzRequest> {
  const anyValue = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
  );
  const agentId = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom<string>(...AGENT_IDS, 'ghost-01') },
    { weight: 2, arbitrary: fc.stringMatching(NAME) },
    { weight: 1, arbitrary: fc.constantFrom('', 'a'.repeat(129), 'web 01', 'wéb', 'agent-a ', 'AGENT-A') },
    { weight: 1, arbitrary: anyValue },
  );
  const time = fc.oneof(
    fc
      .date({
        min: new Date('0000-01-01T00:00:00Z'),
        max: new Date('9999-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
    fc.constantFrom(
      '2026-02-30T12:00:00Z',
      '2026-01-31T24:00:00Z',
      '2026-11-23T13:00:00+01:00',
      '2026-11-23t12:00:00.123456789z',
      '2026-11-23T12:00:00',
    ),
    anyValue,
  );
  const heartbeat = fc.record(
    {
      agentId,
      sentAt: time,
      seq: fc.oneof(
        fc.nat(),
        fc.integer(),
        fc.double(),
        fc.constantFrom(2 ** 53 - 1, 2 ** 53, 1e300),
        anyValue,
      ),
      bootId: fc.oneof(fc.stringMatching(NAME), anyValue),
      cluster: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/), anyValue),
      endpoint: fc.oneof(fc.webUrl(), anyValue),
      version: fc.oneof(fc.string({ maxLength: 70 }), anyValue),
    },
    { requiredKeys: [] },
  );
  const wellFormed = fc.record(
    {
      agentId: fc.constantFrom<string>(...AGENT_IDS, 'ghost-01'),
      sentAt: fc
        .date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString()),
      seq: fc.nat(),
      bootId: fc.stringMatching(NAME),
      cluster: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
      endpoint: fc.webUrl(),
      version: fc.string({ minLength: 1, maxLength: 64 }),
    },
    { requiredKeys: ['agentId'] },
  );
  const withExtraKeys = fc
    .tuple(heartbeat, fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 3 }))
    .map(([fields, extra]) => JSON.stringify({ ...extra, ...fields }));
  const body = fc.oneof(
    { weight: 8, arbitrary: wellFormed.map((fields) => JSON.stringify(fields)) },
    { weight: 6, arbitrary: heartbeat.map((fields) => JSON.stringify(fields)) },
    { weight: 2, arbitrary: withExtraKeys },
    { weight: 2, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(heartbeat, fc.nat())
        .map(([fields, cut]) => JSON.stringify(fields).slice(0, cut % 40)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...AGENT_IDS), fc.integer({ min: 8_100, max: 12_000 }))
        .map(([id, size]) => JSON.stringify({ agentId: id, pad: 'x'.repeat(size) })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...AGENT_IDS)
        .map((id) => `{"agentId": "${id}", "endpoint": "a\\ud800b", "version": "\\udfff"}`),
    },
  );
  const contentType = fc.oneof(
    { weight: 12, arbitrary: fc.constant('application/json') },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        undefined,
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        'application/x-www-form-urlencoded',
        'application/problem+json',
        'text/plain',
        'text/plain; charset=utf-8',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/jsonx',
        ';',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );
  const ownTokenOf = (id: AgentId) =>
    fc
      .constantFrom(`Bearer ${tokens[id]}`, `bearer ${tokens[id]}`, `Bearer  ${tokens[id]} `)
      .map((authorization) => ({ authorization, tokenOf: id }));
  const ownToken = fc.constantFrom(...AGENT_IDS).chain(ownTokenOf);
  const spoiledToken = fc
    .constantFrom(...AGENT_IDS)
    .chain((id) =>
      fc
        .constantFrom(
          `Bearer ${tokens[id]}x`,
          `Bearer ${tokens[id].slice(0, -1)}`,
          `Bearer ${tokens[id]} ${tokens[id]}`,
          `Basic ${tokens[id]}`,
          tokens[id],
          `Bearer ${tokens[id].toUpperCase()}`,
        )
        .map((authorization) => ({ authorization, tokenOf: undefined })),
    );
  const strangeHeader = fc
    .oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`),
      fc.constantFrom('Bearer', 'Bearer ', 'Bearer hbw_', `Bearer ${'A'.repeat(10_000)}`),
    )
    .map((authorization) => ({ authorization, tokenOf: undefined }));
  const auth = fc.oneof(
    { weight: 6, arbitrary: ownToken },
    { weight: 2, arbitrary: spoiledToken },
    { weight: 2, arbitrary: strangeHeader },
    { weight: 1, arbitrary: fc.constant({ authorization: undefined, tokenOf: undefined }) },
  );
  const independent = fc
    .record({ body, contentType, auth })
    .map(({ body, contentType, auth }) => ({ body, contentType, ...auth }));
  // An agent's own token with a body that claims that agent: the requests that may land.
  const paired = fc
    .constantFrom(...AGENT_IDS)
    .chain((id) => fc.record({ id: fc.constant(id), fields: wellFormed, contentType, auth: ownTokenOf(id) }))
    .map(({ id, fields, contentType, auth }) => ({
      body: JSON.stringify({ ...fields, agentId: id }),
      contentType,
      ...auth,
    }));
  return fc.oneof({ weight: 3, arbitrary: independent }, { weight: 1, arbitrary: paired });
}

/**
 * May the request have changed `agentId`'s record? Only with that agent's own token and its agentId,
 * and never for the rejected agent.
 */
function mayChange(req: FuzzRequest, agentId: string): boolean {
  return agentId !== 'agent-r' && req.tokenOf === agentId && claimedAgentId(req.body) === agentId;
}

describe('POST /v1/heartbeat under random bodies and headers', () => {
  let w: TestWatcher;
  let tokens: Record<AgentId, string>;

  beforeAll(async () => {
    w = await startTestWatcher();
    const a = await w.addAgent('agent-a', 'production');
    const b = await w.addAgent('agent-b', 'test');
    const r = await w.addAgent('agent-r', 'test');
    await w.call('POST', '/v1/agents/agent-r/reject');
    const key = (await w.call('POST', '/v1/groups/test/enrollment-key')).body.key;
    const p = (await w.call('POST', '/v1/register', { agentId: 'agent-p', group: 'test' }, bearer(key))).body
      .token;
    tokens = { 'agent-a': a, 'agent-b': b, 'agent-p': p, 'agent-r': r };
  });
  afterAll(() => w.close());

  it('never answers 5xx and changes no record but the one whose own token and agentId were sent', async () => {
    const seen = new Map<number, number>();
    const stored = () => w.storedAgents().then((all) => new Map(all.map((agent) => [agent.agentId, agent])));

    await fc.assert(
      fc.asyncProperty(requests(tokens), async (req) => {
        // A second passes before every request, so any write at all shows in lastHeartbeatAt.
        w.clock.advance(1000);
        const before = await stored();
        const headers: Record<string, string> = {};
        if (req.contentType !== undefined) headers['content-type'] = req.contentType;
        if (req.authorization !== undefined) headers.authorization = req.authorization;

        const res = await fetch(`${w.url}/v1/heartbeat`, {
          method: 'POST',
          headers,
          body: new TextEncoder().encode(req.body),
        });
        const answer = await res.json();
        const after = await stored();

        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        expect(res.status).toBeLessThan(500);
        expect(ANSWERS).toContain(res.status);
        if (res.status >= 400) {
          expect(answer).toEqual({
            error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
          });
          expect(Object.keys(answer.error).every((k) => ['code', 'message', 'field'].includes(k))).toBe(true);
        } else {
          const fields = [
            'agentId',
            'heartbeatIntervalSeconds',
            'scanIntervalSeconds',
            'serverTime',
            'state',
          ];
          expect(Object.keys(answer).sort()).toEqual(
            answer.duplicate ? [...fields, 'duplicate'].sort() : fields,
          );
          expect(answer.state === 'pending').toBe(res.status === 202);
          expect(mayChange(req, answer.agentId)).toBe(true);
          // A duplicate (a seq at or below the stored one of the same boot) changes nothing at all.
          if (answer.duplicate) expect(after.get(answer.agentId)).toEqual(before.get(answer.agentId));
          else expect(after.get(answer.agentId)?.lastHeartbeatAt).toBe(w.clock.now());
        }
        expect([...after.keys()]).toEqual([...before.keys()]);
        for (const [agentId, record] of after) {
          if (!mayChange(req, agentId)) expect(record).toEqual<AgentRecord | undefined>(before.get(agentId));
        }
      }),
      { numRuns: 1000 },
    );

    // The random requests reached every answer, the accepted ones included, or the property said little.
    for (const status of ANSWERS) expect(seen.get(status)).toBeGreaterThan(0);
  }, 90_000);
});
