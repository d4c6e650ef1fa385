import { rmSync } from 'node:fs';
import type { LogEvent } from '../../cli/agent/events';
import type { Relay } from '../../cli/agent/relay';
import { runAgent } from '../../cli/agent/run-agent';
import { parseConfig } from '../../lambda/domain/config';
import { buildCli, freePort, removeBuiltCli, spawnHbw, tempDir, waitFor } from '../support/agent-helpers';
import {
  bearer,
  startCheckedRelay,
  startCheckedWatcher,
  startTestWatcher,
  TEST_CONFIG,
  type TestWatcher,
} from '../support/watcher';

type Answer = { status: number; body: Record<string, unknown> };

/** A heartbeat to a relay, and its answer (held to what the contract says a relay answers, as every answer of a relay the tests start). */
async function post(url: string, body: unknown, token?: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${url}/v1/heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? bearer(token) : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Log lines of a relay, as events, with the text each would print. */
function recorder() {
  const events: LogEvent[] = [];
  return {
    events,
    log: (event: LogEvent) => events.push(event),
    codes: () => events.map((e) => e.code),
    text: () => JSON.stringify(events),
  };
}

/** The reference agent (its own defaults: a 30 s interval until told) beating through `relayUrl`. */
function runAgentThrough(relayUrl: string, agentId: string, token: string) {
  const lines: string[] = [];
  const controller = new AbortController();
  const running = runAgent(
    {
      agentId,
      endpoints: [relayUrl],
      failuresBeforeFailover: 3,
      failbackSeconds: 60,
      intervalSeconds: 30,
      timeoutSeconds: 10,
      logFormat: 'text',
      token: { from: 'env' },
    },
    { env: { HBW_AGENT_TOKEN: token }, write: (l) => lines.push(l), signal: controller.signal },
  );
  return { lines, stop: () => controller.abort('SIGTERM'), running };
}

describe('hbw agent relay: many agents, few requests', () => {
  let w: TestWatcher;
  let relay: Relay | undefined;
  const tokens = new Map<string, string>();
  beforeAll(async () => {
    w = await startTestWatcher();
    for (let i = 0; i < 300; i++) {
      const agentId = `edge-${String(i).padStart(3, '0')}`;
      tokens.set(agentId, (await w.service.addAgent({ agentId, group: 'production' })).token!);
    }
  });
  afterEach(async () => {
    await relay?.close({ flushMs: 1000 });
    relay = undefined;
    jest.restoreAllMocks();
  });
  afterAll(() => w.close());

  it('forwards 300 agents in at most 4 batch requests, each agent with its own token, and answers each at once', async () => {
    const batches = jest.spyOn(w.service, 'heartbeats');
    const singles = jest.spyOn(w.service, 'heartbeat');
    const log = recorder();
    // A flush window long enough for 300 posts even on a loaded machine: batches fill to 100.
    relay = await startCheckedRelay({ port: 0, endpoint: w.url, log: log.log, flushMs: 5000 });
    const sentAt = new Date(w.clock.now()).toISOString();

    const answers = await Promise.all(
      [...tokens].map(([agentId, token], i) =>
        post(
          relay!.url,
          { agentId, sentAt, seq: 7, bootId: `boot-${i}`, endpoint: relay!.url, version: '1.0.0' },
          token,
        ),
      ),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    // Batches that wait as long as a held answer may: the answers do not wait for the watcher's, and
    // tell the one interval that cannot be longer than the watcher's while it has said nothing.
    expect(answers[0]!.body).toEqual({
      agentId: 'edge-000',
      state: 'relayed',
      heartbeatIntervalSeconds: 1,
      serverTime: expect.any(String),
    });

    await waitFor(
      async () => (await w.storedAgents()).every((a) => a.lastHeartbeatAt !== undefined),
      'all 300 recorded',
      30_000,
    );
    const stored = await w.storedAgents();
    expect(stored).toHaveLength(300);
    expect(stored.every((a) => a.seq === 7 && a.endpoint === relay!.url && a.version === '1.0.0')).toBe(true);
    expect(stored.find((a) => a.agentId === 'edge-042')?.bootId).toBe('boot-42');
    expect(singles).not.toHaveBeenCalled();
    const sizes = batches.mock.calls.map(([body]) => (body as { heartbeats: unknown[] }).heartbeats.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(300);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(sizes.length).toBeLessThanOrEqual(Math.ceil(300 / 100) + 1);
    expect(relay.stats).toMatchObject({ received: 300, accepted: 300, refused: 0, dropped: 0, queued: 0 });
    expect(log.codes()).toEqual(['HBW3000', 'HBW3001']);

    // The next heartbeat is answered with what the watcher said of the agent last time.
    const again = await post(relay.url, { agentId: 'edge-001' }, tokens.get('edge-001'));
    expect(again).toMatchObject({
      status: 200,
      body: { agentId: 'edge-001', state: 'healthy', heartbeatIntervalSeconds: 30 },
    });
  }, 60_000);

  it('logs the items the watcher refuses, without tokens, and answers those agents as the watcher would', async () => {
    const log = recorder();
    relay = await startCheckedRelay({ port: 0, endpoint: w.url, log: log.log, flushMs: 20 });
    const key = (await w.call('POST', '/v1/groups/test/enrollment-key')).body.key as string;
    const pendingToken = (
      await w.call('POST', '/v1/register', { agentId: 'lab-07', group: 'test' }, bearer(key))
    ).body.token as string;
    await w.call('POST', '/v1/agents/edge-002/reject');
    const wrongToken = 'hbw_this-is-not-the-token-of-edge-003';

    // First heartbeats: the answers wait for the watcher's word on them.
    const first = await Promise.all([
      post(relay.url, { agentId: 'edge-003' }, wrongToken),
      post(relay.url, { agentId: 'lab-07' }, pendingToken),
      post(relay.url, { agentId: 'edge-002' }, tokens.get('edge-002')),
      post(relay.url, { agentId: 'nobody' }, 'hbw_nobody'),
    ]);
    expect(first.map((a) => [a.status, a.body.state ?? (a.body.error as { code: string }).code])).toEqual([
      [401, 'unauthorized'],
      [202, 'pending'],
      [403, 'forbidden'],
      [401, 'unauthorized'],
    ]);
    await waitFor(() => log.codes().filter((c) => /HBW307[013]/.test(c)).length === 3, 'the per-item lines');
    const lines = log.events.filter((e) => /HBW307[013]/.test(e.code)).map((e) => [e.code, e.msg]);
    expect(lines).toEqual(
      expect.arrayContaining([
        [
          'HBW3070',
          'agent lab-07 is not approved yet (pending): an operator must run: hbw agents approve lab-07',
        ],
        ['HBW3073', 'agent edge-002 was rejected by an operator: "hbw agents approve edge-002" readmits it'],
        // One line for both refusals, and no rotate-token hint: this relay never saw either id accepted.
        [
          'HBW3071',
          expect.stringMatching(
            /^the watcher refused a heartbeat for agent id (edge-003|nobody) \(unknown agent or wrong token\)/,
          ),
        ],
      ]),
    );
    for (const token of [wrongToken, pendingToken, tokens.get('edge-002')!, 'hbw_nobody']) {
      expect(log.text()).not.toContain(token);
    }

    const second = await Promise.all([
      post(relay.url, { agentId: 'edge-003' }, wrongToken),
      post(relay.url, { agentId: 'lab-07' }, pendingToken),
      post(relay.url, { agentId: 'edge-002' }, tokens.get('edge-002')),
      post(relay.url, { agentId: 'edge-003' }, tokens.get('edge-003')),
    ]);
    expect(second.map((a) => [a.status, a.body.state ?? (a.body.error as { code: string }).code])).toEqual([
      [401, 'unauthorized'],
      [202, 'pending'],
      [403, 'forbidden'],
      [200, 'healthy'],
    ]);
    // A problem is logged when it starts, not again for every heartbeat; the refused token is not sent
    // again. lab-07's second heartbeat waits for its pace: half its group's 30 s scan interval.
    await waitFor(() => relay!.stats.queued === 1 && relay!.stats.received === 7, 'the second batch');
    await new Promise((r) => setTimeout(r, 100));
    expect(relay.stats.turnedAway).toBe(1);
    expect(log.codes().filter((c) => /HBW307[013]/.test(c))).toHaveLength(3);
  });

  it('answers bad requests as the watcher does: 400 naming the field, 401, 413, 415, 404, 405', async () => {
    relay = await startCheckedRelay({ port: 0, endpoint: w.url, log: () => {} });
    const bad = await post(relay.url, { agentId: 'bad id' }, 'hbw_x');
    expect(bad).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request', field: 'agentId' } },
    });
    expect((await post(relay.url, '{not json', 'hbw_x')).status).toBe(400);
    const noToken = await post(relay.url, { agentId: 'edge-001' });
    expect(noToken).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect((await post(relay.url, { agentId: 'edge-001', version: 'x'.repeat(9000) }, 'hbw_x')).status).toBe(
      413,
    );
    const xml = await post(relay.url, '<x/>', 'hbw_x', { headers: { 'content-type': 'application/xml' } });
    expect(xml.status).toBe(415);
    expect((await fetch(`${relay.url}/v1/status`)).status).toBe(404);
    const get = await fetch(`${relay.url}/v1/heartbeat`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(relay.stats.received).toBe(0);
  });

  it('lets the reference agent beat through it', async () => {
    relay = await startCheckedRelay({ port: 0, endpoint: w.url, log: () => {}, flushMs: 20 });
    const agent = runAgentThrough(relay.url, 'edge-100', tokens.get('edge-100')!);
    await waitFor(
      async () => (await w.storedAgents()).find((a) => a.agentId === 'edge-100')?.endpoint === relay!.url,
      'the heartbeat through the relay',
    );
    // The watcher's answer reaches the agent through the relay a moment after the watcher stored it.
    await waitFor(() => agent.lines.some((l) => l.includes('HBW2001')), 'the agent to hear it was accepted');
    agent.stop();
    expect(await agent.running).toBe(0);
    expect(agent.lines[1]).toContain(
      `HBW2001 connected to ${relay.url}: heartbeats accepted (state healthy), one every 30 s`,
    );
  });
});

describe('hbw agent relay when the watcher is away', () => {
  const config = parseConfig(TEST_CONFIG);
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps a bounded queue, drops the oldest with a log line, and retries until the watcher answers', async () => {
    const dataDir = tempDir('hbw-relay-watcher-');
    dirs.push(dataDir);
    // Agents known to a watcher that is then stopped; it comes back on the port the relay points at.
    const before = await startCheckedWatcher({ config, port: 0, dataDir, scanning: false, print: () => {} });
    const tokens: string[] = [];
    for (let i = 0; i < 8; i++)
      tokens.push((await before.service.addAgent({ agentId: `q-${i}`, group: 'test' })).token!);
    await before.close();
    const port = await freePort();
    const log = recorder();
    const relay = await startCheckedRelay({
      port: 0,
      endpoint: `http://127.0.0.1:${port}`,
      log: log.log,
      queueLimit: 5,
      flushMs: 20,
    });
    let watcher: Awaited<ReturnType<typeof startCheckedWatcher>> | undefined;
    try {
      for (let i = 0; i < 8; i++) {
        expect((await post(relay.url, { agentId: `q-${i}`, seq: i }, tokens[i])).status).toBe(202);
      }
      await waitFor(() => log.codes().includes('HBW3006'), 'the cannot-connect line');
      expect(relay.stats).toMatchObject({ received: 8, dropped: 3, queued: 5 });
      const dropped = log.events.find((e) => e.code === 'HBW3020')!;
      expect(dropped.msg).toMatch(
        /^the queue is full \(5 heartbeats\) while the watcher cannot take them: dropped the oldest/,
      );
      expect(log.events.find((e) => e.code === 'HBW3006')!.msg).toContain(
        `cannot connect to the watcher at 127.0.0.1:${port} (ECONNREFUSED)`,
      );

      watcher = await startCheckedWatcher({ config, port, dataDir, scanning: false, print: () => {} });
      await waitFor(() => relay.stats.accepted === 5, 'the retried batch', 12_000);
      const seen = new Map(
        (await watcher.service.listAgents({})).agents.map((a) => [a.agentId, a.lastHeartbeatAt]),
      );
      expect(
        [...seen.entries()]
          .filter(([, at]) => at !== undefined)
          .map(([id]) => id)
          .sort(),
      ).toEqual(['q-3', 'q-4', 'q-5', 'q-6', 'q-7']);
      expect(log.codes().at(-1)).toBe('HBW3001');
      for (const token of tokens) expect(log.text()).not.toContain(token);
    } finally {
      await relay.close({ flushMs: 100 });
      await watcher?.close();
    }
  }, 20_000);
});

describe('hbw agent relay as a process', () => {
  it('logs one JSON object a line with --json, and refuses it beside --log-format text', async () => {
    const script = await buildCli();
    const env = { HBW_ENDPOINT: 'http://127.0.0.1:9' };
    const p = spawnHbw(script, ['agent', 'relay', '--listen', '127.0.0.1:0', '--json'], env);
    await waitFor(() => p.stdout().includes('"HBW3000"'), 'the relay to listen');

    p.child.kill('SIGTERM');

    expect(await p.exited).toBe(0);
    const codes = p
      .stdout()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).code);
    expect(codes).toEqual(['HBW3000', 'HBW3090']);
    const both = spawnHbw(script, ['agent', 'relay', '--json', '--log-format', 'text'], env);
    expect(await both.exited).toBe(2);
    expect(both.stderr()).toContain('--json');
  });

  it('forwards what is queued when stopped with SIGTERM, and exits 0', async () => {
    const [w, script] = await Promise.all([startTestWatcher(), buildCli()]);
    try {
      const token = await w.addAgent('edge-01');
      const p = spawnHbw(
        script,
        ['agent', 'relay', '--listen', '127.0.0.1:0', '--flush-ms', '60000', '--log-format', 'json'],
        {
          HBW_ENDPOINT: w.url,
        },
      );
      const listening = await waitFor(
        () =>
          p
            .stdout()
            .split('\n')
            .find((l) => l.includes('"HBW3000"')),
        'the relay to listen',
      );
      const url = JSON.parse(listening).listen as string;
      expect((await post(url, { agentId: 'edge-01', seq: 1 }, token)).status).toBe(202);
      expect((await w.storedAgents())[0]!.lastHeartbeatAt).toBeUndefined();
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      // Dated as the relay took it: earlier by the time it waited there (heldMs).
      const [stored] = await w.storedAgents();
      expect(stored).toMatchObject({ seq: 1 });
      expect(stored!.lastHeartbeatAt).toBeLessThanOrEqual(w.clock.now());
      expect(stored!.lastHeartbeatAt).toBeGreaterThan(w.clock.now() - 15_000);
      expect(p.stdout()).toContain('"code":"HBW3090"');
      expect(p.stdout()).not.toContain(token);
    } finally {
      await w.close();
      await removeBuiltCli();
    }
  });
});

/** Holds the watcher's batch answers until `open()`; records which seqs of `agentId` were in flight. */
function gateBatches(w: TestWatcher, agentId: string) {
  const original = w.service.heartbeats.bind(w.service);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const seqs: number[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const spy = jest.spyOn(w.service, 'heartbeats').mockImplementation(async (body) => {
    const mine = (body as { heartbeats: { agentId: string; seq?: number }[] }).heartbeats.filter(
      (h) => h.agentId === agentId,
    );
    seqs.push(...mine.map((h) => h.seq ?? 0));
    inFlight += mine.length;
    mostInFlight = Math.max(mostInFlight, inFlight);
    await gate;
    try {
      return await original(body);
    } finally {
      inFlight -= mine.length;
    }
  });
  return { open, seqs, spy, mostInFlight: () => mostInFlight };
}

describe('hbw agent relay: the interval it tells agents', () => {
  // The trial's reproduction: a watcher with a 1 s heartbeat, a relay told 7 s.
  let w: TestWatcher;
  let relay: Relay | undefined;
  beforeAll(async () => {
    w = await startTestWatcher({ config: { ...TEST_CONFIG, heartbeatIntervalSeconds: 1 } });
  });
  afterEach(async () => {
    await relay?.close({ flushMs: 1000 });
    relay = undefined;
    jest.restoreAllMocks();
  });
  afterAll(() => w.close());

  it("answers an agent's first heartbeat with the watcher's own interval for that agent", async () => {
    const fast = await w.addAgent('fast-01');
    const slow = await w.addAgent('lab-01', 'lab');
    relay = await startCheckedRelay({ port: 0, endpoint: w.url, log: () => {}, flushMs: 20 });

    const [first, lab] = await Promise.all([
      post(relay.url, { agentId: 'fast-01', seq: 1 }, fast),
      post(relay.url, { agentId: 'lab-01', seq: 1 }, slow),
    ]);

    expect(first).toMatchObject({ status: 200, body: { state: 'healthy', heartbeatIntervalSeconds: 1 } });
    expect(lab).toMatchObject({ status: 200, body: { state: 'healthy', heartbeatIntervalSeconds: 10 } });
  });

  it("lets --interval-seconds shorten the watcher's interval, never lengthen it", async () => {
    const fast = await w.addAgent('fast-05');
    const slow = await w.addAgent('lab-05', 'lab');
    relay = await startCheckedRelay({
      port: 0,
      endpoint: w.url,
      log: () => {},
      flushMs: 20,
      intervalSeconds: 7,
    });

    const [first, lab] = await Promise.all([
      post(relay.url, { agentId: 'fast-05' }, fast),
      post(relay.url, { agentId: 'lab-05' }, slow),
    ]);

    expect(first.body.heartbeatIntervalSeconds).toBe(1);
    expect(lab.body.heartbeatIntervalSeconds).toBe(7);
  });

  it('keeps a reference agent behind a relay told 7 s at the watcher’s 1 s from its first heartbeat', async () => {
    const token = await w.addAgent('fast-02');
    relay = await startCheckedRelay({
      port: 0,
      endpoint: w.url,
      log: () => {},
      flushMs: 20,
      intervalSeconds: 7,
    });
    const agent = runAgentThrough(relay.url, 'fast-02', token);
    try {
      // Three heartbeats before one 7 s wait could have passed: the agent never waited 7 s. (The
      // relay forwards one of them per half scan interval: it counts what it took.)
      await waitFor(() => relay!.stats.received >= 3, 'three heartbeats taken', 6000);
    } finally {
      agent.stop();
    }
    expect(await agent.running).toBe(0);
    expect(agent.lines[1]).toContain('HBW2001');
    expect(agent.lines[1]).toContain('one every 1 s');
    expect(agent.lines.join('\n')).not.toContain('7 s');
  });

  it('answers 1 s to an agent whose first answer cannot wait for the watcher, not the interval of other agents', async () => {
    const known = await w.addAgent('lab-02', 'lab');
    const fresh = await w.addAgent('fast-03');
    relay = await startCheckedRelay({ port: 0, endpoint: w.url, log: () => {}, flushMs: 20, holdMs: 200 });
    expect((await post(relay.url, { agentId: 'lab-02' }, known)).body.heartbeatIntervalSeconds).toBe(10);
    const gate = gateBatches(w, 'fast-03');

    const answer = await post(relay.url, { agentId: 'fast-03' }, fresh);

    expect(answer).toMatchObject({ status: 202, body: { state: 'relayed', heartbeatIntervalSeconds: 1 } });
    gate.open();
  });

  it('with no word from the watcher at all, answers 1 s, whatever its --interval-seconds', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    relay = await startCheckedRelay({
      port: 0,
      endpoint: dead,
      log: () => {},
      flushMs: 20,
      intervalSeconds: 7,
    });

    const told = await post(relay.url, { agentId: 'fast-04' }, 'hbw_x');

    expect(told).toMatchObject({ status: 202, body: { state: 'relayed', heartbeatIntervalSeconds: 1 } });
  });
});

describe('hbw agent relay: one agent, one heartbeat in flight', () => {
  let w: TestWatcher;
  let relay: Relay | undefined;
  let now = Date.now;
  beforeAll(async () => {
    // 1 s scans: the relay paces an agent to one heartbeat per half scan interval, which these
    // tests, about what is in flight, must not wait out (with 30 s scans, a heartbeat queued behind
    // one in flight waited 15 s when the watcher's answer was read before the queue moved on).
    w = await startTestWatcher({
      config: { ...TEST_CONFIG, heartbeatIntervalSeconds: 1, scanIntervalSeconds: 1 },
    });
  });
  afterEach(async () => {
    await relay?.close({ flushMs: 1000 });
    relay = undefined;
    jest.restoreAllMocks();
    now = Date.now;
  });
  afterAll(() => w.close());

  it('never has two heartbeats of one agent in flight, and sends only the newest one queued behind it, standing for those it replaced', async () => {
    const token = await w.addAgent('order-01');
    relay = await startCheckedRelay({ port: 0, endpoint: w.url, log: () => {}, flushMs: 10, concurrency: 2 });
    const gate = gateBatches(w, 'order-01');
    const beat = (seq: number) => post(relay!.url, { agentId: 'order-01', seq, bootId: 'boot-1' }, token);

    const answers = [beat(1)];
    await waitFor(() => gate.seqs.length === 1, 'the first batch in flight');
    for (const seq of [2, 3, 4]) answers.push(beat(seq));
    await waitFor(() => relay!.stats.received === 4, 'the three heartbeats behind it');
    await new Promise((r) => setTimeout(r, 100)); // room for a second batch to leave, if it would
    gate.open();
    await Promise.all(answers);
    const settled = () => relay!.stats.accepted + (relay!.stats.superseded ?? 0) === 4;
    await waitFor(() => relay!.stats.queued === 0 && settled(), 'every heartbeat sent or replaced');

    expect(gate.seqs).toEqual([1, 4]);
    expect(gate.mostInFlight()).toBe(1);
    expect(relay.stats).toMatchObject({ received: 4, superseded: 2, accepted: 2 });
    expect((await w.storedAgents()).find((a) => a.agentId === 'order-01')?.seq).toBe(4);
    // Seq 4 came with `coalesced: 3`: the heartbeats it replaced reached the relay, so none is lost.
    expect(await w.service.getAgent('order-01')).toMatchObject({ lostHeartbeats: 0 });
  });

  it('does not send a failed batch again for an agent that has sent a newer heartbeat since', async () => {
    const token = await w.addAgent('order-02');
    // Seq 0 reaches the watcher first, so that a gap after it would count as lost.
    await w.service.heartbeat(token, { agentId: 'order-02', seq: 0, bootId: 'boot-1' });
    relay = await startCheckedRelay({ port: 0, endpoint: w.url, log: () => {}, flushMs: 10 });
    const original = w.service.heartbeats.bind(w.service);
    let fail!: () => void;
    const failing = new Promise<void>((resolve) => {
      fail = resolve;
    });
    const seqs: number[] = [];
    jest.spyOn(w.service, 'heartbeats').mockImplementation(async (body) => {
      const items = (body as { heartbeats: { seq: number }[] }).heartbeats;
      seqs.push(...items.map((h) => h.seq));
      if (seqs.length === 1) {
        await failing;
        throw new Error('the watcher is paused'); // answered 500: the relay keeps the batch for a retry
      }
      return original(body);
    });

    const beat = (seq: number) => post(relay!.url, { agentId: 'order-02', seq, bootId: 'boot-1' }, token);
    const answers = [beat(1)];
    await waitFor(() => seqs.length === 1, 'the first batch in flight');
    answers.push(beat(2));
    answers.push(beat(3));
    await waitFor(() => relay!.stats.received === 3, 'the newer heartbeats');
    fail();
    await Promise.all(answers);
    await waitFor(() => relay!.stats.accepted === 1, 'the retry', 5000);

    expect(seqs).toEqual([1, 3]);
    expect(relay.stats).toMatchObject({ superseded: 2, queued: 0 });
    expect((await w.storedAgents()).find((a) => a.agentId === 'order-02')?.seq).toBe(3);
    // The failed seq 1 and the replaced seq 2 count in seq 3's `coalesced`: none is lost.
    expect(await w.service.getAgent('order-02')).toMatchObject({ lostHeartbeats: 0 });
  });

  it('turns away an agent id and token the watcher refused, for --refuse-seconds, without queueing', async () => {
    let offset = 0;
    now = () => Date.now() + offset;
    const token = await w.addAgent('door-01');
    relay = await startCheckedRelay({
      port: 0,
      endpoint: w.url,
      log: () => {},
      flushMs: 10,
      refuseSeconds: 60,
      now: () => now(),
    });
    const batches = jest.spyOn(w.service, 'heartbeats');

    const first = await post(relay.url, { agentId: 'door-01' }, 'hbw_not-its-token');
    const again = await Promise.all(
      Array.from({ length: 20 }, () => post(relay!.url, { agentId: 'door-01' }, 'hbw_not-its-token')),
    );
    const real = await post(relay.url, { agentId: 'door-01' }, token);

    expect(first).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(again.every((a) => a.status === 401)).toBe(true);
    expect(real.status).toBe(200);
    expect(relay.stats).toMatchObject({ received: 2, turnedAway: 20 });
    expect(batches).toHaveBeenCalledTimes(2);

    offset = 61_000; // the period is over: the watcher is asked again
    expect((await post(relay.url, { agentId: 'door-01' }, 'hbw_not-its-token')).status).toBe(401);
    expect(relay.stats).toMatchObject({ received: 3, turnedAway: 20 });
  });

  it('logs refusals once per 10 minutes with a count, and gives the rotate-token hint only for ids it saw accepted', async () => {
    let offset = 0;
    now = () => Date.now() + offset;
    const token = await w.addAgent('hint-01');
    const log = recorder();
    relay = await startCheckedRelay({
      port: 0,
      endpoint: w.url,
      log: log.log,
      flushMs: 10,
      now: () => now(),
    });
    const refusals = () => log.events.filter((e) => e.code === 'HBW3071');

    await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(relay!.url, { agentId: `bogus-${i}` }, `hbw_bogus-${i}`)),
    );
    expect(refusals()).toHaveLength(1);
    expect(refusals()[0]!.msg).toMatch(
      /^the watcher refused a heartbeat for agent id bogus-\d+ \(unknown agent or wrong token\): not recorded; the relay answers that id and token 401 itself for 300 s$/,
    );
    expect(log.text()).not.toContain('rotate-token');

    expect((await post(relay.url, { agentId: 'hint-01' }, token)).status).toBe(200);
    offset = 10 * 60_000;
    expect((await post(relay.url, { agentId: 'hint-01' }, 'hbw_an-old-token')).status).toBe(401);
    expect(refusals()).toHaveLength(2);
    expect(refusals()[1]!.msg).toBe(
      'the watcher refused the token of agent hint-01 (unauthorized): its heartbeats are not recorded; an operator runs "hbw agents rotate-token hint-01" and the agent gets the new token; the relay answers that id and token 401 itself for 300 s (49 more refusals since the last such line)',
    );
    expect(refusals()[1]!.fields).toMatchObject({ agentId: 'hint-01', held: 49 });
  });
});

describe('hbw agent relay: one write per agent per half scan interval', () => {
  // A 1 s heartbeat against a 2 s scan: the watcher needs one heartbeat per second at most.
  let w: TestWatcher;
  let relay: Relay | undefined;
  beforeAll(async () => {
    w = await startTestWatcher({
      config: { ...TEST_CONFIG, groups: { production: { channels: ['sms'], scanIntervalSeconds: 2 } } },
    });
  });
  afterEach(async () => {
    await relay?.close({ flushMs: 1000 });
    relay = undefined;
    jest.restoreAllMocks();
  });
  afterAll(() => w.close());

  it('forwards the newest of the heartbeats an agent sends within half a scan interval, standing for them all, and a goodbye at once', async () => {
    const token = await w.addAgent('pace-01');
    // The relay's clock moves only when told: what waits for its pace stays waiting.
    let clock = Date.now();
    relay = await startCheckedRelay({
      port: 0,
      endpoint: w.url,
      log: () => {},
      flushMs: 0,
      now: () => clock,
    });
    const forwarded: Record<string, unknown>[] = [];
    const heartbeats = w.service.heartbeats.bind(w.service);
    jest.spyOn(w.service, 'heartbeats').mockImplementation(async (body) => {
      forwarded.push(...(body as { heartbeats: Record<string, unknown>[] }).heartbeats);
      return heartbeats(body);
    });
    const beat = (seq: number, more: object = {}) =>
      post(relay!.url, { agentId: 'pace-01', seq, bootId: 'boot-1', ...more }, token);

    expect((await beat(1)).body).toMatchObject({ state: 'healthy' });
    for (let seq = 2; seq <= 6; seq++) await beat(seq);
    await new Promise((r) => setTimeout(r, 300));
    expect(forwarded.map((h) => h.seq)).toEqual([1]);
    clock += 1000;
    await waitFor(() => forwarded.length === 2, 'the paced heartbeat', 3000);
    // The clock stays: only a heartbeat that is not paced can go now.
    await beat(7, { goodbye: { backInSeconds: 600, reason: 'kernel update' } });
    await waitFor(() => forwarded.length === 3, 'the goodbye', 3000);

    // Seq 6 waited its pace (1 s on the relay's clock): the watcher dates it that much earlier.
    expect(forwarded.map((h) => [h.seq, h.coalesced, h.heldMs])).toEqual([
      [1, undefined, undefined],
      [6, 5, 1000],
      [7, undefined, undefined],
    ]);
    expect(await w.service.getAgent('pace-01')).toMatchObject({ seq: 7, lostHeartbeats: 0, state: 'away' });
  });

  it('paces a heartbeat that came while the one before was in flight from when that one left', async () => {
    const token = await w.addAgent('pace-02');
    let clock = Date.now();
    relay = await startCheckedRelay({
      port: 0,
      endpoint: w.url,
      log: () => {},
      flushMs: 0,
      now: () => clock,
    });
    const beat = (seq: number) => post(relay!.url, { agentId: 'pace-02', seq, bootId: 'boot-1' }, token);
    // The pace is known once the watcher has answered one heartbeat.
    await beat(1);
    clock += 1000;

    // Seq 2 goes at once (its pace from seq 1 has passed), and the watcher is slow to answer it.
    const forwarded: unknown[] = [];
    let answerSeq2!: () => void;
    const slow = new Promise<void>((resolve) => {
      answerSeq2 = resolve;
    });
    const heartbeats = w.service.heartbeats.bind(w.service);
    jest.spyOn(w.service, 'heartbeats').mockImplementation(async (body) => {
      const items = (body as { heartbeats: { seq: number }[] }).heartbeats;
      forwarded.push(...items.map((h) => h.seq));
      if (items.some((h) => h.seq === 2)) await slow;
      return heartbeats(body);
    });
    await beat(2);
    await waitFor(() => forwarded.length === 1, 'seq 2 in flight', 3000);
    // Seq 3 comes while seq 2 is in flight, and the watcher answers seq 2 later on the relay's clock.
    await beat(3);
    clock += 200;
    answerSeq2();
    await new Promise((r) => setTimeout(r, 300));
    // Half the 2 s scan interval from when seq 2 left has not passed: seq 3 waits.
    expect(forwarded).toEqual([2]);
    clock += 800;
    await waitFor(() => forwarded.length === 2, 'seq 3, once its pace has passed', 3000);
    expect(forwarded).toEqual([2, 3]);
  });
});
