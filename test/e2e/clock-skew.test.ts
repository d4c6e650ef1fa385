import { hbwAt } from '../support/run-cli';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

/**
 * The clock rule SCOM has from Kerberos: agent and watcher clocks more than 5 minutes apart are worth showing.
 * The watcher's own clock stays the truth for lastHeartbeatAt; the agent's `sentAt` is only compared.
 */
describe('clock skew between an agent and the watcher', () => {
  let w: TestWatcher;
  let cli: ReturnType<typeof hbwAt>;
  let token: string;
  const iso = (ms: number) => new Date(ms).toISOString();
  const beat = (sentAt?: string) =>
    w.call(
      'POST',
      '/v1/heartbeat',
      sentAt === undefined ? { agentId: 'web-01' } : { agentId: 'web-01', sentAt },
      bearer(token),
    );
  const view = async () => (await w.call('GET', '/v1/agents/web-01')).body;
  const stored = async () => (await w.storedAgents()).find((a) => a.agentId === 'web-01');

  beforeAll(async () => {
    w = await startTestWatcher();
    cli = hbwAt(w.url);
    token = await w.addAgent('web-01');
  });
  afterAll(() => w.close());

  it('a heartbeat sent 10 minutes ahead still counts, and the skew is stored and flagged', async () => {
    const res = await beat(iso(w.clock.now() + 600_000));
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('healthy');
    expect(res.body.serverTime).toBe(iso(w.clock.now()));

    const agent = await stored();
    expect(agent?.clockSkewSeconds).toBe(600);
    expect(agent?.lastHeartbeatAt).toBe(w.clock.now());
    expect(await view()).toMatchObject({
      state: 'healthy',
      lastHeartbeatAt: iso(w.clock.now()),
      clockSkewSeconds: 600,
      clockSkewWarning: true,
    });
  });

  it('the CLI shows the skew with its warning in list and show', async () => {
    await beat(iso(w.clock.now() + 600_000));
    const list = await cli('agents', 'list');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^web-01\s.*\s600s \(!\)/m);
    const show = await cli('agents', 'show', 'web-01');
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/clock skew\s+600 s \(more than 5 minutes: check NTP on the agent\)/);
  });

  it('a clock 10 minutes behind is flagged as well, with a negative skew', async () => {
    const res = await beat(iso(w.clock.now() - 600_000));
    expect(res.status).toBe(200);
    expect(await view()).toMatchObject({ clockSkewSeconds: -600, clockSkewWarning: true });
  });

  it('200 seconds apart is recorded without a warning', async () => {
    await beat(iso(w.clock.now() + 200_000));
    expect(await view()).toMatchObject({ clockSkewSeconds: 200, clockSkewWarning: false });
    await beat(iso(w.clock.now() - 200_000));
    expect(await view()).toMatchObject({ clockSkewSeconds: -200, clockSkewWarning: false });
    const show = await cli('agents', 'show', 'web-01');
    expect(show.out).toMatch(/clock skew\s+-200 s$/m);
  });

  it('warns from just over 5 minutes, not at 5 minutes exactly', async () => {
    await beat(iso(w.clock.now() + 300_000));
    expect(await view()).toMatchObject({ clockSkewSeconds: 300, clockSkewWarning: false });
    await beat(iso(w.clock.now() + 301_000));
    expect(await view()).toMatchObject({ clockSkewSeconds: 301, clockSkewWarning: true });
  });

  it('a later heartbeat without sentAt clears the skew', async () => {
    await beat(iso(w.clock.now() + 600_000));
    expect((await view()).clockSkewWarning).toBe(true);

    w.clock.advance(5_000);
    const res = await beat();
    expect(res.status).toBe(200);
    const agent = await stored();
    expect(agent?.clockSkewSeconds).toBeUndefined();
    expect(agent?.lastSentAt).toBeUndefined();
    expect(agent?.lastHeartbeatAt).toBe(w.clock.now());
    const shown = await view();
    expect(shown.clockSkewSeconds).toBeUndefined();
    expect(shown.clockSkewWarning).toBe(false);
    const list = await cli('agents', 'list', '--json');
    expect(list.json().agents[0]).toMatchObject({ agentId: 'web-01', clockSkewWarning: false });
  });
});
