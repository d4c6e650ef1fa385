import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserServer, chromium, type Page } from 'playwright-core';

/** Debian's chromium; CI installs it (.ci/run). CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const SCREENSHOT_DIR = join(__dirname, '..', '..', 'docs', 'screenshots');

/** How long a browser may take to close before its process is killed. */
const CLOSE_GRACE_MS = 5000;

const servers = new WeakMap<Browser, BrowserServer>();

/**
 * Chromium, headless, with a fresh profile. Fails (never skips) when it is not installed. It runs as
 * a browser server so that `closeChromium` holds its process and can kill it.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  const server = await chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const browser = await chromium.connect(server.wsEndpoint());
  servers.set(browser, server);
  return browser;
}

/**
 * Closes a browser from `launchChromium`, killing its process when a graceful close takes longer
 * than CLOSE_GRACE_MS. A CI run once saw a close hang past the 30 s hook timeout on a loaded
 * machine, after every test in the file had passed.
 */
export async function closeChromium(browser: Browser | undefined): Promise<void> {
  if (!browser) return;
  const server = servers.get(browser);
  let timer: NodeJS.Timeout | undefined;
  const graceful = Promise.resolve()
    .then(() => browser.close())
    .then(() => server?.close());
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), CLOSE_GRACE_MS);
  });
  const outcome = await Promise.race([graceful, expired]).finally(() => clearTimeout(timer));
  if (outcome === 'expired') await server?.kill();
}

/** A page whose console errors and uncaught exceptions are collected, so a test can fail on them. */
export interface WatchedPage {
  readonly page: Page;
  /** Errors seen so far that no `expectErrors` pattern admitted. */
  readonly errors: string[];
  /** Admits console errors matching `pattern` (a failed request the test provokes on purpose). */
  expectErrors(pattern: RegExp): void;
  /** Throws when the page logged an error nobody expected; clears the expectations. */
  assertNoErrors(): void;
}

export async function openWatchedPage(browser: Browser, viewport = DESKTOP): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  const page = await context.newPage();
  const errors: string[] = [];
  let allowed: RegExp[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (!allowed.some((pattern) => pattern.test(text))) errors.push(`console.error: ${text}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));
  return {
    page,
    errors,
    expectErrors(pattern) {
      allowed.push(pattern);
    },
    assertNoErrors() {
      const seen = errors.splice(0);
      allowed = [];
      if (seen.length > 0) throw new Error(`the page logged errors:\n${seen.join('\n')}`);
    },
  };
}

const started = (page: Page) => page.evaluate(() => Number(document.documentElement.dataset.refreshing ?? 0));

/** Waits until a refresh that started after `since` has finished. */
async function refreshedAfter(page: Page, since: number): Promise<void> {
  await page.waitForFunction((s) => Number(document.documentElement.dataset.refreshed ?? 0) > s, since, {
    timeout: 10_000,
  });
}

/** Refreshes the console now (it refreshes when it becomes visible) and waits for what it saw. */
export async function refreshNow(page: Page): Promise<void> {
  const since = await started(page);
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await refreshedAfter(page, since);
}

/** Chooses `value` in the select `selector` and waits for the refresh it starts (the agents view's filters are the watcher's). */
export async function selectAndRefresh(page: Page, selector: string, value: string): Promise<void> {
  const since = await started(page);
  await page.selectOption(selector, value);
  await refreshedAfter(page, since);
}

/** Follows `hash` (`#agents?group=test`) as a link would, and waits until the view shows fresh data. */
export async function goTo(page: Page, hash: string): Promise<void> {
  const since = await started(page);
  await page.evaluate((h) => {
    if (location.hash === h) document.dispatchEvent(new Event('visibilitychange'));
    else location.hash = h;
  }, hash);
  await refreshedAfter(page, since);
}

/** Waits until `selector`'s text contains `text`, and answers the text. */
export async function waitForText(page: Page, selector: string, text: string): Promise<string> {
  const handle = await page.waitForFunction(
    ([sel, want]) => {
      const node = document.querySelector(sel as string);
      return node?.textContent?.includes(want as string) ? node.textContent : false;
    },
    [selector, text],
    { timeout: 10_000 },
  );
  return (await handle.jsonValue()) as string;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}
