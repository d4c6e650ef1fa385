import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalWatcher } from '../../cli/local-watcher';
import { WatcherMetrics } from '../../cli/metrics';
import { startScanLoop } from '../../cli/scan-loop';
import { countedNotifier } from '../../lambda/adapters/counted-notifier';
import { parseConfig } from '../../lambda/domain/config';
import type { Notification } from '../../lambda/domain/messages';
import { createLogger } from '../../lambda/logger';
import { NotifierError } from '../../lambda/ports';
import type { Scanner, ScanReport } from '../../lambda/scanner';
import { startCheckedWatcher } from '../support/watcher';

// GET /metrics of the local watcher on a real clock with 1-second scans: what a Prometheus scrape gets.
const CONFIG = parseConfig({
  heartbeatIntervalSeconds: 1,
  scanIntervalSeconds: 1,
  missedScansBeforeAlert: 2,
  groups: { production: { channels: ['sms', 'email'] } },
});

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The samples of a Prometheus text page, by series (`name{labels}`). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const post = (url: string, path: string, body: unknown, token?: string) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

describe('GET /metrics', () => {
  let dir: string;
  let w: LocalWatcher;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hbw-metrics-'));
    w = await startCheckedWatcher({ config: CONFIG, port: 0, dataDir: dir, print: () => {} });
  });
  afterAll(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts heartbeats by status, agents by state, open alerts by kind, scans and notices by channel', async () => {
    const live = (await w.service.addAgent({ agentId: 'm-live', group: 'production' })).token!;
    const silent = (await w.service.addAgent({ agentId: 'm-silent', group: 'production' })).token!;
    expect((await post(w.url, '/v1/heartbeat', { agentId: 'm-silent' }, silent)).status).toBe(200);
    expect((await post(w.url, '/v1/heartbeat', { agentId: 'm-live' }, 'hbw_wrong')).status).toBe(401);
    expect((await post(w.url, '/v1/heartbeat', { agentId: 'm-live' })).status).toBe(401);
    const batch = await post(w.url, '/v1/heartbeats', {
      heartbeats: [
        { agentId: 'm-live', token: live },
        { agentId: 'm-live', token: 'hbw_wrong', seq: 2 },
        { agentId: 'm live' },
      ],
    });
    expect(batch.status).toBe(200);
    // m-live keeps beating; m-silent stops, and its alert opens two scans later.
    const beating = setInterval(() => void post(w.url, '/v1/heartbeat', { agentId: 'm-live' }, live), 300);
    try {
      await waitFor(
        'the alert of m-silent',
        async () => (await w.service.listAlerts({ status: 'open' })).some((a) => a.agentId === 'm-silent'),
        15_000,
      );
      // The scan that opened it has recorded its counts, and one more scan has run since.
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      clearInterval(beating);
    }
    const res = await fetch(`${w.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const got = samples(text);
    expect(got.get('hbw_heartbeats_total{status="200"}')).toBeGreaterThanOrEqual(3);
    expect(got.get('hbw_heartbeats_total{status="401"}')).toBe(3);
    expect(got.get('hbw_heartbeats_total{status="400"}')).toBe(1);
    expect(got.get('hbw_agents{group="production",state="healthy"}')).toBe(1);
    const silentStates = [...got].filter(
      ([series, n]) =>
        series.startsWith('hbw_agents{group="production"') && !series.includes('"healthy"') && n > 0,
    );
    expect(silentStates).toHaveLength(1);
    expect(got.get('hbw_open_alerts{group="production",kind="heartbeat_failure"}')).toBe(1);
    expect(got.get('hbw_scan_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(got.get('hbw_notices_total{channel="sms",outcome="sent"}')).toBe(1);
    expect(got.get('hbw_notices_total{channel="email",outcome="sent"}')).toBe(1);
    expect(text).toContain('# TYPE hbw_scans_skipped_total counter');
    expect(text).toContain('# TYPE hbw_blind_windows_total counter');
    // No token, no hash of one, in what a scrape gets.
    expect(text).not.toMatch(/hbw_[a-z0-9]{20,}/);
  }, 30_000);

  it('is an admin route: refused to a page of another site', async () => {
    const res = await fetch(`${w.url}/metrics`, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } });
  });
});

describe('GET /metrics with an admin token', () => {
  it('needs the token, as every admin route does', async () => {
    const w = await startCheckedWatcher({
      config: CONFIG,
      port: 0,
      adminToken: 'a-long-admin-secret',
      print: () => {},
    });
    try {
      expect((await fetch(`${w.url}/metrics`)).status).toBe(401);
      const ok = await fetch(`${w.url}/metrics`, {
        headers: { authorization: 'Bearer a-long-admin-secret' },
      });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('# TYPE hbw_heartbeats_total counter');
    } finally {
      await w.close();
    }
  });
});

describe('the metrics fed by the scan loop and the notifier', () => {
  const source = { status: async () => ({ groups: {} }), listAlerts: async () => [] };

  it('counts the scan boundaries a slow scan ran across as skipped', async () => {
    const metrics = new WatcherMetrics(source);
    let scans = 0;
    const scanner = {
      // The first scan outlasts two boundaries of a 1 s interval; the next ones are quick.
      scan: async () => {
        scans += 1;
        await new Promise((r) => setTimeout(r, scans === 1 ? 2_300 : 10));
        return { durationMs: scans === 1 ? 2_300 : 10, blindWindowAdded: scans === 1 } as ScanReport;
      },
    } as unknown as Scanner;
    const loop = startScanLoop(scanner, CONFIG, createLogger({ sink: () => {} }), metrics);
    try {
      await waitFor('a second scan', async () => scans >= 2, 6_000);
    } finally {
      await loop.stop();
    }
    const got = samples(await metrics.registry.metrics());
    expect(got.get('hbw_scans_skipped_total')).toBe(2);
    expect(got.get('hbw_blind_windows_total')).toBe(1);
    expect(got.get('hbw_scan_duration_seconds_bucket{le="2.5"}')).toBeGreaterThanOrEqual(1);
  }, 10_000);

  it('reads the status once and the open alerts once per scrape, for every gauge', async () => {
    const reads = { status: 0, alerts: 0 };
    const metrics = new WatcherMetrics({
      status: async () => {
        reads.status += 1;
        return {
          groups: { production: { healthy: 3, failed: 1 } },
          smsBudget: { production: { spentToday: 2, perDay: 10 } },
        };
      },
      listAlerts: async () => {
        reads.alerts += 1;
        return [{ group: 'production', kind: 'heartbeat_failure' }];
      },
    });
    const got = samples((await metrics.scrape()).text);
    expect(reads).toEqual({ status: 1, alerts: 1 });
    expect(got.get('hbw_agents{group="production",state="failed"}')).toBe(1);
    expect(got.get('hbw_open_alerts{group="production",kind="heartbeat_failure"}')).toBe(1);
    expect(got.get('hbw_sms_spent_today{group="production"}')).toBe(2);
    expect(got.get('hbw_sms_budget_per_day{group="production"}')).toBe(10);
  });

  it('counts a notice that failed by each of its channels, and passes the failure on', async () => {
    const metrics = new WatcherMetrics(source);
    const failing = countedNotifier(
      {
        publish: async () => {
          throw new NotifierError('the topic refused it', true);
        },
      },
      metrics.notice,
    );
    await expect(failing.publish({ channels: ['sms', 'email'] } as unknown as Notification)).rejects.toThrow(
      'the topic refused it',
    );
    const got = samples(await metrics.registry.metrics());
    expect(got.get('hbw_notices_total{channel="sms",outcome="failed"}')).toBe(1);
    expect(got.get('hbw_notices_total{channel="email",outcome="failed"}')).toBe(1);
  });
});
