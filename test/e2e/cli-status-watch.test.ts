import { WatcherClient } from '../../cli/client';
import type { CommandContext } from '../../cli/command';
import { renderStatus, type StatusAnswer, watchStatus } from '../../cli/commands/status';
import { paint, table, useColour } from '../../cli/output';
import { hbwAt } from '../support/run-cli';
import { startTestWatcher, type TestWatcher } from '../support/watcher';

const ESC = '\u001b[';

function contextFor(endpoint: string, json = false): CommandContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    args: [],
    values: {},
    json,
    env: {},
    client: () => new WatcherClient(endpoint),
    out: (text) => lines.push(text),
    err: (text) => lines.push(`ERR ${text}`),
    lines,
  };
}

/** Resolves after `n` frames were printed; the watch then stops. */
async function watchFrames(ctx: ReturnType<typeof contextFor>, n: number, clear = false) {
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const done = watchStatus(ctx, { intervalMs: 20, stopped, colour: false, clear });
  while (ctx.lines.length < n) await new Promise((r) => setTimeout(r, 5));
  stop();
  expect(await done).toBe(0);
  return ctx.lines;
}

describe('hbw status --watch and colour', () => {
  let w: TestWatcher;
  beforeAll(async () => {
    w = await startTestWatcher();
    await w.addAgent('web-01');
    await w.scanner.scan();
  });
  afterAll(() => w.close());

  it('renders again and again until stopped, each frame from a fresh answer', async () => {
    const ctx = contextFor(w.url);
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const done = watchStatus(ctx, { intervalMs: 20, stopped, colour: false, clear: false });
    const until = async (seen: () => boolean) => {
      while (!seen()) await new Promise((r) => setTimeout(r, 5));
    };
    await until(() => ctx.lines.length > 0);
    await w.addAgent('web-02');
    // The counts are the last scan's: the new agent shows once a scan counted it.
    w.clock.advance(1000);
    await w.scanner.scan();
    await until(() => ctx.lines.some((l) => l.includes(': 2 agents')));
    stop();
    expect(await done).toBe(0);
    const printed = ctx.lines.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(ctx.lines.length).toBe(printed);
    expect(ctx.lines[0]).toContain(': 1 agents as of the last scan, last scan ');
    expect(ctx.lines[0]).toContain(', 0 open alerts');
    expect(ctx.lines.join('')).not.toContain(ESC);
  });

  it('on a terminal, clears the screen before each frame', async () => {
    const frames = await watchFrames(contextFor(w.url), 2, true);
    for (const frame of frames) expect(frame.startsWith(`${ESC}H${ESC}2J`)).toBe(true);
    expect(frames[0]).toContain('Ctrl-C stops');
  });

  it('with --json prints one JSON object a line', async () => {
    const frames = await watchFrames(contextFor(w.url, true), 2);
    for (const frame of frames) expect(JSON.parse(frame)).toMatchObject({ agents: 2 });
    expect(frames.every((f) => !f.includes('\n'))).toBe(true);
  });

  it('keeps asking a watcher that stopped answering, and says so', async () => {
    const frames = await watchFrames(contextFor('http://127.0.0.1:9'), 2);
    expect(frames[1]).toContain('cannot reach the watcher at http://127.0.0.1:9');
    expect(frames[1]).toContain('asking again every 0.02 s');
  });

  it('--help shows --watch', async () => {
    const run = await hbwAt(w.url)('status', '--help');
    expect(run.out).toContain('--watch');
  });

  it('colours only a terminal without NO_COLOR', () => {
    expect(useColour({}, { isTTY: true })).toBe(true);
    expect(useColour({ NO_COLOR: '1' }, { isTTY: true })).toBe(false);
    expect(useColour({ NO_COLOR: '' }, { isTTY: true })).toBe(true);
    expect(useColour({}, { isTTY: false })).toBe(false);
    expect(useColour({}, {})).toBe(false);
  });

  it('colours states and keeps the columns aligned', () => {
    const s: StatusAnswer = {
      version: '1.0.0',
      serverTime: '2026-11-23T12:00:30.000Z',
      lastScanAt: '2026-11-23T12:00:00.000Z',
      agents: 12,
      openAlerts: 2,
      groups: { production: { healthy: 10, failed: 2 }, test: {} },
    };
    const coloured = renderStatus(s, 'http://x', true);
    const plain = renderStatus(s, 'http://x', false);
    expect(plain).not.toContain(ESC);
    expect(coloured).toContain(paint('10', 'green', true));
    expect(coloured).toContain(paint('2', 'red', true));
    expect(coloured).toContain(paint(', 2 open alerts', 'red', true));
    // Without its escape codes, the coloured table is the plain one, to the column.
    expect(coloured.replace(new RegExp(`${ESC.replace('[', '\\[')}\\d+m`, 'g'), '')).toBe(plain);
    expect(plain.split('\n')[0]).toBe(
      'watcher 1.0.0 at http://x: 12 agents, last scan 2026-11-23T12:00:00.000Z (30s ago), 2 open alerts',
    );
    expect(table(['A', 'B'], [['x', 'y']], (t) => `<${t}>`)).toBe('A  B\n<x>  <y>');
  });

  const withScanAged = (ms: number): StatusAnswer => ({
    version: '1.0.0',
    serverTime: new Date(Date.parse('2026-11-23T12:00:00.000Z') + ms).toISOString(),
    lastScanAt: '2026-11-23T12:00:00.000Z',
    agents: 1,
    groups: { production: { healthy: 1 } },
    config: { scanTickSeconds: 1 },
  });

  it('does not call a 1 s scanner behind for a scan 2.9 s old: one may still be running', () => {
    expect(renderStatus(withScanAged(2900), 'http://x', false)).not.toContain('WARNING');
  });

  it('warns past three scan intervals, with an age to the tenth that exceeds the limit it names', () => {
    expect(renderStatus(withScanAged(3040), 'http://x', false)).not.toContain('WARNING');
    expect(renderStatus(withScanAged(3170), 'http://x', false)).toContain(
      'WARNING: the watcher is behind: its last scan was 3.1 s ago, more than three scan intervals (3 s), so no alert can open',
    );
  });
});
