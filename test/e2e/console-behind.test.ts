import type { Browser, Page } from 'playwright-core';
import {
  closeChromium,
  launchChromium,
  openWatchedPage,
  refreshNow,
  type WatchedPage,
  waitForText,
} from '../support/console-browser';
import { startTestWatcher, TEST_CONFIG, type TestWatcher } from '../support/watcher';

/**
 * The console's "behind" banner with 1 s scans, as on a busy machine: it judges the status it was
 * answered, not a clock that ticks on while no refresh has come, and shows the age as judged.
 */
describe('the console on a watcher with 1 s scans', () => {
  let w: TestWatcher;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;
  const banner = () => page.locator('#behind');

  beforeAll(async () => {
    [w, browser] = await Promise.all([
      startTestWatcher({ config: { ...TEST_CONFIG, scanIntervalSeconds: 1, heartbeatIntervalSeconds: 1 } }),
      launchChromium(),
    ]);
    watched = await openWatchedPage(browser);
    page = watched.page;
    await w.scanner.scan();
    await page.goto(`${w.url}/`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'overview');
  });
  afterEach(() => watched.assertNoErrors());
  afterAll(async () => {
    await closeChromium(browser);
    await w?.close();
  });

  it('does not call the scanner behind while the page waits for its next refresh', async () => {
    await refreshNow(page);

    // Longer than two 1 s intervals pass in the page, with no refresh: nothing new is known.
    await page.waitForTimeout(2500);

    expect(await banner().isVisible()).toBe(false);
  });

  it('allows a scan still running: no banner at 2.9 s, more than two intervals but not three', async () => {
    w.clock.advance(2900);
    await refreshNow(page);

    expect(await banner().isVisible()).toBe(false);
  });

  it('warns past three intervals, with an age to the tenth that exceeds the limit it names', async () => {
    w.clock.advance(600);
    await refreshNow(page);

    const text = await waitForText(page, '#behind-text', 'The watcher is behind');
    expect(text).toMatch(/its last scan was 3\.[5-9]s ago, more than three scan intervals \(3s\)/);
  });

  it('clears the banner once the watcher scans again', async () => {
    await w.scanner.scan();
    await refreshNow(page);

    expect(await banner().isVisible()).toBe(false);
  });
});
