import type { LogEvent } from '../../cli/agent/events';
import { HeartbeatAgent, type HeartbeatAgentOptions } from '../../cli/agent/failover';
import type { HeartbeatBody, HeartbeatReply, SendResult } from '../../cli/agent/heartbeat-sender';

const A = 'https://a.example.com';
const B = 'https://b.example.com';
const C = 'https://c.example.com';
const T0 = Date.parse('2026-11-23T12:00:00.000Z');

const ok = (state: HeartbeatReply['state'] = 'healthy', heartbeatIntervalSeconds = 30): SendResult => ({
  kind: 'accepted',
  status: state === 'pending' ? 202 : 200,
  answer: { state, heartbeatIntervalSeconds, serverTime: new Date(T0).toISOString() },
});
/** A connection that failed: nothing listens there, or it was reset. */
const down = (code = 'ECONNREFUSED'): SendResult => ({
  kind: 'failed',
  reason: 'connect',
  code,
  detail: `connect ${code}`,
});
/** No answer in time: the endpoint may be alive but slow. */
const silent = (): SendResult => ({
  kind: 'failed',
  reason: 'timeout',
  code: 'ETIMEDOUT',
  detail: 'no answer within 10 s',
});
const serverError = (): SendResult => ({
  kind: 'failed',
  reason: 'http',
  code: 'internal',
  status: 503,
  detail: 'answered 503 (busy)',
});

/**
 * A scripted network: each endpoint answers with its current script (by default it does not answer
 * in time); every heartbeat is recorded.
 */
function harness(options: Partial<HeartbeatAgentOptions> = {}) {
  const answers = new Map<string, SendResult>();
  const sent: { endpoint: string; body: HeartbeatBody }[] = [];
  const events: LogEvent[] = [];
  let now = T0;
  const agent = new HeartbeatAgent({
    agentId: 'web-01',
    endpoints: [A, B],
    failuresBeforeFailover: 3,
    failbackMs: 60_000,
    bootId: 'boot-1',
    version: '1.2.3',
    intervalSeconds: 30,
    tokenSource: 'the token file /etc/hbw/token',
    random: () => 0.5,
    send: async (endpoint, body) => {
      sent.push({ endpoint, body });
      return answers.get(endpoint) ?? silent();
    },
    log: (event) => events.push(event),
    ...options,
  });
  return {
    agent,
    sent,
    events,
    set: (endpoint: string, result: SendResult) => answers.set(endpoint, result),
    /** One beat at the current time; then the clock moves by the delay it answered. */
    async beat() {
      const delay = await agent.beat(now);
      now += delay;
      return delay;
    },
    advance: (ms: number) => {
      now += ms;
    },
    codes: () => events.map((e) => e.code),
    take() {
      return events.splice(0).map((e) => e.code);
    },
  };
}

describe('HeartbeatAgent: the heartbeat', () => {
  it('sends agentId, sentAt, a growing seq, one bootId, the endpoint in use and the version', async () => {
    const h = harness({ cluster: 'sql-a' });
    h.set(A, ok());
    await h.beat();
    await h.beat();
    expect(h.sent.map((s) => s.body)).toEqual([
      {
        agentId: 'web-01',
        sentAt: '2026-11-23T12:00:00.000Z',
        seq: 1,
        bootId: 'boot-1',
        endpoint: A,
        version: '1.2.3',
        cluster: 'sql-a',
      },
      expect.objectContaining({ seq: 2, bootId: 'boot-1', sentAt: '2026-11-23T12:00:30.000Z', endpoint: A }),
    ]);
  });

  it('waits the interval the watcher answers with, spread by up to 10% either way', async () => {
    let r = 0.5;
    const h = harness({ random: () => r, intervalSeconds: 30 });
    h.set(A, ok('healthy', 10));
    expect(await h.beat()).toBe(10_000);
    r = 0;
    expect(await h.beat()).toBe(9_000);
    r = 0.999_999;
    expect(await h.beat()).toBe(11_000);
  });

  it('spreads a fleet: 1000 agents started together do not beat in step', async () => {
    // A seeded generator, so the test is the same every run.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const delays: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const h = harness({ random });
      h.set(A, ok('healthy', 30));
      delays.push(await h.beat());
    }
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(27_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(33_000);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(5_500);
    // Uniform over 6 s: about a sixth in any one second, never most of the fleet.
    for (let from = 27_000; from < 33_000; from += 1000) {
      expect(delays.filter((d) => d >= from && d < from + 1000).length).toBeLessThan(250);
    }
  });

  it('keeps its own interval until the watcher tells one, and logs a change (HBW2002)', async () => {
    const h = harness({ intervalSeconds: 45 });
    expect(await h.beat()).toBe(45_000);
    h.set(A, ok('healthy', 30));
    expect(await h.beat()).toBe(30_000);
    h.set(A, ok('healthy', 60));
    expect(await h.beat()).toBe(60_000);
    expect(h.events.find((e) => e.code === 'HBW2002')?.msg).toBe(
      'the watcher set the heartbeat interval to 60 s (was 30 s)',
    );
  });

  it('logs HBW2001 once when heartbeats are accepted, not on every beat', async () => {
    const h = harness();
    h.set(A, ok());
    await h.beat();
    await h.beat();
    await h.beat();
    expect(h.codes()).toEqual(['HBW2001']);
    expect(h.events[0]!.msg).toBe(`connected to ${A}: heartbeats accepted (state healthy), one every 30 s`);
  });
});

describe('HeartbeatAgent: failover and fail-back', () => {
  it('fails over after N timeouts in a row, and sends that heartbeat to the failover at once', async () => {
    const h = harness();
    h.set(A, ok());
    await h.beat();
    h.set(A, silent());
    h.set(B, ok());
    await h.beat();
    await h.beat();
    expect(h.agent.status).toMatchObject({ endpoint: A, failures: 2 });
    await h.beat();
    expect(h.agent.status).toMatchObject({ endpoint: B, failures: 0 });
    expect(h.sent.map((s) => s.endpoint)).toEqual([A, A, A, A, B]);
    expect(h.sent.at(-1)!.body.endpoint).toBe(B);
    expect(h.codes()).toEqual(['HBW2001', 'HBW2006', 'HBW2015', 'HBW2001']);
    const failure = h.events[1]!;
    expect(failure.msg).toBe(
      `${A} did not answer (no answer within 10 s) (failure 1 of 3 before failing over to ${B}): check the network path to a.example.com:443 and that the watcher is not overloaded`,
    );
    expect(h.events[2]!.msg).toBe(
      `failed over from ${A} to ${B} after 3 failed heartbeats; the primary ${A} is tried again every 60 s`,
    );
  });

  it.each([
    ['refused', down('ECONNREFUSED')],
    ['reset', down('ECONNRESET')],
    ['not resolved', { kind: 'failed', reason: 'dns', code: 'ENOTFOUND', detail: 'getaddrinfo ENOTFOUND' }],
  ] as [string, SendResult][])(
    'fails over at once when the connection is %s, without waiting for N failures',
    async (_what, failure) => {
      const h = harness();
      h.set(A, failure);
      h.set(B, ok());
      await h.beat();
      expect(h.agent.status).toMatchObject({ endpoint: B, failures: 0 });
      expect(h.sent.map((s) => s.endpoint)).toEqual([A, B]);
      expect(h.codes()).toEqual([
        failure.kind === 'failed' && failure.reason === 'dns' ? 'HBW2005' : 'HBW2006',
        'HBW2015',
        'HBW2001',
      ]);
      expect(h.events[0]!.msg).toContain(`(failing over to ${B} at once)`);
      expect(h.events[1]!.msg).toBe(
        `failed over from ${A} to ${B} at once: the connection failed (${(failure as { code: string }).code}); the primary ${A} is tried again every 60 s`,
      );
    },
  );

  it('keeps the failures-in-a-row rule for timeouts and 5xx answers', async () => {
    const h = harness();
    h.set(B, ok());
    h.set(A, silent());
    await h.beat();
    h.set(A, serverError());
    await h.beat();
    expect(h.agent.status).toMatchObject({ endpoint: A, failures: 2 });
    await h.beat();
    expect(h.agent.status).toMatchObject({ endpoint: B, failures: 0 });
    expect(h.sent.map((s) => s.endpoint)).toEqual([A, A, A, B]);
  });

  it('counts connection failures on the last endpoint, as there is none to move on to', async () => {
    const h = harness({ endpoints: [A] });
    h.set(A, down());
    await h.beat();
    await h.beat();
    expect(h.agent.status).toMatchObject({ endpoint: A, failures: 2, exhausted: false });
    expect(h.events[0]!.msg).toContain('(ECONNREFUSED): check that the watcher is running there');
  });

  it('with a dead primary at start, beats on the failover at once and still fails back', async () => {
    const h = harness({ failbackMs: 60_000 });
    h.set(A, down());
    h.set(B, ok());
    await h.beat();
    expect(h.agent.status.endpoint).toBe(B);
    await h.beat(); // 30 s
    await h.beat(); // 60 s: the primary is tried again, still down
    expect(h.agent.status.endpoint).toBe(B);
    h.set(A, ok());
    await h.beat(); // 90 s
    await h.beat(); // 120 s: the primary answers
    expect(h.agent.status.endpoint).toBe(A);
    expect(h.sent.map((s) => s.endpoint)).toEqual([A, B, B, A, B, B, A]);
    expect(h.codes()).toEqual(['HBW2006', 'HBW2015', 'HBW2001', 'HBW2017', 'HBW2019']);
  });

  it('counts only consecutive failures: a success in between starts the count again', async () => {
    const h = harness({ failuresBeforeFailover: 2 });
    h.set(A, silent());
    await h.beat();
    h.set(A, ok());
    await h.beat();
    h.set(A, serverError());
    await h.beat();
    expect(h.agent.status).toMatchObject({ endpoint: A, failures: 1 });
  });

  it('tries the primary every failback interval while on a failover, and returns when it answers (HBW2019)', async () => {
    const h = harness({ failbackMs: 60_000 });
    h.set(B, ok());
    for (let i = 0; i < 3; i++) await h.beat();
    expect(h.agent.status.endpoint).toBe(B);
    h.take();
    h.sent.length = 0;

    await h.beat(); // 30 s after the failover: not yet
    await h.beat(); // 60 s: the primary is tried, still down, then the failover
    expect(h.sent.map((s) => s.endpoint)).toEqual([B, A, B]);
    expect(h.take()).toEqual(['HBW2017']);

    h.set(A, ok());
    await h.beat(); // 90 s: not yet
    await h.beat(); // 120 s: the primary answers
    expect(h.agent.status.endpoint).toBe(A);
    expect(h.sent.map((s) => s.endpoint)).toEqual([B, A, B, B, A]);
    expect(h.events.map((e) => [e.code, e.msg])).toEqual([
      ['HBW2019', `resumed communication with the primary ${A} (was on ${B})`],
    ]);
    await h.beat();
    expect(h.sent.at(-1)!.endpoint).toBe(A);
    expect(h.take()).toEqual(['HBW2019']);
  });

  it('logs a failback that keeps failing once, not every failback interval (HBW2017)', async () => {
    const h = harness({ failbackMs: 30_000 });
    h.set(B, ok());
    for (let i = 0; i < 3; i++) await h.beat();
    h.take();
    for (let i = 0; i < 10; i++) await h.beat();
    expect(h.take()).toEqual(['HBW2017']);
  });

  it('moves on through several failovers in order', async () => {
    const h = harness({ endpoints: [A, B, C], failuresBeforeFailover: 1 });
    h.set(C, ok());
    await h.beat();
    expect(h.agent.status.endpoint).toBe(C);
    expect(h.sent.map((s) => s.endpoint)).toEqual([A, B, C]);
    expect(h.codes()).toEqual(['HBW2006', 'HBW2015', 'HBW2006', 'HBW2015', 'HBW2001']);
  });

  it('with no failover left says communication resumes when one answers (HBW2016), then tries them all each beat', async () => {
    const h = harness({ failuresBeforeFailover: 2 });
    for (let i = 0; i < 4; i++) await h.beat();
    expect(h.codes()).toEqual(['HBW2006', 'HBW2015', 'HBW2006', 'HBW2016']);
    expect(h.events.at(-1)!.msg).toBe(
      `could not set up communication with ${A}, ${B} and there is no failover endpoint left; communication will resume when one of them answers`,
    );
    expect(h.agent.status).toMatchObject({ exhausted: true, endpoint: A });
    h.take();
    h.sent.length = 0;

    await h.beat();
    expect(h.sent.map((s) => s.endpoint)).toEqual([A, B]);
    expect(h.take()).toEqual([]);

    h.set(B, ok());
    await h.beat();
    expect(h.agent.status).toMatchObject({ exhausted: false, endpoint: B });
    expect(h.take()).toEqual(['HBW2001']);
  });

  it('with one endpoint only says there is no failover endpoint, and resumes with it', async () => {
    const h = harness({ endpoints: [A] });
    for (let i = 0; i < 3; i++) await h.beat();
    expect(h.codes()).toEqual(['HBW2006', 'HBW2016']);
    expect(h.events[1]!.msg).toBe(
      `could not set up communication with ${A} and there is no failover endpoint; communication will resume when it answers`,
    );
    h.set(A, ok());
    await h.beat();
    expect(h.codes()).toEqual(['HBW2006', 'HBW2016', 'HBW2001']);
  });

  it('names the problem: DNS (HBW2005), TLS (HBW2072), a timeout and an HTTP error (HBW2074)', async () => {
    const h = harness({ endpoints: [A], failuresBeforeFailover: 10 });
    h.set(A, { kind: 'failed', reason: 'dns', code: 'ENOTFOUND', detail: 'getaddrinfo ENOTFOUND' });
    await h.beat();
    h.set(A, { kind: 'failed', reason: 'tls', code: 'CERT_HAS_EXPIRED', detail: 'certificate has expired' });
    await h.beat();
    h.set(A, { kind: 'failed', reason: 'timeout', code: 'ETIMEDOUT', detail: 'no answer within 10 s' });
    await h.beat();
    h.set(A, {
      kind: 'failed',
      reason: 'http',
      code: 'internal',
      status: 500,
      detail: 'answered 500 (boom)',
    });
    await h.beat();
    expect(h.events.map((e) => [e.code, e.msg])).toEqual([
      [
        'HBW2005',
        `could not resolve the name a.example.com of ${A} (ENOTFOUND): check the name in the endpoint URL and that DNS works on this host`,
      ],
      [
        'HBW2072',
        'the certificate of a.example.com was not accepted (CERT_HAS_EXPIRED): renew or reissue it for a.example.com, or trust its CA with --ca-file (hbw agent doctor shows why)',
      ],
      [
        'HBW2006',
        `${A} did not answer (no answer within 10 s): check the network path to a.example.com:443 and that the watcher is not overloaded`,
      ],
      [
        'HBW2074',
        `connected to ${A}, but it answered 500 (boom): check the endpoint URL and the watcher's logs`,
      ],
    ]);
  });

  it('logs a problem that lasts again only every 10 minutes, with the count it held back', async () => {
    const h = harness({ endpoints: [A], failuresBeforeFailover: 1000, repeatMs: 600_000 });
    for (let i = 0; i < 25; i++) await h.beat();
    expect(h.codes()).toEqual(['HBW2006', 'HBW2006']);
    expect(h.events[1]!.fields).toMatchObject({ held: 19 });
  });
});

describe('HeartbeatAgent: an endpoint that answers but refuses', () => {
  it('keeps a pending agent beating and says what an operator must run (HBW2070)', async () => {
    const h = harness();
    h.set(A, ok('pending'));
    for (let i = 0; i < 5; i++) await h.beat();
    expect(h.agent.status).toMatchObject({ endpoint: A, failures: 0, seq: 5 });
    expect(h.codes()).toEqual(['HBW2070']);
    expect(h.events[0]!.msg).toBe(
      `connected to ${A}, but agent web-01 is not approved yet (pending): its heartbeats are recorded and it is not monitored until an operator runs: hbw agents approve web-01`,
    );
    h.advance(10 * 60_000);
    await h.beat();
    expect(h.codes()).toEqual(['HBW2070', 'HBW2070']);
    h.set(A, ok());
    await h.beat();
    expect(h.codes()).toEqual(['HBW2070', 'HBW2070', 'HBW2001']);
  });

  it('logs a refused token (HBW2071) and a rejected agent (HBW2073) from the primary, and does not fail over for them', async () => {
    const h = harness({ failuresBeforeFailover: 1 });
    h.set(A, { kind: 'refused', status: 401 });
    await h.beat();
    await h.beat();
    h.set(A, { kind: 'refused', status: 403 });
    await h.beat();
    expect(h.agent.status).toMatchObject({ endpoint: A, failures: 0 });
    expect(h.sent.every((s) => s.endpoint === A)).toBe(true);
    expect(h.events.map((e) => [e.code, e.msg])).toEqual([
      [
        'HBW2071',
        `connected to ${A}, but the watcher refused the token of agent web-01 (401): an operator runs "hbw agents rotate-token web-01" and puts the new token in the token file /etc/hbw/token; the agent keeps trying`,
      ],
      [
        'HBW2073',
        `connected to ${A}, but agent web-01 was rejected by an operator (403): "hbw agents approve web-01" readmits it; the agent keeps trying`,
      ],
    ]);
  });

  it.each([401, 403] as const)(
    'moves on from a failover that answers %i: it is not the watcher that issued the token (HBW2018)',
    async (status) => {
      const h = harness({ endpoints: [A, B, C] });
      h.set(A, down());
      h.set(B, { kind: 'refused', status });
      h.set(C, ok());
      await h.beat();
      expect(h.agent.status).toMatchObject({ endpoint: C, failures: 0 });
      expect(h.sent.map((s) => s.endpoint)).toEqual([A, B, C]);
      expect(h.codes()).toEqual(['HBW2006', 'HBW2015', 'HBW2018', 'HBW2015', 'HBW2001']);
      expect(h.events[2]!.msg).toBe(
        `connected to ${B}, but it refused ${status === 401 ? 'the token of agent web-01' : 'agent web-01'} (${status}): it is not the watcher that issued the token (the primary ${A}); moving on to ${C}`,
      );
      expect(h.events[3]!.msg).toBe(
        `failed over from ${B} to ${C} at once: it refused the agent (${status}); the primary ${A} is tried again every 60 s`,
      );
    },
  );

  it('keeps failing back to the primary while past a refusing failover', async () => {
    const h = harness({ endpoints: [A, B, C], failbackMs: 60_000 });
    h.set(A, down());
    h.set(B, { kind: 'refused', status: 401 });
    h.set(C, ok());
    await h.beat();
    await h.beat(); // 30 s
    h.set(A, ok());
    await h.beat(); // 60 s: back on the primary
    expect(h.agent.status.endpoint).toBe(A);
    expect(h.sent.map((s) => s.endpoint)).toEqual([A, B, C, C, A]);
    expect(h.codes().at(-1)).toBe('HBW2019');
  });

  it('passes over a refusing failover when no endpoint is left, and stays with the primary that refuses', async () => {
    const h = harness({ failuresBeforeFailover: 1 });
    h.set(B, { kind: 'refused', status: 401 });
    await h.beat(); // A times out: B at once, which refuses: none left
    expect(h.agent.status).toMatchObject({ exhausted: true });
    expect(h.codes()).toEqual(['HBW2006', 'HBW2015', 'HBW2018', 'HBW2016']);
    h.sent.length = 0;
    await h.beat();
    expect(h.sent.map((s) => s.endpoint)).toEqual([A, B]);
    expect(h.agent.status).toMatchObject({ exhausted: true });
    h.set(A, { kind: 'refused', status: 401 });
    await h.beat();
    expect(h.agent.status).toMatchObject({ exhausted: false, endpoint: A });
    expect(h.codes().at(-1)).toBe('HBW2071');
  });

  it('answers at once, logging nothing, when stopped during a heartbeat', async () => {
    const controller = new AbortController();
    const h = harness({
      send: async (_endpoint, _body, signal) => {
        controller.abort('SIGTERM');
        throw signal?.reason;
      },
    });
    expect(await h.agent.beat(T0, controller.signal)).toBe(0);
    expect(h.events).toEqual([]);
  });
});
