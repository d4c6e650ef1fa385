import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import {
  closeChromium,
  goTo,
  launchChromium,
  openWatchedPage,
  refreshNow,
  type WatchedPage,
  waitForText,
} from '../support/console-browser';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

/**
 * The console on a watcher whose production group escalates to managers after 5 min and may send 2
 * SMS a day, with a reminder every minute: what an operator sees of both. An ops group pages by
 * email and a json webhook that answers 500 until told otherwise: what its alert still owes the
 * webhook.
 */
describe('the console with escalation and an SMS budget', () => {
  let w: TestWatcher;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;
  let hook: Server;
  let hookDown = true;

  beforeAll(async () => {
    hook = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(hookDown ? 500 : 200).end());
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    [w, browser] = await Promise.all([
      startTestWatcher({
        webhookRetries: { attempts: 1 },
        config: {
          heartbeatIntervalSeconds: 30,
          scanIntervalSeconds: 30,
          missedScansBeforeAlert: 3,
          renotifyMinutes: 1,
          groups: {
            production: {
              channels: ['sms', 'email'],
              smsBudget: { perDay: 2 },
              escalation: [{ after: '5m', group: 'managers' }],
            },
            managers: { channels: ['email'] },
            ops: {
              channels: ['email', 'webhook'],
              webhooks: [{ name: 'hook', format: 'json', url: hookUrl }],
            },
          },
        },
      }),
      launchChromium(),
    ]);
    const token = await w.addAgent('web-01');
    expect((await w.call('POST', '/v1/heartbeat', { agentId: 'web-01' }, bearer(token))).status).toBe(200);
    const opsToken = await w.addAgent('db-01', 'ops');
    expect((await w.call('POST', '/v1/heartbeat', { agentId: 'db-01' }, bearer(opsToken))).status).toBe(200);
    await w.scanner.scan();
    watched = await openWatchedPage(browser);
    page = watched.page;
    await page.goto(`${w.url}/`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'overview');
  });
  afterEach(() => watched.assertNoErrors());
  afterAll(async () => {
    await closeChromium(browser);
    await w?.close();
    hook?.close();
  });

  const budget = () => page.locator('#o-groups [data-key="production"] .sms-budget');

  it('shows what a group spent of its SMS budget today, and none on a group without one', async () => {
    await refreshNow(page);

    expect(await budget().textContent()).toBe('SMS today 0/2');
    expect(await page.locator('#o-groups [data-key="managers"] .sms-budget').isVisible()).toBe(false);
  });

  it('says when the budget is reached, and shows each escalation step on the alert', async () => {
    // web-01 is paged after 3 silent scans, then reminded every minute: the budget runs out.
    for (let i = 0; i < 3; i++) {
      w.clock.advance(30_000);
      await w.scanner.scan();
    }
    for (let i = 0; i < 6; i++) {
      w.clock.advance(60_000);
      await w.scanner.scan();
    }
    await refreshNow(page);

    expect(await waitForText(page, '#o-groups [data-key="production"] .sms-budget', 'reached')).toBe(
      'SMS today 2/2: budget reached, more in email and the console',
    );
    expect(await budget().evaluate((n) => n.classList.contains('bad'))).toBe(true);
    await goTo(page, '#alerts');
    const paging = page
      .locator('#t-alerts-body tr', { hasText: 'web-01' })
      .locator('td[data-label="paging"]');
    await paging.waitFor();
    expect(await paging.locator('.lines > div').allTextContents()).toEqual([
      'sms + email',
      expect.stringMatching(/^opening: sent 2026-11-23 12:01:30 UTC$/),
      expect.stringMatching(/^escalated to managers after 5m: sent 2026-11-23 12:06:30 UTC$/),
    ]);
  });

  it('shows what a page whose webhook failed still owes it, until the webhook has it', async () => {
    // db-01 went silent with web-01 and was paged: its email went, its webhook answered 500.
    await goTo(page, '#alerts');
    const paging = page.locator('#t-alerts-body tr', { hasText: 'db-01' }).locator('td[data-label="paging"]');
    await paging.waitFor();
    const lines = () => paging.locator('.lines > div').allTextContents();
    expect(await lines()).toEqual([
      'email + webhook',
      expect.stringMatching(/^opening: sent /),
      'opening to webhook: pending (the next scan sends it)',
      expect.stringMatching(/^last error: .*500/),
    ]);

    hookDown = false;
    w.clock.advance(30_000);
    await w.scanner.scan();
    await refreshNow(page);
    await paging.locator('.lines > div', { hasText: 'opening to webhook: sent' }).waitFor();
    expect(await lines()).toContain('opening to webhook: sent');
  });
});
