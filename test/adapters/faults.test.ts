import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { type LocalWatcher, startLocalWatcher } from '../../cli/local-watcher';
import { OutboxNotifier } from '../../lambda/adapters/outbox-notifier';
import { SnsNotifier } from '../../lambda/adapters/sns-notifier';
import { describeProbe, type Probe } from '../../lambda/domain/agent';
import { parseConfig } from '../../lambda/domain/config';
import { runScanMinute } from '../../lambda/scan-minute';
import type { ScanReport } from '../../lambda/scanner';
import { type ScannerHarness, scannerHarnesses } from '../support/scanner-harness';
import { bearer, ManualClock, startTestWatcher, type TestWatcher } from '../support/watcher';

/**
 * A fault injector on `client`: `inject` makes the next `times` requests of `operation` fail with an
 * error of `name`, before the SDK retries. Its middleware is added once, when it is made: install it
 * before the client's first request of an operation it will fail, as a client that caches its
 * middleware (the local watcher's own, `cacheMiddleware`) sees nothing added after that.
 */
function faultsOn(client: DynamoDBClient) {
  let planned: { operation: string; name: string; left: number } | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (planned && planned.left > 0 && context.commandName === `${planned.operation}Command`) {
        planned.left -= 1;
        throw Object.assign(new Error(`injected ${planned.name}`), { name: planned.name, $metadata: {} });
      }
      return next(args);
    },
    { step: 'initialize', name: 'faults' },
  );
  return {
    inject(operation: string, name: string, times: number) {
      const plan = { operation, name, left: times };
      planned = plan;
      return { remaining: () => plan.left };
    },
  };
}

describe('DynamoDB throttling and timeouts on the heartbeat route', () => {
  let w: TestWatcher;
  let faults: ReturnType<typeof faultsOn>;
  beforeAll(async () => {
    w = await startTestWatcher();
    const client = (w.service as unknown as { deps: { agents: { client: DynamoDBClient } } }).deps.agents
      .client;
    faults = faultsOn(client);
  });
  afterAll(() => w.close());

  it.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'TimeoutError'])(
    'answers 503 with Retry-After on %s and stores nothing',
    async (name) => {
      const token = await w.addAgent(`t-${name}`);
      const before = await w.storedAgents();
      const fault = faults.inject('UpdateItem', name, 1);

      const res = await w.call('POST', '/v1/heartbeat', { agentId: `t-${name}` }, bearer(token));

      expect(fault.remaining()).toBe(0);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.body.error.code).toBe('unavailable');
      expect(await w.storedAgents()).toEqual(before);
      const retried = await w.call('POST', '/v1/heartbeat', { agentId: `t-${name}` }, bearer(token));
      expect(retried.status).toBe(200);
    },
  );
});

describe('faults around the scanner', () => {
  const harness = scannerHarnesses();
  let h: ScannerHarness;
  beforeEach(async () => {
    h = await harness();
  });

  it('reports a scan whose table throttles and completes it on the next scan, alert opened once', async () => {
    await h.addAgent('a-1');
    await h.beat('a-1');
    for (let i = 0; i < 2; i++) await h.step();
    const fault = faultsOn(h.client).inject('Scan', 'ProvisionedThroughputExceededException', 1);
    h.clock.advance(h.intervalMs);

    await expect(h.scan()).rejects.toThrow(/unavailable|ProvisionedThroughput/);
    expect(fault.remaining()).toBe(0);
    const report = await h.scan();

    expect(report.opened).toHaveLength(1);
    expect(h.notifier.sent).toHaveLength(1);
    expect((await h.alerts({ status: 'all' })).length).toBe(1);
  });

  it('retries pages SNS throttled on the later scans and sends each exactly once', async () => {
    const client = new SNSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    const sns = mockClient(client);
    const throttled = () =>
      new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    sns.on(PublishCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({ MessageId: 'm-1' });
    const scanner = h.otherScanner({
      notifier: new SnsNotifier(client, { production: 'arn:aws:sns:us-east-1:123456789012:hbw-production' }),
    });
    await h.addAgent('a-1');
    await h.addAgent('a-2');
    await h.beat('a-1', 'a-2');
    await scanner.scan();
    const reports: ScanReport[] = [];
    for (let i = 0; i < 6; i++) {
      h.clock.advance(h.intervalMs);
      reports.push(await scanner.scan());
    }

    expect(reports.map((r) => [r.noticesSent, r.noticesFailed])).toEqual([
      [0, 0],
      [0, 0],
      [0, 1],
      [0, 1],
      [1, 0],
      [0, 0],
    ]);
    const published = sns.commandCalls(PublishCommand);
    expect(published).toHaveLength(3);
    const sent = JSON.parse(published[2]!.args[0].input.Message!) as { default: string };
    expect(sent.default).toMatch(/a-1/);
    expect(sent.default).toMatch(/a-2/);
    expect((await h.alerts()).map((a) => a.delivery?.opening)).toEqual(['sent', 'sent']);
  });

  it('after a pause of a local watcher that a scan straddled, judges no one in the next scan and counts the pause as blind', async () => {
    await h.addAgent('p-1');
    await h.addAgent('p-2');
    // The process stops near the end of a scan (SIGSTOP, a laptop closed) for seven intervals: that
    // scan completes only after it, so the gap since the last completed scan is short, while no
    // heartbeat could be taken in the pause.
    let pause: { start: number; end: number } | undefined;
    let scans = 0;
    const scanner = h.otherScanner({
      wrap: (stores) => ({
        ...stores,
        state: Object.assign(Object.create(stores.state), {
          completeScan: (state: Parameters<typeof stores.state.completeScan>[0]) => {
            if (++scans === 2) {
              pause = { start: h.clock.now() + 1, end: h.clock.now() + 7 * h.intervalMs };
              h.clock.advance(7 * h.intervalMs);
              return stores.state.completeScan({ ...state, lastCompletedAt: h.clock.now() });
            }
            return stores.state.completeScan(state);
          },
        }),
      }),
      deps: { pauses: { since: (time) => (pause && pause.end > time ? [pause] : []) } },
    });
    await h.beat('p-1', 'p-2');
    await scanner.scan();
    h.clock.advance(h.intervalMs);
    await h.beat('p-1', 'p-2');
    await scanner.scan();

    h.clock.advance(200);
    const after = await scanner.scan();
    await h.beat('p-1', 'p-2');
    h.clock.advance(h.intervalMs);
    const next = await scanner.scan();

    expect(after).toMatchObject({ blindWindowAdded: true, opened: [], storm: 'none' });
    expect(next).toMatchObject({ blindWindowAdded: false, opened: [] });
    expect(h.notifier.sent).toHaveLength(0);
  });

  it('after a restart of a local watcher, probes no agent whose heartbeat could not reach it meanwhile', async () => {
    await h.addAgent('a-1', 'production', { probe: { type: 'tcp', host: '127.0.0.1', port: 9 } });
    await h.beat('a-1');
    await h.scan();
    h.prober.set('127.0.0.1', false);
    // Down for a second and a half: less than two intervals, so no blind window of the usual kind.
    h.clock.advance(h.intervalMs * 1.5);
    const restarted = h.otherScanner({ deps: { sharesProcessWithIngest: true } });

    const first = await restarted.scan();
    h.clock.advance(h.intervalMs);
    const second = await restarted.scan();

    expect(first).toMatchObject({ blindWindowAdded: true, probed: 0, opened: [] });
    expect(second).toMatchObject({ blindWindowAdded: false, probed: 1 });
    expect(second.opened).toHaveLength(1);
    expect((await h.alerts())[0]).toMatchObject({ kind: 'host_unreachable' });
  });

  it('runs the scanner Lambda twice for the same minute without a second alert or page', async () => {
    await h.addAgent('a-1');
    await h.beat('a-1');
    for (let i = 0; i < 2; i++) await h.step();
    h.clock.advance(h.intervalMs);
    const minute = (scanner: { scan(): Promise<ScanReport> }) =>
      runScanMinute(
        {
          scanner,
          tickSeconds: 60,
          now: h.clock.now,
          sleep: async () => {},
          completed: () => {},
          failed: (error) => {
            throw error;
          },
          skipped: () => {},
        },
        h.clock.now(),
      );

    const [first, second] = await Promise.all([minute(h.scanner), minute(h.otherScanner())]);

    expect([...first, ...second].flatMap((r) => r.opened)).toHaveLength(1);
    expect(h.notifier.sent).toHaveLength(1);
  });

  it('after a 5-minute gap with no scan, raises no alert for agents that beat right before it', async () => {
    await h.addAgent('a-1');
    await h.addAgent('a-2');
    await h.beat('a-1', 'a-2');
    await h.scan();
    h.clock.advance(5 * 60_000);

    const report = await h.scan();

    expect(report.blindWindowAdded).toBe(true);
    expect(report.opened).toEqual([]);
    expect(h.notifier.sent).toEqual([]);
  });

  it('takes the watcher clock going back 30 s between scans quietly: no alert, no error, nothing recorded backwards', async () => {
    await h.addAgent('a-1');
    await h.beat('a-1');
    await h.scan();
    h.clock.advance(20_000);
    await h.beat('a-1');
    await h.scan();
    h.clock.advance(-30_000);

    const report = await h.scan();

    expect(report.opened).toEqual([]);
    expect(report.errors).toBe(0);
    expect(report.recorded).toBe(false);
    const [agent] = ((await h.http('GET', '/v1/agents')).body as { agents: unknown[] }).agents as {
      missedScans: number;
      state: string;
    }[];
    expect(agent).toMatchObject({ state: 'healthy', missedScans: 0 });
  });

  it('counts a heartbeat whose agent clock is hours off, and shows the skew', async () => {
    const answer = await h.http('POST', '/v1/agents', { agentId: 'skewed', group: 'production' });
    const sentAt = new Date(h.clock.now() - 5 * 3_600_000).toISOString();

    const hb = await h.service.heartbeat((answer.body as { token: string }).token, {
      agentId: 'skewed',
      sentAt,
    });

    expect(hb.status).toBe(200);
    const view = (await h.http('GET', '/v1/agents/skewed')).body as {
      clockSkewSeconds: number;
      clockSkewWarning: boolean;
      lastHeartbeatAt: string;
    };
    expect(view.clockSkewSeconds).toBe(-18_000);
    expect(view.clockSkewWarning).toBe(true);
    expect(view.lastHeartbeatAt).toBe(new Date(h.clock.now()).toISOString());
  });
});

describe('a watcher killed between writing a page and recording it', () => {
  const harness = scannerHarnesses();

  it('does not write the page again when the restarted scanner retries it, even beside a new page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hbw-crash-'));
    const path = join(dir, 'outbox.jsonl');
    try {
      const h = await harness();
      await h.addAgent('web-01');
      await h.addAgent('web-02');
      await h.beat('web-01', 'web-02');
      await h.scan();
      await h.step('web-02');
      await h.step('web-02');
      // The page goes into the outbox, then the process dies before it records the page as sent.
      const dying = h.otherScanner({
        notifier: new OutboxNotifier(path, () => {}),
        wrap: (stores) => ({
          ...stores,
          alerts: Object.assign(Object.create(stores.alerts), {
            finishNotice: async () => {
              throw new Error('killed');
            },
          }),
        }),
      });
      h.clock.advance(h.intervalMs);
      await h.beat('web-02');
      await expect(dying.scan()).rejects.toThrow('killed');
      expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1);

      // Restarted after the claim ran out; meanwhile web-02 fails too, so a new page is owed beside it.
      const restarted = h.otherScanner({ notifier: new OutboxNotifier(path, () => {}) });
      for (let i = 0; i < 3; i++) {
        h.clock.advance(h.intervalMs);
        await restarted.scan();
      }

      const lines = readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.agentIds)).toEqual([['web-01'], ['web-02']]);
      const alerts = await h.alerts({ status: 'open' });
      expect(alerts.map((a) => a.delivery?.opening)).toEqual(['sent', 'sent']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a restart of the local watcher while pages are held by a parent', () => {
  it('keeps the hold across the restart, and pages the agent still silent once, when its switch is back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hbw-hold-'));
    const clock = new ManualClock();
    const config = parseConfig({
      heartbeatIntervalSeconds: 10,
      scanIntervalSeconds: 10,
      missedScansBeforeAlert: 3,
      agentlessEveryNScans: 1,
      probe: { attempts: 1, timeoutMs: 100, intervalMs: 0 },
      groups: { production: { channels: ['sms', 'email'] } },
    });
    const answering = new Set(['sw-01']);
    const prober = {
      probe: async (target: Probe) => {
        const host = target.type === 'tcp' ? target.host : describeProbe(target);
        return { outcome: answering.has(host) ? ('up' as const) : ('down' as const), detail: `tcp ${host}` };
      },
    };
    const start = () =>
      startLocalWatcher({ config, port: 0, dataDir, clock, scanning: false, print: () => {}, prober });
    const scans = async (watcher: LocalWatcher, n: number, ...beating: [string, string][]) => {
      for (let i = 0; i < n; i++) {
        clock.advance(10_000);
        for (const [agentId, token] of beating) await watcher.service.heartbeat(token, { agentId });
        await watcher.scanner.scan();
      }
    };
    try {
      let watcher = await start();
      await watcher.service.addAgent({
        agentId: 'sw-01',
        group: 'production',
        agentless: true,
        probe: { type: 'tcp', host: 'sw-01', port: 22 },
      });
      const tokens: [string, string][] = [];
      for (const agentId of ['web-01', 'web-02']) {
        const { token } = await watcher.service.addAgent({ agentId, group: 'production', parent: 'sw-01' });
        await watcher.service.heartbeat(token!, { agentId });
        tokens.push([agentId, token!]);
      }
      await watcher.scanner.scan();
      answering.delete('sw-01');
      await scans(watcher, 4);
      await watcher.close();

      watcher = await start();
      await scans(watcher, 2);
      answering.add('sw-01');
      await scans(watcher, 4, tokens[0]!);
      const alerts = await watcher.service.listAlerts({ status: 'all' });
      await watcher.close();

      const outbox = readFileSync(join(dataDir, 'outbox.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(outbox.map((n) => `${n.kind} ${n.agentIds.join(',')}`).sort()).toEqual([
        'heartbeat_failure web-02',
        'host_unreachable sw-01',
        'recovery sw-01',
      ]);
      expect(alerts.find((a) => a.agentId === 'web-01')).toMatchObject({
        status: 'resolved',
        delivery: { opening: 'suppressed', recovery: 'none' },
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a restart of the local watcher in the middle of an incident', () => {
  it('loses no alert, duplicates none, and still sends the recovery', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hbw-restart-'));
    const clock = new ManualClock();
    const config = parseConfig({
      heartbeatIntervalSeconds: 10,
      scanIntervalSeconds: 10,
      missedScansBeforeAlert: 3,
      groups: { production: { channels: ['sms', 'email'] } },
    });
    const start = () =>
      startLocalWatcher({ config, port: 0, dataDir, clock, scanning: false, print: () => {} });
    try {
      let watcher = await start();
      const { token } = await watcher.service.addAgent({ agentId: 'web-01', group: 'production' });
      await watcher.service.heartbeat(token, { agentId: 'web-01' });
      for (let i = 0; i < 3; i++) {
        clock.advance(10_000);
        await watcher.scanner.scan();
      }
      await watcher.close();

      watcher = await start();
      clock.advance(10_000);
      await watcher.scanner.scan();
      await watcher.service.heartbeat(token, { agentId: 'web-01' });
      await watcher.close();

      watcher = await start();
      clock.advance(10_000);
      await watcher.scanner.scan();
      const alerts = await watcher.service.listAlerts({ status: 'all' });
      await watcher.close();

      const outbox = readFileSync(join(dataDir, 'outbox.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(outbox.map((n) => n.kind)).toEqual(['heartbeat_failure', 'recovery']);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ status: 'resolved', resolution: 'heartbeat' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
