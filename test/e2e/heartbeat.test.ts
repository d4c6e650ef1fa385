import http from 'node:http';
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

describe('a keep-alive connection', () => {
  let w: TestWatcher;
  beforeAll(async () => {
    w = await startTestWatcher();
  });
  afterAll(() => w.close());

  /** POSTs a heartbeat through `agent`; answers its status and whether it went on a socket used before. */
  const beat = (agent: http.Agent, token: string) =>
    new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
      const body = JSON.stringify({ agentId: 'pooled-01' });
      const req = http.request(
        `${w.url}/v1/heartbeat`,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  it("stays open past Node's 5 s default while idle, so a client's pooled socket is still there for its next heartbeat", async () => {
    const token = await w.addAgent('pooled-01');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await beat(agent, token)).toEqual({ status: 200, reused: false });
      // Idle longer than Node's default keep-alive timeout (5 s, which it stretches by 1 s), after
      // which it would have closed the connection.
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      expect(await beat(agent, token)).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  }, 20_000);
});
