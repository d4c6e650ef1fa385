import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { runCommand } from '../../cli/command';
import { DEFAULT_CONSOLE_DEPS, makeConsoleCommand } from '../../cli/console/command';
import type { ConsoleProxy, Forward, ForwardAnswer } from '../../cli/console/proxy';
import { CONSOLE_CSP, CONSOLE_PAGE } from '../../cli/console-page';
import type { StatusAnswer } from '../../lambda/api/contract';
import { AGENT_STATES, type AgentState } from '../../lambda/domain/agent-states';
import { WATCHER_VERSION } from '../../lambda/version';
import { bundleEntry } from '../support/agent-helpers';
import { checkAnswersOf } from '../support/checked-servers';
import {
  closeChromium,
  launchChromium,
  openWatchedPage,
  refreshNow,
  type WatchedPage,
  waitForText,
} from '../support/console-browser';
import { bearer, startCheckedConsoleProxy, startTestWatcher, type TestWatcher } from '../support/watcher';

/** A raw HTTP request, so a test can send a Host header of its choosing. */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

type GroupInEffect = StatusAnswer['config']['groups'][string];

/**
 * A status as the watcher answers it (lambda/api/contract.ts), played by the test: its groups, each
 * with no agents and the settings given (the rest as a group of the config's defaults has them).
 */
function statusAnswer(options: {
  readonly lastScanAt: number;
  readonly groups: Readonly<Record<string, Partial<GroupInEffect>>>;
  readonly scanTickSeconds?: number;
}): StatusAnswer {
  const noAgents = Object.fromEntries(AGENT_STATES.map((state) => [state, 0])) as Record<AgentState, number>;
  const group: GroupInEffect = {
    channels: ['console'],
    autoApprove: false,
    heartbeatIntervalSeconds: 30,
    scanIntervalSeconds: 30,
    missedScansBeforeAlert: 3,
    renotifyMinutes: 0,
    agentlessEveryNScans: 1,
    recoverAfterScans: 1,
    onRestart: 'record',
  };
  const names = Object.keys(options.groups);
  return {
    version: '9.9.9',
    serverTime: new Date().toISOString(),
    lastScanAt: new Date(options.lastScanAt).toISOString(),
    countsAt: new Date(options.lastScanAt).toISOString(),
    agents: 0,
    openAlerts: 0,
    groups: Object.fromEntries(names.map((name) => [name, noAgents])),
    maintenance: {
      groups: Object.fromEntries(names.map((name) => [name, { current: null, next: [] }])),
      clusters: {},
    },
    config: {
      scanTickSeconds: options.scanTickSeconds ?? 30,
      stormFraction: 0.5,
      stormMinAgents: 10,
      resolvedAlertRetentionDays: 30,
      auditRetentionDays: 365,
      groups: Object.fromEntries(
        Object.entries(options.groups).map(([name, own]) => [name, { ...group, ...own }]),
      ),
      clusters: {},
    },
  };
}

const json = (status: number, body: unknown): ForwardAnswer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** `hbw console`: the page served on 127.0.0.1, its calls forwarded to the watcher with the CLI's credentials. */
describe('hbw console: the console in front of a watcher', () => {
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    watched = await openWatchedPage(browser);
    page = watched.page;
  });
  // Each test points the page at a server of its own: park it, so it polls nothing that closes.
  afterEach(async () => {
    await page.goto('about:blank');
    watched.assertNoErrors();
  });
  afterAll(() => closeChromium(browser));

  describe('against a local watcher', () => {
    let w: TestWatcher;
    beforeAll(async () => {
      w = await startTestWatcher();
    });
    afterAll(() => w?.close());

    it('prints its URL, opens it with --open, serves the page and forwards what the page does', async () => {
      const out: string[] = [];
      const opened: string[] = [];
      let stop: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      const command = makeConsoleCommand({
        ...DEFAULT_CONSOLE_DEPS,
        openBrowser: (url) => opened.push(url),
        stopped: () => stopped,
      });
      const running = runCommand(command, ['--endpoint', w.url, '--port', '0', '--open'], {
        out: (t) => out.push(t),
        err: (t) => out.push(`ERR ${t}`),
        env: {},
      });
      while (out.length === 0) await new Promise((r) => setTimeout(r, 10));
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out[0]!)?.[1];
      const unchecked = checkAnswersOf(url!, 'console proxy');
      expect(out[0]).toContain(`console for ${w.url} (watcher ${WATCHER_VERSION}) at ${url}`);
      expect(opened).toEqual([url]);

      const key = (await w.call('POST', '/v1/groups/test/enrollment-key')).body.key;
      const reg = await w.call('POST', '/v1/register', { agentId: 'lab-01', group: 'test' }, bearer(key));
      expect(reg.status).toBe(201);

      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      const res = await page.goto(`${url}#pending`);
      expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");
      await page.waitForFunction(() => document.documentElement.dataset.ready === 'overview');
      await page.getByRole('button', { name: 'Approve lab-01' }).click();
      await waitForText(page, '#toast', 'lab-01 approved');
      expect((await w.call('GET', '/v1/agents/lab-01')).body.approval).toBe('approved');
      // Everything the page loaded came from the console server: no CDN, no font, nothing else.
      expect(requested.filter((r) => !r.startsWith(url!))).toEqual([]);
      page.removeAllListeners('request');
      await page.goto('about:blank');

      stop();
      expect(await running).toBe(0);
      unchecked();
      await expect(fetch(url!)).rejects.toThrow();
    });

    it("forwards the reads of an agent's page: the agent, its parent and the agents behind it", async () => {
      const probe = { type: 'tcp', host: '127.0.0.1', port: 9 };
      await w.call('POST', '/v1/agents', { agentId: 'sw-09', group: 'production', agentless: true, probe });
      await w.call('POST', '/v1/agents', { agentId: 'web-91', group: 'production', parent: 'sw-09' });
      const asked: string[] = [];
      const proxy = await startCheckedConsoleProxy({
        port: 0,
        forward: async (method, path, body) => {
          asked.push(`${method} ${path}`);
          const res = await w.call(method, path, body);
          return {
            status: res.status,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(res.body),
          };
        },
      });
      try {
        await page.goto(`${proxy.url}#agent/sw-09`);
        await waitForText(page, '#d-children-text', '1 agent sits behind it');
        expect(await page.locator('#d-children li a').allTextContents()).toEqual(['web-91']);
        expect(asked).toContain('GET /v1/agents?limit=1000&parent=sw-09');

        await page.goto(`${proxy.url}#agent/web-91`);
        await waitForText(page, '#d-parent', 'Behind sw-09');
        expect(asked).toContain('GET /v1/agents/sw-09');
      } finally {
        await page.goto('about:blank');
        await proxy.close();
      }
    });

    it('starts and says so when GET /v1/status answers 200 with something that is not JSON', async () => {
      const out: string[] = [];
      const io = { out: (t: string) => out.push(t), err: () => undefined, env: {} };
      const command = makeConsoleCommand({
        ...DEFAULT_CONSOLE_DEPS,
        forwardVia: () => async () => ({ status: 200, headers: {}, body: '<html>a login page</html>' }),
        stopped: async () => undefined,
      });

      expect(await runCommand(command, ['--endpoint', w.url, '--port', '0'], io)).toBe(0);
      expect(out.join('\n')).toMatch(/answered 200 but not with JSON: is this the watcher\?/);
    });

    it('says when the port is taken (exit 1) and refuses a port that is not one (exit 2)', async () => {
      const proxy = await startCheckedConsoleProxy({ forward: async () => json(200, {}), port: 0 });
      const port = new URL(proxy.url).port;
      const errors: string[] = [];
      const io = { out: () => undefined, err: (t: string) => errors.push(t), env: {} };
      const command = makeConsoleCommand({ ...DEFAULT_CONSOLE_DEPS, stopped: async () => undefined });
      expect(await runCommand(command, ['--endpoint', w.url, '--port', port], io)).toBe(1);
      expect(errors.pop()).toBe(`hbw: port ${port} on 127.0.0.1 is in use; pick another with --port`);
      expect(await runCommand(command, ['--endpoint', w.url, '--port', 'eighty'], io)).toBe(2);
      expect(errors.pop()).toContain('--port must be a port number, not "eighty"');
      await proxy.close();
    });
  });

  describe('the proxy alone, with a forward the test plays', () => {
    let proxy: ConsoleProxy;
    let calls: { method: string; path: string; body?: string }[];
    let answer: Forward;
    const console1 = { 'x-hbw-console': '1' };

    beforeAll(async () => {
      proxy = await startCheckedConsoleProxy({
        forward: (method, path, body) => {
          calls.push({ method, path, body });
          return answer(method, path, body);
        },
        port: 0,
      });
    });
    beforeEach(() => {
      calls = [];
      answer = async () => json(200, { agents: [] });
    });
    afterAll(() => proxy?.close());

    it("forwards the console's calls as asked: method, path, query and body", async () => {
      const got = await fetch(`${proxy.url}v1/agents?group=test&state=late`, { headers: console1 });
      expect(got.status).toBe(200);
      expect(await got.json()).toEqual({ agents: [] });
      answer = async () => json(404, { error: { code: 'not_found', message: 'no agent web-01' } });
      const body = JSON.stringify({ until: '2030-01-01T00:00:00Z', reason: 'move' });
      const put = await fetch(`${proxy.url}v1/agents/web-01/maintenance`, {
        method: 'PUT',
        headers: {
          ...console1,
          'content-type': 'application/json',
          authorization: 'Bearer from-the-browser',
        },
        body,
      });
      expect(put.status).toBe(404);
      expect(await put.json()).toEqual({ error: { code: 'not_found', message: 'no agent web-01' } });
      expect(calls).toEqual([
        { method: 'GET', path: '/v1/agents?group=test&state=late', body: undefined },
        { method: 'PUT', path: '/v1/agents/web-01/maintenance', body },
      ]);
    });

    it("refuses calls the console never makes, calls without the console's header, and other host names", async () => {
      const tries = [
        fetch(`${proxy.url}v1/status`),
        fetch(`${proxy.url}v1/groups/test/enrollment-key`, { method: 'POST', headers: console1 }),
        fetch(`${proxy.url}v1/agents/web-01/rotate-token`, { method: 'POST', headers: console1 }),
        fetch(`${proxy.url}v1/agents/web-01`, { method: 'DELETE', headers: console1 }),
        fetch(`${proxy.url}v1/agents/web-01`, {
          method: 'PATCH',
          headers: console1,
          body: '{"parent":null}',
        }),
        fetch(`${proxy.url}v1/alerts/x/ack`, { method: 'POST', headers: console1, body: 'x'.repeat(9000) }),
      ];
      const statuses = await Promise.all(tries.map(async (t) => (await t).status));
      expect(statuses).toEqual([403, 404, 404, 405, 405, 413]);
      const port = new URL(proxy.url).port;
      const rebound = await raw(`${proxy.url}v1/status`, {
        headers: { ...console1, host: `evil.example:${port}` },
      });
      expect(rebound.status).toBe(403);
      const page1 = await raw(proxy.url, { headers: { host: `evil.example:${port}` } });
      expect(page1.status).toBe(403);
      expect(calls).toEqual([]);
      expect((await raw(proxy.url, { headers: { host: `localhost:${port}` } })).status).toBe(200);
    });

    it('serves the page gzip-compressed to a browser that takes it', async () => {
      const got = await raw(proxy.url, { headers: { 'accept-encoding': 'gzip, deflate' } });
      expect(got.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(got.body).toString('utf8')).toBe(CONSOLE_PAGE);
      const favicon = await raw(`${proxy.url}favicon.ico`);
      expect(favicon).toMatchObject({ status: 200, headers: { 'content-type': 'image/svg+xml' } });
    });

    /** A small watcher played by the test: one group, no agents, a status of its choosing. */
    const fakeWatcher =
      (status: () => unknown): Forward =>
      async (_method, path) => {
        if (path === '/v1/status') return json(200, status());
        if (path.startsWith('/v1/alerts')) return json(200, { alerts: [] });
        if (path.startsWith('/v1/agents')) return json(200, { agents: [] });
        return json(404, { error: { code: 'not_found', message: 'no' } });
      };

    it('says on the page when the watcher cannot be reached, and recovers when it answers', async () => {
      answer = async () => {
        throw new Error('cannot reach the watcher at https://hbw.example.net (ENOTFOUND)');
      };
      watched.expectErrors(/status of 502/);
      await page.goto(proxy.url);
      const text = await waitForText(page, '#error-text', 'ENOTFOUND');
      expect(text).toContain('cannot reach the watcher at https://hbw.example.net (ENOTFOUND)');

      const now = Date.now();
      answer = fakeWatcher(() => statusAnswer({ lastScanAt: now, groups: { production: {} } }));
      await refreshNow(page);
      await waitForText(page, '#o-version', '9.9.9');
      expect(await page.locator('#error').isVisible()).toBe(false);
    });

    it('refreshes every 5 s while shown, asks nothing while the tab is hidden, and catches up when shown', async () => {
      answer = fakeWatcher(() => statusAnswer({ lastScanAt: Date.now(), groups: { production: {} } }));
      // A page of its own: the fake clock stays installed on it.
      const own = await openWatchedPage(browser);
      const page = own.page;
      await page.clock.install();
      await page.goto(proxy.url);
      await waitForText(page, '#o-version', '9.9.9');
      const asked = () => calls.filter((c) => c.path === '/v1/status').length;
      expect(asked()).toBe(1);
      await page.clock.runFor(5_100);
      await page.waitForFunction(() => document.documentElement.dataset.refreshed === '2');
      expect(asked()).toBe(2);

      await page.evaluate(() =>
        Object.defineProperty(document, 'hidden', { value: true, configurable: true }),
      );
      await page.clock.runFor(60_000);
      expect(asked()).toBe(2);
      await page.evaluate(() => {
        Object.defineProperty(document, 'hidden', { value: false, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await page.waitForFunction(() => document.documentElement.dataset.refreshed === '3');
      expect(asked()).toBe(3);
      await page.context().close();
      own.assertNoErrors();
    });

    it('shows the config in effect when the watcher reports it, and judges "behind" by its scan tick', async () => {
      let lastScanAgo = 5_000;
      answer = fakeWatcher(() =>
        statusAnswer({
          lastScanAt: Date.now() - lastScanAgo,
          scanTickSeconds: 10,
          groups: {
            production: {
              channels: ['sms', 'email'],
              heartbeatIntervalSeconds: 30,
              scanIntervalSeconds: 10,
              missedScansBeforeAlert: 3,
              renotifyMinutes: 60,
            },
            test: {
              channels: ['console'],
              heartbeatIntervalSeconds: 60,
              scanIntervalSeconds: 30,
              missedScansBeforeAlert: 5,
              autoApprove: true,
            },
          },
        }),
      );
      await page.goto(proxy.url);
      await waitForText(page, '#o-interval', '10s');
      expect(await page.locator('#o-interval').textContent()).toBe('10s');
      const rows = await page
        .locator('#o-config-groups tr')
        .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent)));
      expect(rows).toEqual([
        ['production', 'sms, email', '30s', '10s', '3 missed', '60 min', 'no'],
        ['test', 'console', '60s', '30s', '5 missed', 'never', 'yes'],
      ]);
      expect(await page.locator('#o-groups [data-key="test"] .chan').textContent()).toBe(
        'console only (recorded, never sent)',
      );
      expect(await page.locator('#behind').isVisible()).toBe(false);

      lastScanAgo = 29_000;
      await refreshNow(page);
      expect(await page.locator('#behind').isVisible()).toBe(false);

      lastScanAgo = 31_000;
      await refreshNow(page);
      const behind = await waitForText(page, '#behind-text', 'The watcher is behind');
      expect(behind).toContain('more than three scan intervals (30s)');
    });
  });

  it('runs as the release build bundles it (esbuild), the script built into the bundle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hbw-console-page-'));
    const outfile = join(dir, 'console-page.js');
    await bundleEntry('cli/console-page.ts', outfile);
    const bundled = require(outfile) as { CONSOLE_PAGE: string; CONSOLE_CSP: string };
    rmSync(dir, { recursive: true, force: true });
    const html = bundled.CONSOLE_PAGE;
    // The release carries the very script the source builds, so the policy's hash admits it.
    expect(html).toBe(CONSOLE_PAGE);
    expect(bundled.CONSOLE_CSP).toBe(CONSOLE_CSP);
    const origin = 'http://console.invalid';
    const now = new Date().toISOString();
    await page.route(`${origin}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/') return route.fulfill({ contentType: 'text/html', body: html });
      if (path === '/favicon.svg') return route.fulfill({ contentType: 'image/svg+xml', body: '<svg/>' });
      if (path === '/v1/status') {
        return route.fulfill({
          json: {
            version: 'bundled',
            serverTime: now,
            lastScanAt: now,
            agents: 0,
            openAlerts: 0,
            groups: { test: {} },
          },
        });
      }
      return route.fulfill({ json: path === '/v1/alerts' ? { alerts: [] } : { agents: [] } });
    });
    await page.goto(`${origin}/`);
    await waitForText(page, '#o-version', 'bundled');
    await page.unrouteAll();
  });

  describe('a watcher bound off loopback, behind HBW_ADMIN_TOKEN', () => {
    let w: TestWatcher;
    const token = 'a-long-random-admin-token-for-the-test';
    beforeAll(async () => {
      w = await startTestWatcher({ adminToken: token });
    });
    afterAll(() => w?.close());

    it('asks for the admin token, sends it as bearer, and keeps it for this tab only', async () => {
      watched.expectErrors(/status of 401/);
      await page.goto(`${w.url}/`);
      await waitForText(page, '#error-text', 'needs its admin token');
      await page.getByRole('button', { name: 'Enter admin token' }).click();
      await page.fill('#token-input', token);
      await page.keyboard.press('Enter');
      await waitForText(page, '#o-version', WATCHER_VERSION);
      expect(await page.locator('#error').isVisible()).toBe(false);
      expect(await page.evaluate(() => sessionStorage.getItem('hbw.adminToken'))).toBe(token);
      expect(await page.evaluate(() => localStorage.getItem('hbw.adminToken'))).toBeNull();

      await page.click('#token-open');
      await page.click('#token-forget');
      await waitForText(page, '#error-text', 'needs its admin token');
      expect(await page.evaluate(() => sessionStorage.getItem('hbw.adminToken'))).toBeNull();
    });
  });
});
