import type { Browser, Page } from 'playwright-core';
import {
  closeChromium,
  goTo,
  launchChromium,
  openWatchedPage,
  type WatchedPage,
  waitForText,
} from '../support/console-browser';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

/**
 * The maintenance windows of groups and clusters in the operator console (headless Chromium), against
 * a local watcher on the manual clock: Monday 2026-11-23, 12:00 UTC.
 */
describe('operator console: maintenance windows of groups and clusters', () => {
  let w: TestWatcher;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;
  const tokens = new Map<string, string>();

  const add = async (agentId: string, group: string, cluster?: string) => {
    const res = await w.call('POST', '/v1/agents', { agentId, group, cluster });
    expect(res.status).toBe(201);
    tokens.set(agentId, res.body.token);
  };
  const beat = async (agentId: string) => {
    const res = await w.call('POST', '/v1/heartbeat', { agentId }, bearer(tokens.get(agentId)!));
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    [w, browser] = await Promise.all([
      startTestWatcher({
        config: {
          heartbeatIntervalSeconds: 30,
          scanIntervalSeconds: 30,
          missedScansBeforeAlert: 3,
          groups: {
            production: {
              channels: ['sms', 'email'],
              maintenance: [
                { cron: '0 2 * * 0', duration: '2h', timezone: 'Europe/Berlin', reason: 'weekly patching' },
              ],
            },
            test: { channels: ['console'] },
            ops: { channels: ['email'] },
          },
          clusters: {
            cache: {
              group: 'ops',
              minHealthy: 1,
              memberPages: false,
              maintenance: [{ cron: '0 3 * * *', duration: '30m', reason: 'cache flush' }],
            },
          },
        },
      }),
      launchChromium(),
    ]);
    await add('web-01', 'production');
    await add('cache-01', 'ops', 'cache');
    await add('cache-02', 'ops', 'cache');
    for (const id of tokens.keys()) await beat(id);
    await w.scanner.scan();
    watched = await openWatchedPage(browser);
    page = watched.page;
    await page.goto(`${w.url}/#overview`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'overview');
  });

  afterEach(() => watched.assertNoErrors());

  afterAll(async () => {
    await closeChromium(browser);
    await w?.close();
  });

  it("shows a group's next recurring windows on its card, and its one-off window once a scan read it", async () => {
    const production = page.locator('#o-groups [data-key="production"] .maint');
    expect(await production.locator('.now').textContent()).toBe('');
    expect(await production.locator('.next').textContent()).toBe(
      'Next: 2026-11-29 01:00:00 UTC for 2h (weekly patching); 2026-12-06 01:00:00 UTC for 2h (weekly patching); 2026-12-13 01:00:00 UTC for 2h (weekly patching).',
    );
    expect(await page.locator('#o-groups [data-key="test"] .maint').isVisible()).toBe(false);

    const put = await w.call('PUT', '/v1/groups/production/maintenance', {
      until: '2026-11-23T14:00:00Z',
      reason: 'rack move',
    });
    expect(put.status).toBe(200);
    // The overview shows what the last scan found: the window and its count come with the next one.
    w.clock.advance(1000);
    await w.scanner.scan();

    await waitForText(
      page,
      '#o-groups [data-key="production"] .maint .now',
      'In maintenance until 2026-11-23 14:00:00 UTC (rack move).',
    );
    expect(
      await page.locator('#o-groups [data-key="production"] li[data-state="maintenance"] b').textContent(),
    ).toBe('1');
  });

  it("shows a cluster's next recurring windows and its one-off window on its card, and a page it holds as held by the group, linked to its agents", async () => {
    // cache-01 fails while its cluster keeps its quorum: recorded, held by the cluster (memberPages false).
    for (let i = 0; i < 3; i++) {
      w.clock.advance(30_000);
      await beat('cache-02');
      await beat('web-01');
      await w.scanner.scan();
    }
    const cluster = await w.call('PUT', '/v1/clusters/cache/maintenance', { until: '2026-11-23T13:00:00Z' });
    expect(cluster.status).toBe(200);
    await w.call('PUT', '/v1/groups/ops/maintenance', { until: '2026-11-23T13:00:00Z', reason: 'upgrade' });
    w.clock.advance(1000);
    await w.scanner.scan();

    await goTo(page, '#clusters');
    await waitForText(
      page,
      '#c-clusters [data-key="cache"] .maint .now',
      'In maintenance until 2026-11-23 13:00:00 UTC.',
    );
    expect(await page.locator('#c-clusters [data-key="cache"] .maint .next').textContent()).toBe(
      'Next: 2026-11-24 03:00:00 UTC for 30m (cache flush); 2026-11-25 03:00:00 UTC for 30m (cache flush); 2026-11-26 03:00:00 UTC for 30m (cache flush).',
    );

    await goTo(page, '#alerts');
    const held = page.locator('#t-alerts-body tr[data-key$=".cache-01"] .held');
    await held.waitFor();
    // The agent's own group holds it first: a group's window and its cluster's both apply.
    expect(await held.textContent()).toBe('held: maintenance group ops');
    expect(await held.locator('a').getAttribute('href')).toBe('#agents?group=ops');
  });
});
