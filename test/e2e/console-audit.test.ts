import type { Browser, Page } from 'playwright-core';
import {
  closeChromium,
  goTo,
  launchChromium,
  openWatchedPage,
  type WatchedPage,
  waitForText,
} from '../support/console-browser';
import { startTestWatcher, type TestWatcher } from '../support/watcher';

/**
 * The audit trail in the operator console (headless Chromium), against a local watcher on the manual
 * clock: more entries than one page holds, newest first, more loaded by the button, and a target's own.
 */
describe('operator console: the audit trail', () => {
  let w: TestWatcher;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;

  const cells = (row: number) => page.locator('#t-audit-body tr').nth(row).locator('td').allTextContents();

  beforeAll(async () => {
    [w, browser] = await Promise.all([startTestWatcher(), launchChromium()]);
    for (let i = 0; i < 104; i++) {
      const res = await w.call('POST', '/v1/agents', {
        agentId: `web-${String(i).padStart(3, '0')}`,
        group: 'test',
      });
      expect(res.status).toBe(201);
      w.clock.advance(1000);
    }
    expect((await w.call('PATCH', '/v1/agents/web-000', { group: 'production' })).status).toBe(200);
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

  it('lists the newest page of entries first, each with when, what, on what, by whom and what changed', async () => {
    await goTo(page, '#audit');

    await waitForText(page, '#audit-count', '100 entries, newest first, more to load');
    expect(await cells(0)).toEqual([
      '2026-11-23 12:01:44 UTC',
      'set',
      'agent:web-000',
      'local',
      '127.0.0.1',
      'group: test -> production',
    ]);
    expect((await cells(1)).slice(1, 3)).toEqual(['add', 'agent:web-103']);
    expect(await page.locator('#t-audit-body tr').count()).toBe(100);
    expect(await page.locator('#audit-more').isVisible()).toBe(true);
  });

  it('loads the next page by its button, to the oldest entry, and then offers no more', async () => {
    await goTo(page, '#audit');
    await waitForText(page, '#audit-count', 'more to load');

    await page.click('#audit-more');

    await waitForText(page, '#audit-count', '105 entries, newest first');
    expect(await page.locator('#t-audit-body tr').count()).toBe(105);
    expect((await cells(104)).slice(1, 3)).toEqual(['add', 'agent:web-000']);
    expect(await page.locator('#audit-more').isVisible()).toBe(false);
  });

  it("shows one target's entries, from the address or the filter", async () => {
    await goTo(page, '#audit?target=agent:web-000');
    await waitForText(page, '#audit-count', '2 entries');
    expect(await page.locator('#au-target').inputValue()).toBe('agent:web-000');

    await page.fill('#au-target', 'agent:web-050');
    await page.click('#au-filters button[type=submit]');

    await waitForText(page, '#audit-count', '1 entry');
    expect((await cells(0)).slice(1, 3)).toEqual(['add', 'agent:web-050']);
    expect(await page.evaluate(() => location.hash)).toBe('#audit?target=agent%3Aweb-050');
  });
});
