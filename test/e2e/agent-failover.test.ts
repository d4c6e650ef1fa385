import { rmSync } from 'node:fs';
import { resolveAgentSettings } from '../../cli/agent/config';
import { runAgent } from '../../cli/agent/run-agent';
import type { LocalWatcher } from '../../cli/local-watcher';
import { DynamoAgentStore } from '../../lambda/adapters/dynamo-agent-store';
import { localDynamoClient } from '../../lambda/adapters/dynamo-client';
import { LOCAL_TABLE_NAMES } from '../../lambda/adapters/tables';
import { parseConfig } from '../../lambda/domain/config';
import { hashSecret } from '../../lambda/domain/secrets';
import { codesOf, freePort, tempDir, waitFor, writeTokenFile } from '../support/agent-helpers';
import { startCheckedWatcher, TEST_CONFIG } from '../support/watcher';

/**
 * Agent failover, as SCOM agents do it: the primary management server goes down, the agent fails
 * over (21006, then 21015), the primary comes back and the agent returns to it (21019). Here with
 * two local watchers, a 1 s heartbeat interval and a 1 s failback.
 */
describe('hbw agent run: failover to the second watcher and fail-back to the primary', () => {
  const config = parseConfig({ ...TEST_CONFIG, heartbeatIntervalSeconds: 1 });
  const dirs: string[] = [];
  const watchers: LocalWatcher[] = [];
  const start = async (options: { port?: number; dataDir?: string } = {}) => {
    const w = await startCheckedWatcher({ config, port: 0, scanning: false, print: () => {}, ...options });
    watchers.push(w);
    return w;
  };
  const agentOf = async (w: LocalWatcher) => {
    const client = localDynamoClient(w.dynamoConnection);
    try {
      return await new DynamoAgentStore(client, LOCAL_TABLE_NAMES.agents).get('web-01');
    } finally {
      client.destroy();
    }
  };
  /** Makes `w` know web-01 with `token`, as a second server of one deployment would. */
  const share = async (w: LocalWatcher, token: string) => {
    await w.service.addAgent({ agentId: 'web-01', group: 'production' });
    const client = localDynamoClient(w.dynamoConnection);
    try {
      await new DynamoAgentStore(client, LOCAL_TABLE_NAMES.agents).replaceTokenHash(
        'web-01',
        hashSecret(token),
      );
    } finally {
      client.destroy();
    }
  };
  /** Runs web-01 against `endpoint` and `failover` with the agent's defaults (a 30 s interval until told). */
  const runWeb01 = (endpoint: string, failover: string[], token: string) => {
    const dir = tempDir();
    dirs.push(dir);
    const settings = resolveAgentSettings(
      { id: 'web-01', endpoint, failover, 'failback-seconds': '1', 'token-file': writeTokenFile(dir, token) },
      { HBW_LOG_FORMAT: 'json' },
      { requireIdentity: true },
    );
    const lines: string[] = [];
    const controller = new AbortController();
    const running = runAgent(settings, { env: {}, write: (l) => lines.push(l), signal: controller.signal });
    return { lines, stop: () => controller.abort('SIGTERM'), running };
  };
  afterAll(async () => {
    for (const w of watchers) await w.close().catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('moves to the failover at once when the primary goes down, tries the primary every second, and returns when it answers', async () => {
    const dataDir = tempDir('hbw-primary-');
    dirs.push(dataDir);
    let primary = await start({ dataDir });
    const failover = await start();
    const primaryUrl = primary.url;
    const port = Number(new URL(primaryUrl).port);
    // One agent, one token, known to both watchers (as two servers of one deployment would share it).
    const { token } = await primary.service.addAgent({ agentId: 'web-01', group: 'production' });
    await share(failover, token!);
    const dir = tempDir();
    dirs.push(dir);
    const settings = resolveAgentSettings(
      {
        id: 'web-01',
        endpoint: primaryUrl,
        failover: [failover.url],
        'failback-seconds': '1',
        'token-file': writeTokenFile(dir, token!),
      },
      { HBW_LOG_FORMAT: 'json' },
      { requireIdentity: true },
    );
    expect(settings.failuresBeforeFailover).toBe(3);

    const lines: string[] = [];
    const controller = new AbortController();
    const running = runAgent(settings, { env: {}, write: (l) => lines.push(l), signal: controller.signal });
    const seen = (code: string) => () => codesOf(lines).includes(code);
    try {
      await waitFor(seen('HBW2001'), 'the first heartbeat');
      const first = await agentOf(primary);
      expect(first).toMatchObject({ endpoint: primaryUrl, seq: 1, version: expect.any(String) });
      const bootId = first!.bootId;
      expect(bootId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

      await primary.close();
      await waitFor(seen('HBW2015'), 'the failover', 8000);
      const onFailover = await waitFor(async () => {
        const agent = await agentOf(failover);
        return agent?.lastHeartbeatAt === undefined ? undefined : agent;
      }, 'a heartbeat at the failover');
      expect(onFailover).toMatchObject({ endpoint: failover.url, bootId });

      primary = await start({ dataDir, port });
      expect(primary.url).toBe(primaryUrl);
      await waitFor(seen('HBW2019'), 'the fail-back', 5000);
      const back = await agentOf(primary);
      expect(back).toMatchObject({ endpoint: primaryUrl, bootId });
      expect(back!.seq!).toBeGreaterThan(onFailover.seq!);
    } finally {
      controller.abort('SIGTERM');
    }
    expect(await running).toBe(0);

    const events = lines.map((l) => JSON.parse(l));
    // HBW2017 (the primary still down at a failback try) may or may not fall between; the rest is fixed.
    expect(codesOf(lines).filter((c) => c !== 'HBW2017')).toEqual([
      'HBW2000',
      'HBW2001',
      'HBW2006',
      'HBW2015',
      'HBW2001',
      'HBW2019',
      'HBW2090',
    ]);
    const byCode = (code: string) => events.find((e) => e.code === code);
    expect(byCode('HBW2006')).toMatchObject({ endpoint: primaryUrl, error: 'ECONNREFUSED', failures: 1 });
    expect(byCode('HBW2006').msg).toContain(`could not connect to 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(byCode('HBW2015')).toMatchObject({ endpoint: failover.url, from: primaryUrl });
    // A closed port refuses the connection: the agent moves on at once, not after 3 failures.
    expect(byCode('HBW2015').msg).toContain('at once: the connection failed (ECONNREFUSED)');
    expect(events.filter((e) => e.code === 'HBW2001')[1]).toMatchObject({ endpoint: failover.url });
    expect(byCode('HBW2019')).toMatchObject({ endpoint: primaryUrl, from: failover.url });
    expect(byCode('HBW2090').msg).toContain('stopped on SIGTERM');
    for (const line of lines) expect(line).not.toContain(token!);
  }, 20_000);

  // The functional bound: the heartbeat lands before the agent's own 30 s interval would have passed
  // (the agent does not know the watcher's interval yet), so it cannot have waited out a failure count.
  const BEFORE_ONE_INTERVAL_MS = 10_000;

  it('with the primary dead at start, the first heartbeat lands on the failover at once, and fail-back still works', async () => {
    const port = await freePort();
    const primaryUrl = `http://127.0.0.1:${port}`;
    const failover = await start();
    const { token } = await failover.service.addAgent({ agentId: 'web-01', group: 'production' });
    const agent = runWeb01(primaryUrl, [failover.url], token!);
    try {
      const landed = await waitFor(
        async () => (await agentOf(failover))?.lastHeartbeatAt,
        'the first heartbeat at the failover',
        BEFORE_ONE_INTERVAL_MS,
      );
      expect(landed).toBeDefined();
      expect(await agentOf(failover)).toMatchObject({ endpoint: failover.url, seq: 2 });

      const primary = await start({ port });
      await share(primary, token!);
      await waitFor(() => codesOf(agent.lines).includes('HBW2019'), 'the fail-back', 5000);
      expect(await agentOf(primary)).toMatchObject({ endpoint: primaryUrl });
    } finally {
      agent.stop();
    }
    expect(await agent.running).toBe(0);
    expect(codesOf(agent.lines).slice(0, 4)).toEqual(['HBW2000', 'HBW2006', 'HBW2015', 'HBW2001']);
  }, 20_000);

  it('moves past a failover that refuses the token (401) to the next one, with the primary dead', async () => {
    const primaryUrl = `http://127.0.0.1:${await freePort()}`;
    const stranger = await start(); // a watcher that does not know web-01: it answers 401
    const failover = await start();
    const { token } = await failover.service.addAgent({ agentId: 'web-01', group: 'production' });
    const agent = runWeb01(primaryUrl, [stranger.url, failover.url], token!);
    try {
      await waitFor(
        async () => ((await agentOf(failover))?.seq ?? 0) >= 3,
        'heartbeats at the second failover',
        BEFORE_ONE_INTERVAL_MS,
      );
      expect(await agentOf(failover)).toMatchObject({ endpoint: failover.url });
      expect(await agentOf(stranger)).toBeUndefined();
    } finally {
      agent.stop();
    }
    expect(await agent.running).toBe(0);
    const events = agent.lines.map((l) => JSON.parse(l));
    expect(events.map((e) => e.code).slice(0, 6)).toEqual([
      'HBW2000',
      'HBW2006',
      'HBW2015',
      'HBW2018',
      'HBW2015',
      'HBW2001',
    ]);
    expect(events[3]).toMatchObject({ endpoint: stranger.url, status: 401 });
    expect(events[5]).toMatchObject({ endpoint: failover.url });
    for (const line of agent.lines) expect(line).not.toContain(token!);
  }, 20_000);
});
