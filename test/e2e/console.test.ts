import { createServer, type Server } from 'node:net';
import type { Browser, Locator, Page } from 'playwright-core';
import { WATCHER_VERSION } from '../../lambda/version';
import {
  closeChromium,
  DESKTOP,
  goTo,
  launchChromium,
  openWatchedPage,
  PHONE,
  refreshNow,
  screenshot,
  selectAndRefresh,
  type WatchedPage,
  waitForText,
} from '../support/console-browser';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

/**
 * The operator console in a real browser (headless Chromium) against a local watcher with real
 * agents: what an operator sees, and what each button does to the watcher.
 */
describe('operator console in a browser', () => {
  let w: TestWatcher;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;
  const tokens = new Map<string, string>();

  const iso = (ms: number) => new Date(ms).toISOString();
  /** db-01's clock runs 10 minutes ahead: a skew worth a warning. */
  const aheadMs: Record<string, number> = { 'db-01': 600_000 };
  const beat = async (agentId: string, extra: Record<string, unknown> = {}) => {
    const res = await w.call(
      'POST',
      '/v1/heartbeat',
      { agentId, sentAt: iso(w.clock.now() + (aheadMs[agentId] ?? 0)), version: '1.4.2', ...extra },
      bearer(tokens.get(agentId)!),
    );
    expect(res.status).toBeLessThan(300);
  };
  const add = async (agentId: string, group: string, cluster?: string) => {
    const res = await w.call('POST', '/v1/agents', { agentId, group, cluster });
    expect(res.status).toBe(201);
    tokens.set(agentId, res.body.token);
  };
  const register = async (agentId: string, group: string) => {
    const key = await w.call('POST', `/v1/groups/${group}/enrollment-key`);
    const res = await w.call('POST', '/v1/register', { agentId, group }, bearer(key.body.key));
    expect(res.body).toMatchObject({ approval: 'pending' });
    tokens.set(agentId, res.body.token);
  };
  const stored = async (agentId: string) => (await w.storedAgents()).find((a) => a.agentId === agentId);
  const go = (hash: string) => goTo(page, hash);
  /** `n` scan intervals pass; the agents in `beating` beat in each, then the scanner scans. */
  const passScans = async (n: number, beating: readonly string[]) => {
    for (let i = 0; i < n; i++) {
      w.clock.advance(30_000);
      for (const id of beating) await beat(id);
      await w.scanner.scan();
    }
  };
  const count = (group: string, state: string) =>
    page.locator(`#o-groups [data-key="${group}"] li[data-state="${state}"] b`).textContent();
  const row = (tbody: string, key: string) => page.locator(`#${tbody} tr[data-key="${key}"]`);

  beforeAll(async () => {
    [w, browser] = await Promise.all([startTestWatcher(), launchChromium()]);
    await add('web-01', 'production', 'web');
    await add('web-02', 'production', 'web');
    await add('db-01', 'production', 'db');
    await add('app-01', 'test');
    await add('app-02', 'test');
    await beat('web-01', { endpoint: 'https://hbw-primary.example.net' });
    await beat('web-02', { endpoint: 'https://hbw-failover.example.net' });
    await beat('db-01');
    await beat('app-01');
    watched = await openWatchedPage(browser);
    page = watched.page;
  });

  afterEach(() => watched.assertNoErrors());

  afterAll(async () => {
    await closeChromium(browser);
    await w?.close();
  });

  it('shows each group, the version, no counts before the first scan, and warns that no scan has run', async () => {
    await page.goto(`${w.url}/`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'overview');

    expect(await page.locator('#o-version').textContent()).toBe(WATCHER_VERSION);
    expect(await page.locator('#meta-version').textContent()).toBe(WATCHER_VERSION);
    expect(
      await page.locator('#o-groups article').evaluateAll((cards) => cards.map((c) => c.dataset.key)),
    ).toEqual(['production', 'test', 'lab']);
    // The counts are the scanner's: none before its first scan, and no read of the agents to make them.
    expect(await count('production', 'healthy')).toBe('0');
    expect(await page.locator('#o-agents').textContent()).toBe(
      'not counted yet (the first scan counts them)',
    );
    expect(await page.locator('#behind-text').textContent()).toContain('has not scanned yet');
    expect(await page.locator('#meta-scan').textContent()).toBe('never');
    // The config in effect comes with GET /v1/status: shown per group, the interval not assumed.
    expect(await page.locator('#o-config-missing').isVisible()).toBe(false);
    expect(await page.locator('#o-config').isVisible()).toBe(true);
    expect(await page.locator('#o-config-groups').textContent()).toContain('production');
    expect(await page.locator('#o-interval').textContent()).not.toContain('assumed');
  });

  it('counts by group and state as of the last scan, and warns when the watcher is behind: the last scan older than three scan intervals', async () => {
    await w.scanner.scan();
    await refreshNow(page);
    expect(await count('production', 'healthy')).toBe('3');
    expect(await count('test', 'healthy')).toBe('1');
    expect(await count('test', 'new')).toBe('1');
    expect(await page.locator('#o-agents').textContent()).toBe('5');
    expect(await page.locator('#behind').isVisible()).toBe(false);
    expect(await page.locator('#meta-scan').textContent()).toMatch(/^\ds ago$/);

    w.clock.advance(91_000);
    await beat('web-01');
    await beat('web-02');
    await beat('db-01');
    await beat('app-01');
    await refreshNow(page);
    const text = await waitForText(page, '#behind-text', 'The watcher is behind');
    expect(text).toContain('last scan was 1m 31s ago');
    expect(text).toContain('more than three scan intervals (90s)');

    await w.scanner.scan();
    await refreshNow(page);
    expect(await page.locator('#behind').isVisible()).toBe(false);
  });

  it('approves a pending agent and rejects another from the Pending view', async () => {
    await register('lab-07', 'test');
    await register('lab-08', 'test');
    await beat('lab-07', { endpoint: 'https://hbw-primary.example.net' });
    w.clock.advance(1000);
    await w.scanner.scan();
    await refreshNow(page);
    expect(await page.locator('#nav-pending-count').textContent()).toBe('2');
    expect(await count('test', 'pending')).toBe('2');

    await go('#pending');
    await row('t-pending-body', 'lab-07').waitFor();
    expect(await row('t-pending-body', 'lab-07').textContent()).toContain('https://hbw-primary.example.net');
    await row('t-pending-body', 'lab-07').getByRole('button', { name: 'Approve lab-07' }).click();
    await row('t-pending-body', 'lab-07').waitFor({ state: 'detached' });
    expect(await page.locator('#toast').textContent()).toContain('lab-07 approved');
    expect(await stored('lab-07')).toMatchObject({ approval: 'approved' });

    await row('t-pending-body', 'lab-08').getByRole('button', { name: 'Reject lab-08' }).click();
    await row('t-rejected-body', 'lab-08').waitFor();
    expect(await page.locator('#pending-empty').isVisible()).toBe(true);
    expect(await stored('lab-08')).toMatchObject({ approval: 'rejected' });
    // The overview's counts follow at the next scan.
    w.clock.advance(1000);
    await w.scanner.scan();
    await refreshNow(page);
    await waitForText(page, '#o-groups [data-key="test"] li[data-state="pending"] b', '0');
    expect(await page.locator('#nav-pending-count').isVisible()).toBe(false);
  });

  it('lists agents with filters, search, sort, a ticking heartbeat age, skew warning and endpoint', async () => {
    await go('#agents');
    await waitForText(page, '#agents-count', '7 agents');
    const ids = () => page.locator('#t-agents-body tr').evaluateAll((rows) => rows.map((r) => r.dataset.key));
    expect(await ids()).toEqual(['app-01', 'app-02', 'db-01', 'lab-07', 'lab-08', 'web-01', 'web-02']);

    const web02 = row('t-agents-body', 'web-02');
    expect(await web02.locator('td[data-label="endpoint"]').textContent()).toBe(
      'https://hbw-failover.example.net',
    );
    expect(await web02.locator('td[data-label="cluster"]').textContent()).toBe('web');
    const skew = row('t-agents-body', 'db-01').locator('td[data-label="clock skew"]');
    expect(await skew.textContent()).toBe('+600s ⚠ skew');
    expect(await skew.getAttribute('class')).toContain('warn');

    // The age ticks in the browser between refreshes.
    const age = row('t-agents-body', 'web-01').locator('.age');
    const first = await age.textContent();
    expect(first).toMatch(/^\ds ago$/);
    await page.waitForFunction(
      (before) => document.querySelector('[data-key="web-01"] .age')?.textContent !== before,
      first,
    );

    // The group, cluster, parent and state filters are the watcher's (a new read); the search is the page's.
    await selectAndRefresh(page, '#f-group', 'production');
    expect(await ids()).toEqual(['db-01', 'web-01', 'web-02']);
    expect(await page.evaluate(() => location.hash)).toBe('#agents?group=production');
    await selectAndRefresh(page, '#f-cluster', 'web');
    expect(await ids()).toEqual(['web-01', 'web-02']);
    await page.fill('#f-q', 'WEB-02');
    expect(await ids()).toEqual(['web-02']);
    await page.fill('#f-q', '');
    await selectAndRefresh(page, '#f-group', '');
    await selectAndRefresh(page, '#f-cluster', '');
    await selectAndRefresh(page, '#f-state', 'new');
    expect(await ids()).toEqual(['app-02']);
    await selectAndRefresh(page, '#f-state', '');

    // Sorting by a column: a header button, twice for descending.
    await page.locator('th[data-sort="clockSkewSeconds"] button').click();
    expect((await ids())[6]).toBe('db-01');
    await page.locator('th[data-sort="clockSkewSeconds"] button').click();
    expect((await ids())[0]).toBe('db-01');
    expect(await page.locator('th[data-sort="clockSkewSeconds"]').getAttribute('aria-sort')).toBe(
      'descending',
    );
    await page.selectOption('#f-sort', 'agentId:1');
    expect((await ids())[0]).toBe('app-01');

    // A state link on the overview lands on the agents view, filtered.
    await go('#overview');
    await page.locator('#o-groups [data-key="production"] li[data-state="healthy"] a').click();
    await page.waitForFunction(() => !document.getElementById('v-agents')!.hidden);
    await waitForText(page, '#agents-count', '3 agents');
    expect(await page.locator('#f-state').inputValue()).toBe('healthy');
  });

  it('acknowledges a console-only alert with a note, and shows which channels were paged and when', async () => {
    // app-01 (test: console only), web-02 and db-01 (production: sms + email) fall silent.
    await passScans(4, ['web-01', 'lab-07']);
    await go('#alerts');
    const console1 = page.locator('#t-alerts-body tr[data-key$=".app-01"]');
    const paged = page.locator('#t-alerts-body tr', { hasText: 'web-02' });
    await console1.waitFor();
    expect(await page.locator('#nav-alerts-count').textContent()).toBe('3');
    const lines = (cell: Locator) => cell.locator('.lines > div').allTextContents();
    expect(await lines(console1.locator('td[data-label="paging"]'))).toEqual([
      'console only',
      'recorded here, never sent',
    ]);
    const paging = await lines(paged.locator('td[data-label="paging"]'));
    expect(paging[0]).toBe('sms + email');
    expect(paging[1]).toMatch(/^opening: sent 2026-11-23 12:0\d:\d\d UTC$/);
    expect(await paged.locator('td[data-label="severity"]').textContent()).toBe('critical');
    expect(await paged.locator('.kind').textContent()).toBe('heartbeat failure');

    await console1.getByRole('button', { name: /Acknowledge/ }).click();
    const dialog = page.locator('#dlg-ack');
    expect(await dialog.isVisible()).toBe(true);
    expect(await page.locator('#ack-what').textContent()).toContain('app-01 (test)');
    await page.fill('#ack-by', 'alice');
    await page.fill('#ack-note', 'test box, rebooting');
    await dialog.getByRole('button', { name: 'Acknowledge' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitForText(page, '#t-alerts-body [data-key$=".app-01"] .ack-text', 'by alice');
    expect(await console1.locator('.ack-text > div').allTextContents()).toEqual([
      expect.stringMatching(/^by alice 2026-11-23 \S+ UTC$/),
      '“test box, rebooting”',
    ]);
    expect(await console1.getByRole('button', { name: /Acknowledge/ }).isVisible()).toBe(false);
    const alerts = (await w.call('GET', '/v1/alerts?agentId=app-01')).body.alerts;
    expect(alerts[0]).toMatchObject({ acknowledgedBy: 'alice', note: 'test box, rebooting' });

    // Recovery: web-02 beats again; the resolved alert says when its recovery went out.
    await passScans(1, ['web-01', 'web-02', 'lab-07']);
    await page.selectOption('#a-status', 'resolved');
    const resolved = page.locator('#t-alerts-body tr', { hasText: 'web-02' });
    await resolved.waitFor();
    expect(await resolved.locator('td[data-label="status"]').textContent()).toMatch(
      /^resolved 2026-11-23 .* \(heartbeat\)$/,
    );
    expect(await lines(resolved.locator('td[data-label="paging"]'))).toEqual([
      'sms + email',
      expect.stringMatching(/^opening: sent 2026-11-23 /),
      expect.stringMatching(/^recovery: sent 2026-11-23 /),
    ]);
    await page.selectOption('#a-status', 'open');
  });

  it('puts an agent into maintenance and ends it from its detail view, which shows its record, probe and alerts', async () => {
    await page.locator('#t-alerts-body a', { hasText: 'app-01' }).click();
    await waitForText(page, '#d-title', 'app-01');
    await page.locator('#d-body').waitFor();
    expect(await page.locator('#d-record [data-key="group"] dd').textContent()).toBe('test');
    expect(await page.locator('#d-probe').textContent()).toContain('No probe');
    await waitForText(page, '#t-d-alerts-body', 'heartbeat failure');

    await go('#agent/web-01');
    await waitForText(page, '#d-record', 'https://hbw-primary.example.net');
    expect(await page.locator('#d-state').textContent()).toBe('healthy');
    await page.click('#d-maint');
    await page.locator('#dlg-maint').waitFor();
    expect(await page.locator('#maint-what').textContent()).toContain('Agent web-01');
    await page.selectOption('#maint-for', '120');
    const until = await page.inputValue('#maint-until');
    expect(Date.parse(`${until}:00Z`) - w.clock.now()).toBeGreaterThan(119 * 60_000);
    await page.fill('#maint-reason', 'kernel update');
    await page.locator('#dlg-maint').getByRole('button', { name: 'Start maintenance' }).click();
    await page.locator('#dlg-maint').waitFor({ state: 'hidden' });
    await waitForText(page, '#d-state', 'maintenance');
    expect(await page.locator('#d-record [data-key="maintenance"] dd').textContent()).toBe(
      `until ${until.replace('T', ' ')}:00 UTC: kernel update`,
    );
    expect(await stored('web-01')).toMatchObject({ maintenanceReason: 'kernel update' });
    // Focus went back to the button that opened the dialog.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('d-maint');

    await page.click('#d-maint-end');
    await waitForText(page, '#d-state', 'healthy');
    expect((await stored('web-01'))?.maintenanceUntil).toBeUndefined();
    expect(await page.locator('#d-maint-end').isVisible()).toBe(false);
  });

  it('refuses a maintenance window in the past and says why in the dialog', async () => {
    await page.click('#d-maint');
    await page.fill('#maint-until', '2020-01-01T00:00');
    await page.fill('#maint-reason', 'oops');
    await page.locator('#dlg-maint').getByRole('button', { name: 'Start maintenance' }).click();
    await waitForText(page, '#dlg-maint .err', 'must be in the future');
    await page.keyboard.press('Escape');
    await page.locator('#dlg-maint').waitFor({ state: 'hidden' });
    expect((await stored('web-01'))?.maintenanceUntil).toBeUndefined();
  });

  it("puts a whole group into maintenance with one window of the group's, and ends it", async () => {
    await go('#overview');
    const card = page.locator('#o-groups [data-key="production"]');
    await card.getByRole('button', { name: 'Maintenance…' }).click();
    expect(await page.locator('#maint-what').textContent()).toContain(
      'Group production: every agent of it, those that join while it lasts too.',
    );
    await page.fill('#maint-reason', 'datacenter move');
    await page.locator('#dlg-maint').getByRole('button', { name: 'Start maintenance' }).click();
    await page.locator('#dlg-maint').waitFor({ state: 'hidden' });
    await waitForText(page, '#toast', 'group production in maintenance until');
    await waitForText(page, '#o-groups [data-key="production"] .maint .now', '(datacenter move).');
    // The counts are the last scan's: the agents in maintenance show once a scan counted them.
    w.clock.advance(1000);
    await w.scanner.scan();
    await refreshNow(page);
    expect(await page.locator('#o-groups [data-key="production"] .maint .now').textContent()).toContain(
      '(datacenter move).',
    );
    await waitForText(page, '#o-groups [data-key="production"] li[data-state="maintenance"] b', '3');
    // One window of the group's: no agent's own record changes, and an agent that joins now is inside it.
    expect((await w.storedAgents()).filter((a) => a.maintenanceUntil !== undefined)).toEqual([]);
    expect((await w.call('POST', '/v1/agents', { agentId: 'web-09', group: 'production' })).status).toBe(201);
    expect((await w.call('GET', '/v1/agents/web-09')).body.state).toBe('maintenance');

    await card.getByRole('button', { name: 'End maintenance' }).click();
    await waitForText(page, '#toast', 'maintenance of group production ended');
    // The window ends on the card at once, as the DELETE answered; the count follows at the next scan.
    await card.getByRole('button', { name: 'End maintenance' }).waitFor({ state: 'hidden' });
    w.clock.advance(1000);
    await w.scanner.scan();
    await refreshNow(page);
    await waitForText(page, '#o-groups [data-key="production"] li[data-state="maintenance"] b', '0');
    expect((await w.call('GET', '/v1/status')).body.maintenance.groups.production.current).toBeNull();
    expect(await card.getByRole('button', { name: 'End maintenance' }).isVisible()).toBe(false);
    expect((await w.call('DELETE', '/v1/agents/web-09')).status).toBe(204);
  });

  it('keeps focus, typed text, row elements and an open dialog across refreshes', async () => {
    await go('#agents');
    await waitForText(page, '#agents-count', 'agents');
    await page.focus('#f-q');
    await page.keyboard.type('ap');
    await page.evaluate(() => {
      (
        document.querySelector('#t-agents-body [data-key="app-01"]') as HTMLElement & { marked?: boolean }
      ).marked = true;
    });
    await refreshNow(page);
    await refreshNow(page);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-q');
    expect(await page.inputValue('#f-q')).toBe('ap');
    expect(
      await page.evaluate(
        () =>
          (document.querySelector('#t-agents-body [data-key="app-01"]') as HTMLElement & { marked?: boolean })
            .marked,
      ),
    ).toBe(true);

    await go('#alerts');
    const ack = page.locator('#t-alerts-body button:visible', { hasText: 'Acknowledge' }).first();
    await ack.focus();
    await page.keyboard.press('Enter');
    await page.locator('#dlg-ack').waitFor();
    // The operator's name is remembered from the last acknowledgement, so the note has the focus.
    expect(await page.inputValue('#ack-by')).toBe('alice');
    await page.keyboard.type('looking');
    await refreshNow(page);
    expect(await page.locator('#dlg-ack').isVisible()).toBe(true);
    expect(await page.inputValue('#ack-note')).toBe('looking');
    await page.keyboard.press('Escape');
    await page.locator('#dlg-ack').waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-act'))).toBe('ack');
  });

  it('works from the keyboard: a skip link, then the views in order, with a visible focus ring', async () => {
    await page.goto('about:blank');
    await page.goto(`${w.url}/#overview`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'overview');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement?.textContent?.replace(/\d+$/, '') ?? ''));
    }
    expect(order).toEqual(['heartbeat-watcher', 'Overview', 'Agents', 'Pending', 'Alerts']);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe('solid');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.getElementById('v-alerts')!.hidden);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('h-alerts');
  });

  it('reads on a phone without sideways scrolling; screenshots of each view at both widths', async () => {
    await register('lab-09', 'test');
    for (const [name, hash] of [
      ['overview', '#overview'],
      ['agents', '#agents'],
      ['alerts', '#alerts?status=all'],
    ] as const) {
      for (const [size, viewport] of [
        ['desktop', DESKTOP],
        ['phone', PHONE],
      ] as const) {
        await page.setViewportSize(viewport);
        await go(hash);
        // Nothing sticks out: not the page, not a table inside its scroll box.
        const wider = await page.evaluate((max) => {
          const boxes = [document.scrollingElement!, ...Array.from(document.querySelectorAll('.wrap'))];
          return boxes
            .filter((b) => b.scrollWidth > Math.min(max, b.clientWidth || max) + 1)
            .map((b) => b.id || b.className || b.tagName);
        }, viewport.width);
        expect({ view: name, size, wider }).toEqual({ view: name, size, wider: [] });
        await screenshot(page, `${name}-${size}`);
      }
    }
    await page.setViewportSize(DESKTOP);
  });

  it('shows the heartbeats each agent lost over the last hour, flagging 5% or more', async () => {
    await beat('app-01', { seq: 1, bootId: 'boot-1' });
    await beat('app-01', { seq: 10, bootId: 'boot-1' });
    await go('#agents');
    await refreshNow(page);

    const lost = row('t-agents-body', 'app-01').locator(
      'td[data-label="heartbeats lost over the last hour"]',
    );
    await waitForText(
      page,
      '#t-agents-body [data-key="app-01"] td[data-label="heartbeats lost over the last hour"]',
      '80%',
    );
    expect(await lost.getAttribute('class')).toContain('warn');
    expect(await lost.getAttribute('title')).toBe('8 lost this boot: check the network path');
    const unsequenced = row('t-agents-body', 'web-01').locator(
      'td[data-label="heartbeats lost over the last hour"]',
    );
    expect(await unsequenced.textContent()).toBe('-');
  });

  it('shows an agent that said goodbye as away, until when', async () => {
    await beat('app-01', {
      seq: 11,
      bootId: 'boot-1',
      goodbye: { backInSeconds: 600, reason: 'kernel update' },
    });
    await go('#agents');
    await refreshNow(page);

    const until = new Date(w.clock.now() + 600_000).toISOString().slice(0, 19).replace('T', ' ');
    await waitForText(
      page,
      '#t-agents-body [data-key="app-01"] td[data-label="state"]',
      `away to ${until} UTC`,
    );
  });

  it("shows on an agent's page its restarts, the heartbeats it lost, and until when it is away", async () => {
    await add('app-03', 'test');
    await beat('app-03', { seq: 1, bootId: 'boot-1' });
    w.clock.advance(1000);
    await beat('app-03', { seq: 1, bootId: 'boot-2' });
    const restartedAt = iso(w.clock.now());
    w.clock.advance(1000);
    await beat('app-03', {
      seq: 4,
      bootId: 'boot-2',
      goodbye: { backInSeconds: 600, reason: 'kernel update' },
    });
    const view = (await w.call('GET', '/v1/agents/app-03')).body;
    expect(view).toMatchObject({ restarts: 1, lostHeartbeats: 2, lastRestartAt: restartedAt });
    const utc = (at: string) => `${at.slice(0, 19).replace('T', ' ')} UTC`;

    await go('#agent/app-03');
    await waitForText(page, '#d-state', 'away');

    const field = (key: string) => page.locator(`#d-record [data-key="${key}"] dd`).textContent();
    expect(await field('restarts')).toBe(`1, the last ${utc(restartedAt)}`);
    expect(await field('lost heartbeats')).toBe(
      `2 this boot, ${view.lossLastHourPercent}% over the last hour`,
    );
    expect(await field('away')).toBe(`until ${utc(view.awayUntil)}: kernel update`);
  });
});

/**
 * The topology in the console: a probed switch with agents behind it, and clusters with a quorum,
 * on a local watcher whose scans the test runs on its manual clock.
 */
describe('operator console: parents, children and clusters', () => {
  let w: TestWatcher;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;
  /** What sw-01's probe connects to: closing it takes the switch down. */
  let target: Server;
  const tokens = new Map<string, string>();
  const beating = new Set<string>();

  const add = async (agentId: string, extra: Record<string, unknown> = {}) => {
    const res = await w.call('POST', '/v1/agents', { agentId, group: 'production', ...extra });
    expect(res.status).toBe(201);
    if (res.body.token) tokens.set(agentId, res.body.token);
  };
  /** `n` scan intervals pass; the agents still beating beat in each, then the scanner scans. */
  const passScans = async (n: number) => {
    for (let i = 0; i < n; i++) {
      w.clock.advance(10_000);
      for (const agentId of beating) {
        const sentAt = new Date(w.clock.now()).toISOString();
        const res = await w.call('POST', '/v1/heartbeat', { agentId, sentAt }, bearer(tokens.get(agentId)!));
        expect(res.status).toBe(200);
      }
      await w.scanner.scan();
    }
  };
  const go = (hash: string) => goTo(page, hash);
  const keys = (selector: string) =>
    page.locator(selector).evaluateAll((nodes) => nodes.map((n) => (n as HTMLElement).dataset.key));
  /** The alerts view's row of the alert about `subject` (an agent, or a cluster's `cluster_down`). */
  const alertRow = (subject: string) => page.locator(`#t-alerts-body tr[data-key$=".${subject}"]`);

  beforeAll(async () => {
    target = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const port = (target.address() as { port: number }).port;
    [w, browser] = await Promise.all([
      startTestWatcher({
        config: {
          heartbeatIntervalSeconds: 10,
          scanIntervalSeconds: 10,
          missedScansBeforeAlert: 3,
          agentlessEveryNScans: 1,
          probe: { attempts: 1, timeoutMs: 1000, intervalMs: 0 },
          groups: { production: { channels: ['sms', 'email'] }, test: { channels: ['console'] } },
          clusters: {
            db: { group: 'production', minHealthy: 2 },
            cache: { group: 'test', minHealthy: 1, memberPages: false },
          },
        },
      }),
      launchChromium(),
    ]);
    await add('sw-01', { agentless: true, probe: { type: 'tcp', host: '127.0.0.1', port } });
    for (const id of ['web-01', 'web-02', 'web-03']) await add(id, { parent: 'sw-01' });
    for (const id of ['db-01', 'db-02', 'db-03']) await add(id, { cluster: 'db' });
    for (const id of ['cache-01', 'cache-02']) await add(id, { group: 'test', cluster: 'cache' });
    for (const id of tokens.keys()) beating.add(id);
    await passScans(1);
    watched = await openWatchedPage(browser);
    page = watched.page;
    await page.goto(`${w.url}/#overview`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'overview');
  });

  afterEach(() => watched.assertNoErrors());

  afterAll(async () => {
    await closeChromium(browser);
    await w?.close();
    if (target.listening) await new Promise((resolve) => target.close(resolve));
  });

  it('shows the pages held behind a dead switch as held: parent sw-01, linking to the switch', async () => {
    await new Promise((resolve) => target.close(resolve));
    for (const id of ['web-01', 'web-02', 'web-03']) beating.delete(id);
    await passScans(3);

    await go('#alerts');
    const web = alertRow('web-02');
    await web.waitFor();
    const held = web.locator('td[data-label="paging"] .held');
    expect(await held.textContent()).toBe('held: parent sw-01');
    expect(await held.locator('a').getAttribute('href')).toBe('#agent/sw-01');
    expect(await web.locator('td[data-label="paging"] .lines > div').allTextContents()).toEqual([
      'sms + email',
      'opening: held (not sent while the hold lasts)',
    ]);
    const sw = alertRow('sw-01');
    expect(await sw.locator('.kind').textContent()).toBe('host unreachable');
    expect(await sw.locator('td[data-label="paging"] .held').isVisible()).toBe(false);
    expect(await sw.locator('td[data-label="paging"] .lines > div').nth(1).textContent()).toMatch(
      /^opening: sent /,
    );

    await held.locator('a').click();
    await waitForText(page, '#d-title', 'sw-01');
    await waitForText(page, '#d-probe', 'TCP connect to 127.0.0.1');
  });

  it("says in an agent's detail view what its ec2 or ssm probe asks AWS", async () => {
    await add('aws-01', { probe: { type: 'ec2', instanceId: 'i-0abc1234def567890' } });
    await add('aws-02', { agentless: true, probe: { type: 'ssm', instanceId: 'mi-0abc1234def567890' } });

    await go('#agent/aws-01');
    await waitForText(page, '#d-probe', 'EC2 status of i-0abc1234def567890');
    await go('#agent/aws-02');
    await waitForText(page, '#d-probe', 'SSM Agent ping of mi-0abc1234def567890');
  });

  it('shows a cluster below quorum with its cluster_down alert and its members, and the overview counts it', async () => {
    beating.delete('db-02');
    beating.delete('db-03');
    await passScans(3);

    await go('#clusters');
    const db = page.locator('#c-clusters article[data-key="db"]');
    await waitForText(page, '#clusters-count', '2 clusters, 1 below quorum');
    expect(await keys('#c-clusters article')).toEqual(['db', 'cache']);
    expect(await db.locator('h3 .st').textContent()).toBe('below quorum');
    expect(await db.locator('.c-up').textContent()).toBe('1 of 3');
    expect(await db.locator('.c-quorum').textContent()).toBe('at least 2 up');
    expect(await db.locator('.c-group').textContent()).toBe('production: sms + email');
    expect(await db.locator('.c-member-pages').textContent()).toBe('sent while the quorum holds');
    expect(await keys('#c-clusters [data-key="db"] ul.members li')).toEqual(['db-02', 'db-03', 'db-01']);
    expect(await db.locator('ul.members li').allTextContents()).toEqual([
      'db-02failed',
      'db-03failed',
      'db-01healthy',
    ]);
    expect(await db.locator('ul.members a').first().getAttribute('href')).toBe('#agent/db-02');
    const cache = page.locator('#c-clusters article[data-key="cache"]');
    expect(await cache.locator('h3 .st').textContent()).toBe('quorum held');
    expect(await cache.locator('.c-up').textContent()).toBe('2 of 2');
    expect(await cache.locator('.c-member-pages').textContent()).toBe(
      'recorded, never sent: only the quorum loss pages',
    );
    expect(await cache.locator('.c-alert').textContent()).toBe('none');
    expect(await page.locator('#nav-clusters-count').textContent()).toBe('1');

    // Refreshed in place: the same card element, updated.
    await db.evaluate((card) => {
      (card as HTMLElement & { marked?: boolean }).marked = true;
    });
    await refreshNow(page);
    expect(await db.evaluate((card) => (card as HTMLElement & { marked?: boolean }).marked)).toBe(true);

    await db.locator('.c-alert a').click();
    await page.waitForFunction(() => location.hash === '#alerts?cluster=db');
    const down = alertRow('db');
    await down.waitFor();
    expect(await keys('#t-alerts-body tr')).toHaveLength(3);
    expect(await down.locator('.kind').textContent()).toBe('cluster down');
    expect(await down.locator('td[data-label="alert"] a').getAttribute('href')).toBe('#clusters');
    expect(await down.locator('td[data-label="alert"]').textContent()).not.toContain('*');
    expect(await alertRow('db-03').locator('.held').textContent()).toBe('held: cluster db');
    expect(await alertRow('db-03').locator('.held a').getAttribute('href')).toBe('#clusters');

    await go('#overview');
    const attention = page.locator('#o-attention a', { hasText: 'below quorum' });
    expect(await attention.textContent()).toBe('1 cluster below quorum');
    expect(await attention.getAttribute('href')).toBe('#clusters');
    expect(await page.locator('#o-clusters').textContent()).toBe('2 configured, 1 below quorum');
    expect(await page.locator('#o-attention').textContent()).toContain('critical cluster down: cluster db');
  });

  it("shows an agent's parent on its page, and on the parent's page the agents behind it with their states", async () => {
    await go('#agent/web-02');
    await waitForText(page, '#d-parent', 'Behind sw-01');
    expect(await page.locator('#d-parent-link').getAttribute('href')).toBe('#agent/sw-01');
    expect(await page.locator('#d-parent-state').textContent()).toBe('unreachable');
    expect(await page.locator('#d-children-text').textContent()).toBe('No agent sits behind it.');

    await page.locator('#d-parent-link').click();
    await waitForText(page, '#d-children-text', '3 agents sit behind it');
    expect(await page.locator('#d-parent-none').isVisible()).toBe(true);
    expect(await keys('#d-children li')).toEqual(['web-01', 'web-02', 'web-03']);
    expect(await page.locator('#d-children li').allTextContents()).toEqual([
      'web-01failed',
      'web-02failed',
      'web-03failed',
    ]);

    await go('#agents?parent=sw-01');
    await waitForText(page, '#agents-count', '3 agents');
    expect(await keys('#t-agents-body tr')).toEqual(['web-01', 'web-02', 'web-03']);
    const parent = page.locator('#t-agents-body [data-key="web-01"] td[data-label="parent"] a');
    expect(await parent.textContent()).toBe('sw-01');
    expect(await parent.getAttribute('href')).toBe('#agent/sw-01');
  });

  it('reads the Clusters view on a phone without sideways scrolling; screenshots at both widths', async () => {
    for (const [size, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      await page.setViewportSize(viewport);
      await go('#clusters');
      await page.locator('#c-clusters article').first().waitFor();
      const wider = await page.evaluate(
        (max) =>
          document.scrollingElement!.scrollWidth > Math.min(max, document.scrollingElement!.clientWidth) + 1,
        viewport.width,
      );
      expect({ size, wider }).toEqual({ size, wider: false });
      await screenshot(page, `clusters-${size}`);
    }
    await page.setViewportSize(DESKTOP);
  });
});

describe('operator console: a fleet read in pages', () => {
  let w: TestWatcher;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;
  /** The watcher calls the page made, as `GET /v1/agents?limit=100`. */
  const asked: string[] = [];

  beforeAll(async () => {
    [w, browser] = await Promise.all([startTestWatcher(), launchChromium()]);
    for (let i = 0; i < 130; i++) {
      const agentId = `node-${String(i).padStart(3, '0')}`;
      const res = await w.call('POST', '/v1/agents', { agentId, group: i % 2 ? 'production' : 'test' });
      expect(res.status).toBe(201);
    }
    await w.scanner.scan();
    watched = await openWatchedPage(browser);
    page = watched.page;
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/v1/')) asked.push(`${request.method()} ${url.pathname}${url.search}`);
    });
  });

  afterEach(() => watched.assertNoErrors());

  afterAll(async () => {
    await closeChromium(browser);
    await w?.close();
  });

  it('shows the overview from the status and the open alerts alone: no read of the agents', async () => {
    await page.goto(`${w.url}/#overview`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'overview');
    await refreshNow(page);

    expect(await page.locator('#o-agents').textContent()).toBe('130');
    expect(asked.filter((call) => call.startsWith('GET /v1/agents'))).toEqual([]);
  });

  it('reads the agents a page at a time, loading the next as the list is scrolled to its end', async () => {
    asked.length = 0;
    await goTo(page, '#agents');
    await waitForText(page, '#agents-count', '100 agents, more to load');
    expect(await page.locator('#t-agents-body tr').count()).toBe(100);
    expect(asked.filter((call) => call.startsWith('GET /v1/agents'))).toEqual(['GET /v1/agents?limit=100']);

    await page.locator('#agents-more').scrollIntoViewIfNeeded();

    await waitForText(page, '#agents-count', '130 agents');
    expect(await page.locator('#agents-count').textContent()).toBe('130 agents');
    expect(await page.locator('#t-agents-body tr').count()).toBe(130);
    expect(await page.locator('#agents-more').isVisible()).toBe(false);
    expect(asked.filter((call) => call.startsWith('GET /v1/agents?limit=100&cursor='))).not.toEqual([]);
  });

  it('asks the watcher for the group chosen, and starts again from its first page', async () => {
    await selectAndRefresh(page, '#f-group', 'test');

    await waitForText(page, '#agents-count', '65 agents');
    const groups = await page
      .locator('#t-agents-body td[data-label="group"]')
      .evaluateAll((cells) => [...new Set(cells.map((c) => c.textContent))]);
    expect(groups).toEqual(['test']);
    expect(asked.at(-1)).toMatch(/^GET \/v1\/agents\?limit=100&group=test/);
  });
});
