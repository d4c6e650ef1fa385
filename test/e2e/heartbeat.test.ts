import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

describe('POST /v1/heartbeat over HTTP', () => {
  let w: TestWatcher;
  beforeAll(async () => {
    w = await startTestWatcher();
  });
  afterAll(() => w.close());

  it('answers 200 with the state, the interval the agent should keep and its group’s scan interval', async () => {
    const token = await w.addAgent('web-01');
    const res = await w.call('POST', '/v1/heartbeat', { agentId: 'web-01' }, bearer(token));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      agentId: 'web-01',
      state: 'healthy',
      heartbeatIntervalSeconds: 30,
      scanIntervalSeconds: 30,
      serverTime: new Date(w.clock.now()).toISOString(),
    });
    const [stored] = await w.storedAgents();
    expect(stored?.lastHeartbeatAt).toBe(w.clock.now());
  });
});
