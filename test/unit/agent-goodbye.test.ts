import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bootStateFile, goodbyeInForce, readBootState } from '../../cli/agent/boot-state';
import { resolveAgentSettings } from '../../cli/agent/config';
import { HeartbeatAgent } from '../../cli/agent/failover';
import type { HeartbeatBody, HeartbeatReply, SendResult } from '../../cli/agent/heartbeat-sender';
import { runAgent, sayGoodbye } from '../../cli/agent/run-agent';
import { UsageError } from '../../cli/command';
import { goodbyeOf } from '../../cli/commands/agent-run';
import { tempDir, writeTokenFile } from '../support/agent-helpers';

const A = 'http://a.example.com';
const B = 'http://b.example.com';
const T0 = Date.parse('2026-12-01T21:00:00.000Z');

const ok = (state: HeartbeatReply['state'] = 'healthy', extra: Partial<HeartbeatReply> = {}): SendResult => ({
  kind: 'accepted',
  status: 200,
  answer: { state, heartbeatIntervalSeconds: 30, ...extra },
});
const down: SendResult = { kind: 'failed', reason: 'connect', code: 'ECONNREFUSED', detail: 'refused' };

function agentWith(answers: Map<string, SendResult>, sent: { endpoint: string; body: HeartbeatBody }[]) {
  return new HeartbeatAgent({
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
      return answers.get(endpoint) ?? down;
    },
    log: () => {},
  });
}

describe('goodbyeOf (--back-in, --goodbye-on-stop)', () => {
  it('reads a duration as whole seconds, with the reason', () => {
    expect(goodbyeOf('back-in', '10m', 'kernel update')).toEqual({
      backInSeconds: 600,
      reason: 'kernel update',
    });
    expect(goodbyeOf('back-in', '1h30m', undefined)).toEqual({ backInSeconds: 5400 });
    expect(goodbyeOf('back-in', '7d', undefined)).toEqual({ backInSeconds: 604_800 });
  });

  it.each([['0s'], ['8d'], ['10'], ['-5m'], ['1.5h'], [undefined]])('refuses %p, naming the flag', (text) => {
    expect(() => goodbyeOf('back-in', text, undefined)).toThrow(UsageError);
    expect(() => goodbyeOf('back-in', text, undefined)).toThrow(
      /^--back-in must be a duration from 1s to 7d/,
    );
  });

  it('refuses a reason over 200 characters', () => {
    expect(() => goodbyeOf('back-in', '5m', 'x'.repeat(201))).toThrow(/^--reason must be at most 200/);
  });
});

describe('HeartbeatAgent.goodbye', () => {
  it('sends a heartbeat of the same boot with the next seq, carrying the goodbye', async () => {
    const answers = new Map([[A, ok()]]);
    const sent: { endpoint: string; body: HeartbeatBody }[] = [];
    const agent = agentWith(answers, sent);
    await agent.beat(T0);
    answers.set(A, ok('away'));

    const result = await agent.goodbye(T0 + 1000, { backInSeconds: 300, reason: 'kernel update' });

    expect(result).toMatchObject({ kind: 'accepted', answer: { state: 'away' } });
    expect(sent.map((s) => [s.body.bootId, s.body.seq, s.body.goodbye])).toEqual([
      ['boot-1', 1, undefined],
      ['boot-1', 2, { backInSeconds: 300, reason: 'kernel update' }],
    ]);
  });

  it('tries the failover when the endpoint in use does not answer', async () => {
    const sent: { endpoint: string; body: HeartbeatBody }[] = [];
    const agent = agentWith(new Map([[B, ok('away')]]), sent);

    const result = await agent.goodbye(T0, { backInSeconds: 60 });

    expect(result?.kind).toBe('accepted');
    expect(sent.map((s) => [s.endpoint, s.body.seq])).toEqual([
      [A, 1],
      [B, 2],
    ]);
  });
});

describe('the state file shared by agent run and agent goodbye', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('hbw-goodbye-');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes over a higher seq of its boot and keeps sending the goodbye in force until then', async () => {
    const file = bootStateFile(join(dir, 'state.json'));
    const sent: HeartbeatBody[] = [];
    const agent = new HeartbeatAgent({
      agentId: 'web-01',
      endpoints: [A],
      failuresBeforeFailover: 3,
      failbackMs: 60_000,
      bootId: 'boot-1',
      version: '1.2.3',
      intervalSeconds: 30,
      tokenSource: 'HBW_AGENT_TOKEN',
      send: async (_endpoint, body) => {
        sent.push(body);
        return ok();
      },
      log: () => {},
      state: file,
    });
    await agent.beat(T0);
    // What `hbw agent goodbye` leaves after its heartbeat: the next seq, away for 10 minutes.
    file.write({
      bootId: 'boot-1',
      seq: 2,
      awayUntil: new Date(T0 + 600_000).toISOString(),
      reason: 'kernel',
    });

    await agent.beat(T0 + 30_000);
    await agent.beat(T0 + 630_000);

    expect(sent.map((b) => [b.seq, b.goodbye])).toEqual([
      [1, undefined],
      [3, { backInSeconds: 570, reason: 'kernel' }],
      [4, undefined],
    ]);
    expect(readBootState(join(dir, 'state.json'))).toEqual({ bootId: 'boot-1', seq: 4 });
  });

  it('ignores the state of another boot', () => {
    const state = { bootId: 'boot-0', seq: 9, awayUntil: new Date(T0 + 60_000).toISOString() };
    expect(goodbyeInForce(state, 'boot-1', T0)).toBeUndefined();
    expect(goodbyeInForce(state, 'boot-0', T0)).toEqual({ backInSeconds: 60 });
  });

  it('sayGoodbye sends in the boot of the state file, with its next seq, and tries again past a duplicate', async () => {
    const path = join(dir, 'state.json');
    bootStateFile(path).write({ bootId: 'boot-7', seq: 41 });
    const settings = resolveAgentSettings(
      { id: 'web-01', endpoint: A, 'token-file': writeTokenFile(dir, 'hbwt_test'), 'state-file': path },
      {},
      { requireIdentity: true },
    );
    const sent: HeartbeatBody[] = [];
    const answers = [ok('healthy', { duplicate: true }), ok('away')];

    const { result, event } = await sayGoodbye(
      settings,
      { backInSeconds: 600, reason: 'kernel update' },
      {
        env: {},
        now: () => T0,
        send: async (_endpoint, body) => {
          sent.push(body);
          return answers.shift()!;
        },
      },
    );

    expect(sent.map((b) => [b.bootId, b.seq])).toEqual([
      ['boot-7', 42],
      ['boot-7', 43],
    ]);
    expect(result?.kind).toBe('accepted');
    expect(event).toMatchObject({ code: 'HBW2093', fields: { awayUntil: '2026-12-01T21:10:00.000Z' } });
    expect(readBootState(path)).toMatchObject({ bootId: 'boot-7', seq: 43, reason: 'kernel update' });
  });
});

describe('runAgent --goodbye-on-stop', () => {
  it('says goodbye on SIGTERM with the next seq of its boot, then stops', async () => {
    const dir = tempDir('hbw-goodbye-');
    const settings = resolveAgentSettings(
      { id: 'web-01', endpoint: A, 'token-file': writeTokenFile(dir, 'hbwt_test') },
      {},
      { requireIdentity: true },
    );
    const controller = new AbortController();
    const sent: HeartbeatBody[] = [];
    const lines: string[] = [];
    const running = runAgent(
      { ...settings, logFormat: 'json' },
      {
        env: {},
        write: (line) => lines.push(line),
        signal: controller.signal,
        bootId: 'boot-1',
        goodbyeOnStop: { backInSeconds: 300, reason: 'stopped' },
        send: async (_endpoint, body) => {
          sent.push(body);
          if (!body.goodbye) controller.abort('SIGTERM');
          return ok(body.goodbye ? 'away' : 'healthy');
        },
      },
    );

    expect(await running).toBe(0);
    rmSync(dir, { recursive: true, force: true });
    expect(sent.map((b) => [b.bootId, b.seq, b.goodbye])).toEqual([
      ['boot-1', 1, undefined],
      ['boot-1', 2, { backInSeconds: 300, reason: 'stopped' }],
    ]);
    expect(lines.map((l) => JSON.parse(l).code)).toEqual(['HBW2000', 'HBW2093', 'HBW2090']);
  });

  it('does not say goodbye on SIGINT', async () => {
    const controller = new AbortController();
    const sent: HeartbeatBody[] = [];
    await runAgent(
      resolveAgentSettings(
        { id: 'web-01', endpoint: A },
        { HBW_AGENT_TOKEN: 't' },
        { requireIdentity: true },
      ),
      {
        env: { HBW_AGENT_TOKEN: 't' },
        write: () => {},
        signal: controller.signal,
        goodbyeOnStop: { backInSeconds: 300 },
        send: async (_endpoint, body) => {
          sent.push(body);
          controller.abort('SIGINT');
          return ok();
        },
      },
    );
    expect(sent.map((b) => b.goodbye)).toEqual([undefined]);
  });
});
