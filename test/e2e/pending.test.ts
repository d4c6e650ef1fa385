import { enrollmentKeysIn, hbwAt } from '../support/run-cli';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

/**
 * Pending management, as SCOM does it: an agent that installs itself registers with its group's
 * enrollment key and waits, heartbeating, until an operator approves (or rejects) it.
 */
describe('pending management: enroll-key, register, approve, reject', () => {
  let w: TestWatcher;
  let cli: ReturnType<typeof hbwAt>;
  const register = (key: string | undefined, body: unknown) =>
    w.call('POST', '/v1/register', body, key === undefined ? {} : bearer(key));
  const heartbeat = (agentId: string, token: string, extra: Record<string, unknown> = {}) =>
    w.call('POST', '/v1/heartbeat', { agentId, ...extra }, bearer(token));

  beforeAll(async () => {
    w = await startTestWatcher();
    cli = hbwAt(w.url);
  });
  afterAll(() => w.close());

  async function enrollmentKey(group: string): Promise<string> {
    const run = await cli('enroll-key', group);
    expect(run).toMatchObject({ code: 0, err: '' });
    const keys = enrollmentKeysIn(run.out);
    expect(keys).toHaveLength(1);
    return keys[0]!;
  }

  async function stored(agentId: string) {
    return (await w.storedAgents()).find((a) => a.agentId === agentId);
  }

  it('hbw enroll-key prints a key once, and --json answers the group and the key', async () => {
    const run = await cli('enroll-key', 'test');
    expect(run.code).toBe(0);
    expect(run.out).toContain('enrollment key for test (shown once');
    expect(run.out).toContain('POST /v1/register');
    expect(enrollmentKeysIn(run.out)).toHaveLength(1);

    const json = await cli('enroll-key', 'test', '--json');
    expect(json.code).toBe(0);
    const answer = json.json();
    expect(answer).toEqual({ group: 'test', key: expect.any(String) });
    expect(enrollmentKeysIn(answer.key)).toEqual([answer.key]);
  });

  it('a registered agent waits in pending: heartbeats answer 202 and are recorded', async () => {
    const key = await enrollmentKey('test');
    const res = await register(key, { agentId: 'app-01', group: 'test' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      agentId: 'app-01',
      token: expect.stringMatching(/^hbw_/),
      approval: 'pending',
    });
    const token = res.body.token as string;

    const first = await heartbeat('app-01', token, { sentAt: new Date(w.clock.now()).toISOString(), seq: 1 });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({
      agentId: 'app-01',
      state: 'pending',
      heartbeatIntervalSeconds: 30,
      scanIntervalSeconds: 30,
      serverTime: new Date(w.clock.now()).toISOString(),
    });
    expect(await stored('app-01')).toMatchObject({
      approval: 'pending',
      lastHeartbeatAt: w.clock.now(),
      seq: 1,
    });

    w.clock.advance(30_000);
    const second = await heartbeat('app-01', token, { seq: 2 });
    expect(second.status).toBe(202);
    expect(await stored('app-01')).toMatchObject({ lastHeartbeatAt: w.clock.now(), seq: 2 });

    const shown = (await cli('agents', 'show', 'app-01', '--json')).json();
    expect(shown).toMatchObject({
      approval: 'pending',
      state: 'pending',
      lastHeartbeatAt: new Date(w.clock.now()).toISOString(),
    });
    const pending = (await cli('agents', 'list', '--state', 'pending', '--json')).json();
    expect(pending.agents.map((a: { agentId: string }) => a.agentId)).toContain('app-01');
    // The status counts it as the next scan finds it.
    await w.scanner.scan();
    const status = (await cli('status', '--json')).json();
    expect(status.groups.test.pending).toBeGreaterThanOrEqual(1);
  });

  it('hbw agents approve makes the next heartbeat 200 healthy; reject makes it 403; approve again 200', async () => {
    const key = await enrollmentKey('test');
    const token = (await register(key, { agentId: 'app-02', group: 'test' })).body.token as string;
    expect((await heartbeat('app-02', token)).status).toBe(202);

    const approve = await cli('agents', 'approve', 'app-02');
    expect(approve).toMatchObject({ code: 0, err: '' });
    expect(approve.out.split('\n')[0]).toBe('app-02: approved');
    const approved = await heartbeat('app-02', token);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ agentId: 'app-02', state: 'healthy' });

    const reject = await cli('agents', 'reject', 'app-02', '--json');
    expect(reject.code).toBe(0);
    expect(reject.json()).toMatchObject({ agentId: 'app-02', approval: 'rejected', state: 'rejected' });
    const refused = await heartbeat('app-02', token);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    // A wrong token still answers 401 for a rejected agent: 403 is only for the agent itself.
    expect((await heartbeat('app-02', `${token.slice(0, -1)}x`)).status).toBe(401);

    expect((await cli('agents', 'approve', 'app-02')).code).toBe(0);
    const back = await heartbeat('app-02', token);
    expect(back.status).toBe(200);
    expect(back.body.state).toBe('healthy');
  });

  it('hbw agents reject refuses a pending agent before it was ever approved', async () => {
    const key = await enrollmentKey('test');
    const token = (await register(key, { agentId: 'app-03', group: 'test' })).body.token as string;
    const run = await cli('agents', 'reject', 'app-03');
    expect(run.code).toBe(0);
    expect(run.out.split('\n')[0]).toBe('app-03: rejected');
    expect((await heartbeat('app-03', token)).status).toBe(403);
  });

  it('a new enrollment key makes the old one stop working', async () => {
    const old = await enrollmentKey('test');
    expect((await register(old, { agentId: 'key-01', group: 'test' })).status).toBe(201);

    const fresh = await enrollmentKey('test');
    expect(fresh).not.toBe(old);
    const refused = await register(old, { agentId: 'key-02', group: 'test' });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
    expect(await stored('key-02')).toBeUndefined();
    expect((await register(fresh, { agentId: 'key-02', group: 'test' })).status).toBe(201);
  });

  it('register refuses no key, the key of another group, and an unknown group', async () => {
    const testKey = await enrollmentKey('test');
    const none = await register(undefined, { agentId: 'reg-01', group: 'test' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');

    const otherGroup = await register(testKey, { agentId: 'reg-01', group: 'production' });
    expect(otherGroup.status).toBe(401);
    expect(otherGroup.body.error.message).toContain('production');

    const unknownGroup = await register(testKey, { agentId: 'reg-01', group: 'staging' });
    expect(unknownGroup.status).toBe(401);
    expect(unknownGroup.body.error.message).toBe('the enrollment key is not valid for group staging');
    expect(await stored('reg-01')).toBeUndefined();

    const cliUnknown = await cli('enroll-key', 'staging');
    expect(cliUnknown.code).toBe(1);
    expect(cliUnknown.err).toContain('unknown group "staging"');
  });

  it('a group with autoApprove registers agents as approved', async () => {
    const key = await enrollmentKey('lab');
    const res = await register(key, { agentId: 'lab-01', group: 'lab', cluster: 'bench' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ agentId: 'lab-01', token: expect.any(String), approval: 'approved' });
    const beat = await heartbeat('lab-01', res.body.token);
    expect(beat.status).toBe(200);
    expect(beat.body).toMatchObject({ state: 'healthy', heartbeatIntervalSeconds: 10 });
    expect(await stored('lab-01')).toMatchObject({ approval: 'approved', cluster: 'bench' });
  });

  it('register with an agentId that is taken answers 409 and leaves the agent as it was', async () => {
    const key = await enrollmentKey('test');
    const first = await register(key, { agentId: 'dup-01', group: 'test' });
    expect(first.status).toBe(201);
    const again = await register(key, { agentId: 'dup-01', group: 'test' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'conflict', field: 'agentId' });
    // The first registration's token still works; nobody took the agent over.
    expect((await heartbeat('dup-01', first.body.token)).status).toBe(202);

    // An id an operator added is just as taken.
    await w.addAgent('dup-02', 'test');
    expect((await register(key, { agentId: 'dup-02', group: 'test' })).status).toBe(409);
    expect(await stored('dup-02')).toMatchObject({ approval: 'approved' });
  });
});
