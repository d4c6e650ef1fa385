import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileError, loadConfigFile } from '../../cli/config-file';
import { parseConfig, type RawConfig } from '../../lambda/domain/config';
import {
  cronProblems,
  type FleetWindow,
  MaintenanceCalendar,
  type RecurringWindow,
} from '../../lambda/domain/maintenance';
import { CloudConfigError, cloudConfig } from '../../lib/cloud-config';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

/** A calendar with one group `production` (and cluster `db`) running `windows`. */
function calendar(
  now: string,
  windows: { group?: RecurringWindow[]; cluster?: RecurringWindow[] },
  oneOffs: FleetWindow[] = [],
) {
  return new MaintenanceCalendar(
    {
      groups: { production: { name: 'production', maintenance: windows.group ?? [] } },
      clusters: { db: { name: 'db', maintenance: windows.cluster ?? [] } },
    },
    oneOffs,
    at(now),
  );
}

const weekly = (
  cron: string,
  hours: number,
  timezone = 'UTC',
  reason = 'weekly patching',
): RecurringWindow => ({
  cron,
  durationMs: hours * HOUR,
  timezone,
  reason,
});
const web01 = { agentId: 'web-01', group: 'production', cluster: 'db' };
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('MaintenanceCalendar.agent: the window in effect, on a fixed clock', () => {
  // Sundays 02:00 for 2h. 2026-03-01 and 2026-03-08 are Sundays.
  const sunday = weekly('0 2 * * 0', 2);
  it.each([
    ['a minute before the start', '2026-03-01T01:59:00.000Z', undefined],
    ['the start instant (inside)', '2026-03-01T02:00:00.000Z', '2026-03-01T04:00:00.000Z'],
    ['within', '2026-03-01T03:30:00.000Z', '2026-03-01T04:00:00.000Z'],
    ['the last millisecond', '2026-03-01T03:59:59.999Z', '2026-03-01T04:00:00.000Z'],
    ['the end instant (outside)', '2026-03-01T04:00:00.000Z', undefined],
    ['the next day', '2026-03-02T03:00:00.000Z', undefined],
  ])('%s: %s is in maintenance until %s', (_, now, until) => {
    expect(iso(calendar(now, { group: [sunday] }).agent(web01)?.until)).toBe(until);
  });

  // Europe/Berlin: on 2026-03-29 the clocks jump from 02:00 CET to 03:00 CEST; on 2026-10-25 they go
  // back from 03:00 CEST to 02:00 CET, so 02:30 comes twice.
  const nightly = weekly('30 2 * * *', 1, 'Europe/Berlin', 'nightly backup');
  it.each([
    ['the day before spring forward: 02:30 CET', '2026-03-28T01:30:00.000Z', '2026-03-28T02:30:00.000Z'],
    ['just before its end', '2026-03-28T02:29:59.999Z', '2026-03-28T02:30:00.000Z'],
    // 02:30 does not exist: croner starts the window when the clock jumps, at 03:00 CEST (01:00 UTC).
    ['spring forward, 02:30 skipped: not before the jump', '2026-03-29T00:59:59.999Z', undefined],
    [
      'spring forward: starts as the clock jumps to 03:00 CEST',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
    ],
    ['spring forward: a full hour, not shortened', '2026-03-29T01:59:59.999Z', '2026-03-29T02:00:00.000Z'],
    ['the day after: 02:30 CEST', '2026-03-30T00:30:00.000Z', '2026-03-30T01:30:00.000Z'],
    // 02:30 comes twice: the window starts once, at the first (CEST, 00:30 UTC), and lasts an hour.
    ['fall back: at the first 02:30 (CEST)', '2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z'],
    ['fall back: the end instant is outside', '2026-10-25T01:30:00.000Z', undefined],
    ['fall back: the second 02:30 (CET) starts no second window', '2026-10-25T01:45:00.000Z', undefined],
    ['the day after fall back: 02:30 CET', '2026-10-26T01:30:00.000Z', '2026-10-26T02:30:00.000Z'],
  ])('%s: %s until %s', (_, now, until) => {
    expect(iso(calendar(now, { group: [nightly] }).agent(web01)?.until)).toBe(until);
  });

  it('merges windows that overlap: until is the end of the whole stretch', () => {
    const group = [weekly('0 2 * * 0', 2), weekly('0 3 * * 0', 2, 'UTC', 'database upgrade')];
    const found = calendar('2026-03-01T02:30:00.000Z', { group }).agent(web01);

    expect({ until: iso(found?.until), reason: found?.reason, by: found?.by }).toEqual({
      until: '2026-03-01T05:00:00.000Z',
      reason: 'weekly patching',
      by: 'group production',
    });
  });

  it("merges a group's window with its cluster's that starts the instant it ends", () => {
    const windows = {
      group: [weekly('0 2 * * 0', 2)],
      cluster: [weekly('0 4 * * 0', 1, 'UTC', 'db failover test')],
    };

    expect(iso(calendar('2026-03-01T03:00:00.000Z', windows).agent(web01)?.until)).toBe(
      '2026-03-01T05:00:00.000Z',
    );
    expect(calendar('2026-03-01T04:30:00.000Z', windows).agent(web01)?.by).toBe('cluster db');
  });

  it('follows a chain of touching windows of one cron: hourly for an hour is one stretch to the horizon', () => {
    const found = calendar('2026-03-01T02:30:00.000Z', { group: [weekly('0 * * * *', 1)] }).agent(web01);

    expect(found!.until - at('2026-03-01T02:30:00.000Z')).toBeGreaterThanOrEqual(31 * 24 * HOUR);
  });

  it('stops following a chain of windows of a second each after a bounded number of steps', () => {
    const found = calendar('2026-03-01T02:30:00.000Z', {
      group: [{ ...weekly('* * * * * *', 0), durationMs: 1000 }],
    }).agent(web01);

    expect(found!.until - at('2026-03-01T02:30:00.000Z')).toBe(1001 * 1000);
  });

  it("applies a cluster's window only to its members, and a group's only to its agents", () => {
    const c = calendar('2026-03-01T02:30:00.000Z', { cluster: [weekly('0 2 * * 0', 2)] });

    expect(c.agent(web01)?.by).toBe('cluster db');
    expect(c.agent({ agentId: 'web-02', group: 'production' })).toBeUndefined();
    expect(c.agent({ agentId: 'lab-01', group: 'test', cluster: 'db' })?.by).toBe('cluster db');
  });

  it('takes a one-off window of a group, until its end (outside)', () => {
    const oneOff: FleetWindow = {
      scope: 'group',
      name: 'production',
      since: at('2026-03-02T09:00:00.000Z'),
      until: at('2026-03-02T11:00:00.000Z'),
      reason: 'rack move',
    };

    expect(calendar('2026-03-02T10:00:00.000Z', {}, [oneOff]).agent(web01)).toEqual({
      start: oneOff.since,
      until: oneOff.until,
      reason: 'rack move',
      by: 'group production',
    });
    expect(calendar('2026-03-02T11:00:00.000Z', {}, [oneOff]).agent(web01)).toBeUndefined();
  });

  it("merges the agent's own window with its group's, the agent's reason first", () => {
    const own = {
      ...web01,
      maintenanceUntil: at('2026-03-01T03:00:00.000Z'),
      maintenanceReason: 'kernel update',
    };
    const found = calendar('2026-03-01T02:30:00.000Z', { group: [weekly('0 2 * * 0', 2)] }).agent(own);

    expect({ until: iso(found?.until), reason: found?.reason, by: found?.by }).toEqual({
      until: '2026-03-01T04:00:00.000Z',
      reason: 'kernel update',
      by: 'web-01',
    });
  });
});

describe('MaintenanceCalendar.scope: the current window and the next ones', () => {
  it('lists the next windows after the one in effect, merged stretches counted once', () => {
    const group = [weekly('0 2 * * 0', 2), weekly('0 4 * * 0', 1, 'UTC', 'after patching')];
    const found = calendar('2026-03-01T02:30:00.000Z', { group }).scope('group', 'production', 2);

    expect({
      current: iso(found.current?.until),
      next: found.next.map((w) => [iso(w.start), iso(w.until)]),
    }).toEqual({
      current: '2026-03-01T05:00:00.000Z',
      next: [
        ['2026-03-08T02:00:00.000Z', '2026-03-08T05:00:00.000Z'],
        ['2026-03-15T02:00:00.000Z', '2026-03-15T05:00:00.000Z'],
      ],
    });
  });

  it('has no current window outside one, and none at all without windows', () => {
    expect(
      calendar('2026-03-02T00:00:00.000Z', { group: [weekly('0 2 * * 0', 2)] }).scope(
        'group',
        'production',
        1,
      ),
    ).toEqual({
      current: undefined,
      next: [
        {
          start: at('2026-03-08T02:00:00.000Z'),
          until: at('2026-03-08T04:00:00.000Z'),
          reason: 'weekly patching',
          by: 'group production',
        },
      ],
    });
    expect(calendar('2026-03-02T00:00:00.000Z', {}).scope('cluster', 'db')).toEqual({
      current: undefined,
      next: [],
    });
  });
});

describe('maintenance in the config', () => {
  const config = (maintenance: unknown, where: 'group' | 'cluster' = 'group') =>
    where === 'group'
      ? { groups: { production: { channels: ['email'], maintenance } } }
      : {
          groups: { production: { channels: ['email'] } },
          clusters: { db: { group: 'production', minHealthy: 1, maintenance } },
        };
  const problem = (raw: unknown) => {
    try {
      parseConfig(raw, cronProblems);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('reads the windows of a group and a cluster; a window without a time zone runs in UTC', () => {
    const parsed = parseConfig({
      groups: {
        production: {
          channels: ['email'],
          maintenance: [
            { cron: '0 2 * * 0', duration: '2h', timezone: 'Europe/Berlin', reason: 'weekly patching' },
          ],
        },
      },
      clusters: {
        db: { group: 'production', minHealthy: 1, maintenance: [{ cron: '30 1 * * *', duration: '30m' }] },
      },
    });

    expect(parsed.groups.production!.maintenance).toEqual([
      { cron: '0 2 * * 0', durationMs: 2 * HOUR, timezone: 'Europe/Berlin', reason: 'weekly patching' },
    ]);
    expect(parsed.clusters.db!.maintenance).toEqual([
      { cron: '30 1 * * *', durationMs: 30 * 60_000, timezone: 'UTC', reason: undefined },
    ]);
  });

  it.each([
    [
      'an invalid cron',
      [{ cron: '61 2 * * 0', duration: '2h' }],
      'groups.production.maintenance[0].cron: must be a cron expression',
    ],
    ['a cron of one field', [{ cron: 'weekly', duration: '2h' }], 'groups.production.maintenance[0].cron:'],
    [
      'a cron that never comes',
      [{ cron: '0 0 30 2 *', duration: '2h' }],
      'groups.production.maintenance[0].cron: must be a cron expression such as "0 2 * * 0" (it never comes)',
    ],
    [
      'an unknown time zone',
      [{ cron: '0 2 * * 0', duration: '2h', timezone: 'Europe/Atlantis' }],
      'groups.production.maintenance[0].timezone: must be an IANA time zone',
    ],
    [
      'a duration of 0',
      [{ cron: '0 2 * * 0', duration: '0m' }],
      'groups.production.maintenance[0].duration: must be longer than 0',
    ],
    [
      'a duration over 7 days',
      [{ cron: '0 2 * * 0', duration: '7d1h' }],
      'groups.production.maintenance[0].duration: must be at most 7d',
    ],
    [
      'a second window without a duration',
      [{ cron: '0 2 * * 0', duration: '2h' }, { cron: '0 3 * * 0' }],
      'groups.production.maintenance[1].duration:',
    ],
    [
      'a key it does not know',
      [{ cron: '0 2 * * 0', duration: '2h', tz: 'UTC' }],
      'groups.production.maintenance[0].tz:',
    ],
  ])('refuses %s, naming the field', (_, maintenance, expected) => {
    expect(problem(config(maintenance))).toContain(expected);
  });

  it("names a cluster's cron by its cluster", () => {
    expect(problem(config([{ cron: '0 0 30 2 *', duration: '2h' }], 'cluster'))).toContain(
      'clusters.db.maintenance[0].cron: must be a cron expression such as "0 2 * * 0" (it never comes)',
    );
  });

  it('is refused with a bad cron by the config file (local mode, hbw config check) and by the stack at synth', () => {
    const raw = config([{ cron: '61 2 * * 0', duration: '2h' }]) as RawConfig;
    const dir = mkdtempSync(join(tmpdir(), 'hbw-cron-'));
    try {
      const file = join(dir, 'heartbeat-watcher.config.json');
      writeFileSync(file, JSON.stringify(raw));

      expect(() => loadConfigFile(file)).toThrow(ConfigFileError);
      expect(() => loadConfigFile(file)).toThrow('groups.production.maintenance[0].cron: must be a cron');
      expect(() => cloudConfig(raw)).toThrow(CloudConfigError);
      expect(() => cloudConfig(raw)).toThrow('groups.production.maintenance[0].cron: must be a cron');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names a cluster's window by its cluster", () => {
    expect(
      problem(config([{ cron: '0 2 * * 0', duration: '2h', timezone: 'Mars/Olympus' }], 'cluster')),
    ).toContain('clusters.db.maintenance[0].timezone: must be an IANA time zone');
  });
});
