import { startTestWatcher, type TestWatcher } from '../support/watcher';

describe('POST /v1/heartbeats, a relay batch', () => {
  let w: TestWatcher;
  const tokens = new Map<string, string>();
  beforeAll(async () => {
    w = await startTestWatcher();
    for (let i = 0; i < 100; i++) tokens.set(`relay-${i}`, await w.addAgent(`relay-${i}`));
  });
  afterAll(() => w.close());

  // Each heartbeat of a boot carries a higher seq, as an agent's do.
  let seq = 0;
  const item = (agentId: string, extra: Record<string, unknown> = {}) => ({
    agentId,
    token: tokens.get(agentId),
    sentAt: new Date(w.clock.now()).toISOString(),
    seq: ++seq,
    bootId: '3f1c2b7e-1d2a-4c57-9b1e-7a4d2f0c9e11',
    ...extra,
  });

  it('accepts 100 heartbeats with their own tokens in one request (well over 8 KiB) and answers each in order', async () => {
    const heartbeats = [...tokens.keys()].map((id) => item(id));
    expect(JSON.stringify({ heartbeats }).length).toBeGreaterThan(8 * 1024);

    const res = await w.call('POST', '/v1/heartbeats', { heartbeats });

    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { agentId: string }) => r.agentId)).toEqual([...tokens.keys()]);
    expect(res.body.results.every((r: { status: string }) => r.status === 'ok')).toBe(true);
    expect(res.body.results[0]).toMatchObject({ state: 'healthy', heartbeatIntervalSeconds: 30 });
    const stored = await w.storedAgents();
    expect(stored.every((a) => a.lastHeartbeatAt === w.clock.now())).toBe(true);
  });

  it('fails a bad item alone: a wrong token, a malformed item and a stranger do not stop the rest', async () => {
    w.clock.advance(1000);
    const res = await w.call('POST', '/v1/heartbeats', {
      heartbeats: [
        item('relay-0'),
        item('relay-1', { token: tokens.get('relay-2') }),
        { agentId: 'bad id', token: 'x' },
        item('relay-3'),
        { agentId: 'nobody', token: 'hbw_nothing' },
      ],
    });

    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
      'ok',
      'unauthorized',
      'invalid',
      'ok',
      'unauthorized',
    ]);
    expect(res.body.results[2].error.field).toBe('heartbeats[2].agentId');
    const byId = new Map((await w.storedAgents()).map((a) => [a.agentId, a.lastHeartbeatAt]));
    expect(byId.get('relay-0')).toBe(w.clock.now());
    expect(byId.get('relay-1')).toBe(w.clock.now() - 1000);
  });

  it('refuses more than 100 heartbeats with a 400 naming the field', async () => {
    const heartbeats = Array.from({ length: 101 }, () => item('relay-0'));

    const res = await w.call('POST', '/v1/heartbeats', { heartbeats });

    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('heartbeats');
  });

  it('refuses a batch body over 256 KiB with 413', async () => {
    const res = await w.call('POST', '/v1/heartbeats', {
      heartbeats: [item('relay-0', { version: 'x'.repeat(300 * 1024) })],
    });

    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('body_too_large');
  });
});
