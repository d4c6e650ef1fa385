import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalWatcher } from '../../cli/local-watcher';
import { parseConfig } from '../../lambda/domain/config';
import type { Notification } from '../../lambda/domain/messages';
import { hbwAt } from '../support/run-cli';
import { bearer, ManualClock, startCheckedWatcher } from '../support/watcher';

// End to end through `hbw local` with its outbox file: a recurring window of the config and a one-off
// window set with `hbw maintenance group`. The watcher's clock is moved by hand (Monday 2026-11-23,
// 12:00 UTC) and each scan is run by the test; the CLI talks to it over HTTP.
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const MINUTE = 60_000;
const CONFIG = parseConfig({
  heartbeatIntervalSeconds: 30,
  scanIntervalSeconds: 30,
  missedScansBeforeAlert: 3,
  groups: {
    production: {
      channels: ['sms', 'email'],
      maintenance: [{ cron: '30 12 * * *', duration: '10m', reason: 'daily deploy' }],
    },
  },
  clusters: { db: { group: 'production', minHealthy: 1 } },
});

describe('maintenance windows through hbw local and its outbox', () => {
  let dataDir: string;
  let watcher: LocalWatcher;
  let cli: ReturnType<typeof hbwAt>;
  const clock = new ManualClock(T0);
  let token: string;

  const outbox = (): Notification[] => {
    const path = join(dataDir, 'outbox.jsonl');
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Notification);
  };
  const beat = async () => {
    const res = await fetch(`${watcher.url}/v1/heartbeat`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: 'web-01' }),
    });
    expect(res.status).toBe(200);
  };
  /** Scans every 30 s until `until`, the agent beating as long as `beating`. */
  const scanUntil = async (until: number, beating = false) => {
    while (clock.now() < until) {
      clock.advance(30_000);
      if (beating) await beat();
      await watcher.scanner.scan();
    }
  };
  const summary = (n: Notification) => `${n.kind} ${n.agentIds.join(',')}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hbw-maint-'));
    watcher = await startCheckedWatcher({
      config: CONFIG,
      port: 0,
      dataDir,
      clock,
      scanning: false,
      print: () => {},
    });
    cli = hbwAt(watcher.url);
    const added = await cli('agents', 'add', 'web-01', '--group', 'production', '--json');
    token = added.json().token;
    await beat();
    await watcher.scanner.scan();
  });
  afterAll(async () => {
    await watcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('hbw maintenance group holds every page of the group until the window ends, then the agent still down is paged', async () => {
    const until = new Date(T0 + 10 * MINUTE).toISOString();
    const started = await cli(
      'maintenance',
      'group',
      'production',
      '--until',
      until,
      '--reason',
      'rack move',
    );
    expect(started).toMatchObject({ code: 0, err: '' });
    expect(started.out.split('\n')[0]).toBe(
      'group production: in maintenance until 2026-11-23T12:10:00.000Z (rack move)',
    );
    expect(started.out).toContain('2026-11-23T12:30:00.000Z  2026-11-23T12:40:00.000Z  daily deploy');

    await scanUntil(T0 + 10 * MINUTE - 30_000);
    expect(outbox()).toEqual([]);
    const listed = await cli('agents', 'list');
    expect(listed.out).toMatch(/web-01\s+production\s+-\s+maintenance to 2026-11-23T12:10Z/);
    expect((await cli('alerts', 'list', '--json')).json()).toEqual({ alerts: [] });

    await scanUntil(T0 + 10 * MINUTE);
    expect(outbox().map(summary)).toEqual(['heartbeat_failure web-01']);
  });

  it('a recurring window of the config opens nothing while it lasts and pages after it if the agent is still down', async () => {
    // web-01 comes back (its recovery goes out), beats until 12:30, then falls silent inside the window.
    await scanUntil(T0 + 30 * MINUTE, true);
    expect(outbox().map(summary)).toEqual(['heartbeat_failure web-01', 'recovery web-01']);
    const shown = (await cli('agents', 'show', 'web-01', '--json')).json();
    expect(shown).toMatchObject({
      state: 'maintenance',
      maintenanceUntil: '2026-11-23T12:40:00.000Z',
      maintenanceReason: 'daily deploy',
    });

    await scanUntil(T0 + 40 * MINUTE - 30_000);
    expect(outbox()).toHaveLength(2);

    await scanUntil(T0 + 40 * MINUTE);
    expect(outbox().map(summary)).toEqual([
      'heartbeat_failure web-01',
      'recovery web-01',
      'heartbeat_failure web-01',
    ]);
  });

  it('hbw maintenance cluster --for starts a window and --end ends it; a bad --until is a 400 naming until', async () => {
    const started = await cli('maintenance', 'cluster', 'db', '--for', '30m', '--json');
    expect(started.code).toBe(0);
    expect(started.json()).toMatchObject({ cluster: 'db', maintenance: { current: { by: 'cluster db' } } });

    const ended = await cli('maintenance', 'cluster', 'db', '--end');
    expect(ended).toMatchObject({ code: 0, out: 'cluster db: no maintenance window now' });

    const past = await cli('maintenance', 'group', 'production', '--until', '2020-01-01T00:00:00Z');
    expect(past.code).toBe(1);
    expect(past.err).toContain('until: must be in the future');
    const unknown = await cli('maintenance', 'cluster', 'cache', '--for', '1h');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('cluster: unknown cluster "cache"');
  });
});
