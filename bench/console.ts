// The operator console's cost: what the browser downloads, and how soon the overview shows with
// thousands of agents in local mode. Returns plain numbers; bench/run.ts decides where they go.

import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CONSOLE_ASSETS } from '../cli/console/routes';
import { startLocalWatcher } from '../cli/local-watcher';
import { parseConfig } from '../lambda/domain/config';
import { CHROMIUM_ARGS } from '../test/support/console-browser';
import { median } from './common';

export interface ConsoleBenchOptions {
  /** Agents in the watcher. @default 5000 */
  readonly agents?: number;
  /** Page loads measured, after one warm-up load. @default 5 */
  readonly loads?: number;
  /** @default /usr/bin/chromium, or CHROMIUM_PATH */
  readonly chromiumPath?: string;
}

export interface ConsoleBenchResult {
  readonly agents: number;
  /** Bytes of every asset the console loads (the page with its inline style and script, the icon). */
  readonly pageBytes: number;
  /** The same, each gzip-compressed (level 9). Goal: under 150 KB. */
  readonly pageGzipBytes: number;
  /** Navigation start to the overview rendered with the watcher's counts, median of `loads`. Goal: under 1000 ms. */
  readonly firstRenderMs: number;
  /** The slowest of those loads. */
  readonly firstRenderMaxMs: number;
  /** `GET /v1/status` alone, median of `loads`: most of the first render is the watcher counting. */
  readonly statusApiMs: number;
  /** Navigation start to the agents view's first rows (all agents fetched, filtered, sorted, 100 rows drawn), median. */
  readonly agentsViewMs: number;
}

const round = (x: number) => Math.round(x * 10) / 10;

/** Fills a local watcher with `n` agents: most beating, some never heard from, a few pending. */
async function seed(watcher: Awaited<ReturnType<typeof startLocalWatcher>>, n: number): Promise<void> {
  const ids = Array.from({ length: n }, (_, i) => i);
  const work = async (i: number) => {
    const group = i % 5 === 0 ? 'test' : 'production';
    const agentId = `node-${String(i).padStart(5, '0')}`;
    const { token } = await watcher.service.addAgent({ agentId, group, cluster: `c${i % 20}` });
    if (i % 50 !== 0 && token) {
      await watcher.service.heartbeat(token, {
        agentId,
        sentAt: new Date().toISOString(),
        endpoint: i % 7 === 0 ? 'https://hbw-failover.example.net' : 'https://hbw.example.net',
        version: '1.4.2',
      });
    }
  };
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) await work(i);
    }),
  );
  await watcher.scanner.scan();
}

export async function benchConsole(options: ConsoleBenchOptions = {}): Promise<ConsoleBenchResult> {
  const agents = options.agents ?? 5000;
  const loads = options.loads ?? 5;
  const pageBytes = CONSOLE_ASSETS.reduce((n, a) => n + Buffer.byteLength(a.body), 0);
  const pageGzipBytes = CONSOLE_ASSETS.reduce((n, a) => n + gzipSync(a.body, { level: 9 }).length, 0);

  const watcher = await startLocalWatcher({
    config: parseConfig({
      groups: { production: { channels: ['sms', 'email'] }, test: { channels: ['console'] } },
    }),
    port: 0,
    scanning: false,
    print: () => undefined,
  });
  const browser = await chromium.launch({
    executablePath: options.chromiumPath ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  try {
    await seed(watcher, agents);
    const firstRender: number[] = [];
    const agentsView: number[] = [];
    const statusApi: number[] = [];
    const settle = () => new Promise((resolve) => setTimeout(resolve, 500));
    for (let i = 0; i <= loads; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      // A fresh tab on a quiet machine: the last load's teardown must not be measured in this one.
      await settle();
      const page = await context.newPage();
      await page.goto(`${watcher.url}/`);
      await page.waitForFunction(() => document.documentElement.dataset.ready === 'overview', null, {
        timeout: 30_000,
      });
      const rendered = await page.evaluate(
        () => performance.getEntriesByName('hbw-overview', 'mark')[0]?.startTime ?? Number.NaN,
      );
      await page.goto('about:blank');
      await settle();
      await page.goto(`${watcher.url}/#agents`);
      await page.waitForSelector('#t-agents-body tr', { timeout: 30_000 });
      const rows = await page.evaluate(() => performance.now());
      await context.close();
      await settle();
      const started = performance.now();
      const res = await fetch(`${watcher.url}/v1/status`);
      await res.json();
      const status = performance.now() - started;
      if (i === 0) continue; // warm-up: the first load also compiles and caches
      firstRender.push(rendered);
      agentsView.push(rows);
      statusApi.push(status);
    }
    return {
      agents,
      pageBytes,
      pageGzipBytes,
      firstRenderMs: round(median(firstRender)),
      firstRenderMaxMs: round(Math.max(...firstRender)),
      statusApiMs: round(median(statusApi)),
      agentsViewMs: round(median(agentsView)),
    };
  } finally {
    await browser.close();
    await watcher.close();
  }
}
