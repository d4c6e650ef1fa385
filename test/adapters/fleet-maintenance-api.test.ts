import type { RawConfig } from '../../lambda/domain/config';
import { type ScannerHarness, scannerHarnesses } from '../support/scanner-harness';

// The one-off windows of groups and clusters through the HTTP routes, over the real stores; the
// manual clock starts on Monday 2026-11-23 at 12:00 UTC.
const CONFIG: Partial<RawConfig> = {
  groups: {
    production: {
      channels: ['sms', 'email'],
      maintenance: [
        { cron: '0 2 * * 0', duration: '2h', timezone: 'Europe/Berlin', reason: 'weekly patching' },
      ],
    },
    test: { channels: ['console'] },
  },
  clusters: { db: { group: 'production', minHealthy: 1 } },
};
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** The harness's router, its answer read as JSON. */
const call = (h: ScannerHarness, method: string, path: string, body?: unknown) =>
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the watcher answered
  h.http(method, path, body) as Promise<{ status: number; body: any }>;

describe('PUT and DELETE /v1/groups/{group}/maintenance and /v1/clusters/{cluster}/maintenance', () => {
  const harness = scannerHarnesses();

  it("sets a group's one-off window, shows it in the group's agents at once and in the status after the next scan, and ends it", async () => {
    const h = await harness(CONFIG);
    await h.addAgent('web-01');
    await h.addAgent('lab-01', 'test');

    const put = await call(h, 'PUT', '/v1/groups/production/maintenance', {
      until: '2026-11-23T14:00:00Z',
      reason: 'rack move',
    });

    expect(put).toEqual({
      status: 200,
      body: {
        group: 'production',
        maintenance: {
          current: {
            start: '2026-11-23T12:00:00.000Z',
            until: '2026-11-23T14:00:00.000Z',
            reason: 'rack move',
            by: 'group production',
          },
          // Sundays at 02:00 in Berlin (CET in winter: 01:00 UTC).
          next: [
            {
              start: '2026-11-29T01:00:00.000Z',
              until: '2026-11-29T03:00:00.000Z',
              reason: 'weekly patching',
              by: 'group production',
            },
            {
              start: '2026-12-06T01:00:00.000Z',
              until: '2026-12-06T03:00:00.000Z',
              reason: 'weekly patching',
              by: 'group production',
            },
            {
              start: '2026-12-13T01:00:00.000Z',
              until: '2026-12-13T03:00:00.000Z',
              reason: 'weekly patching',
              by: 'group production',
            },
          ],
        },
      },
    });
    const agents = (await call(h, 'GET', '/v1/agents')).body.agents;
    expect(
      agents.map((a: Record<string, unknown>) => [
        a.agentId,
        a.state,
        a.maintenanceUntil,
        a.maintenanceReason,
      ]),
    ).toEqual([
      ['lab-01', 'new', undefined, undefined],
      ['web-01', 'maintenance', '2026-11-23T14:00:00.000Z', 'rack move'],
    ]);
    // The status is what the last scan found: the window and its count show once a scan read them.
    expect((await call(h, 'GET', '/v1/status')).body.maintenance.groups.production.current).toBeNull();
    await h.scan();
    const status = (await call(h, 'GET', '/v1/status')).body;
    expect(status.groups.production.maintenance).toBe(1);
    expect(status.maintenance.groups.production.current.until).toBe('2026-11-23T14:00:00.000Z');
    expect(status.maintenance.groups.test).toEqual({ current: null, next: [] });
    expect(status.maintenance.clusters.db).toEqual({ current: null, next: [] });

    const ended = await call(h, 'DELETE', '/v1/groups/production/maintenance');

    expect(ended.status).toBe(200);
    expect(ended.body.maintenance.current).toBeNull();
    expect(ended.body.maintenance.next).toHaveLength(3);
    expect((await call(h, 'GET', '/v1/agents/web-01')).body).toMatchObject({ state: 'new' });
    expect((await call(h, 'GET', '/v1/agents/web-01')).body.maintenanceUntil).toBeUndefined();
  });

  it("sets a cluster's window for its members only, replaces it with a second PUT, and ends it", async () => {
    const h = await harness(CONFIG);
    await h.addAgent('db-01', 'production', { cluster: 'db' });
    await h.addAgent('web-01');

    await call(h, 'PUT', '/v1/clusters/db/maintenance', {
      until: iso(T0 + 2 * HOUR),
      reason: 'failover test',
    });
    const second = await call(h, 'PUT', '/v1/clusters/db/maintenance', { until: iso(T0 + HOUR) });

    expect(second).toEqual({
      status: 200,
      body: {
        cluster: 'db',
        maintenance: { current: { start: iso(T0), until: iso(T0 + HOUR), by: 'cluster db' }, next: [] },
      },
    });
    expect((await call(h, 'GET', '/v1/agents/db-01')).body).toMatchObject({
      state: 'maintenance',
      maintenanceUntil: iso(T0 + HOUR),
    });
    expect((await call(h, 'GET', '/v1/agents/web-01')).body.state).toBe('new');
    // The end instant is outside the window.
    h.clock.advance(HOUR);
    expect((await call(h, 'GET', '/v1/agents/db-01')).body.state).toBe('new');
    h.clock.time = T0;

    expect((await call(h, 'DELETE', '/v1/clusters/db/maintenance')).body.maintenance.current).toBeNull();
    expect((await call(h, 'GET', '/v1/agents/db-01')).body.state).toBe('new');
  });

  it('takes an until exactly 30 days ahead', async () => {
    const h = await harness(CONFIG);

    const res = await call(h, 'PUT', '/v1/groups/test/maintenance', { until: iso(T0 + 30 * DAY) });

    expect(res.status).toBe(200);
    expect(res.body.maintenance.current.until).toBe(iso(T0 + 30 * DAY));
  });

  it.each([
    [
      'an until in the past',
      '/v1/groups/production/maintenance',
      { until: iso(T0 - 1000) },
      'until',
      'until: must be in the future',
    ],
    [
      'an until of now',
      '/v1/groups/production/maintenance',
      { until: iso(T0) },
      'until',
      'until: must be in the future',
    ],
    [
      'an until over 30 days ahead',
      '/v1/clusters/db/maintenance',
      { until: iso(T0 + 30 * DAY + 1000) },
      'until',
      'until: must be at most 30d ahead',
    ],
    ['no until', '/v1/groups/production/maintenance', { reason: 'x' }, 'until', 'until:'],
    [
      'an until that is no time',
      '/v1/groups/production/maintenance',
      { until: 'tomorrow' },
      'until',
      'until: must be an RFC 3339 time',
    ],
    [
      'an unknown field',
      '/v1/groups/production/maintenance',
      { until: iso(T0 + HOUR), reasn: 'x' },
      'reasn',
      'reasn: unknown field (did you mean reason?)',
    ],
    [
      'an unknown group',
      '/v1/groups/staging/maintenance',
      { until: iso(T0 + HOUR) },
      'group',
      'group: unknown group "staging" (configured: production, test)',
    ],
    [
      'an unknown cluster',
      '/v1/clusters/cache/maintenance',
      { until: iso(T0 + HOUR) },
      'cluster',
      'cluster: unknown cluster "cache" (configured: db)',
    ],
    [
      'a name that is no name',
      '/v1/groups/prod%20uction/maintenance',
      { until: iso(T0 + HOUR) },
      'group',
      'group:',
    ],
  ])('refuses %s with 400 naming the field, and stores nothing', async (_, path, body, field, message) => {
    const h = await harness(CONFIG);

    const res = await call(h, 'PUT', path, body);

    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
    expect(res.body.error.message).toContain(message);
    const status = (await call(h, 'GET', '/v1/status')).body.maintenance;
    expect(status.groups.production.current).toBeNull();
    expect(status.clusters.db.current).toBeNull();
  });

  it('refuses DELETE of an unknown cluster with 400 naming cluster', async () => {
    const h = await harness(CONFIG);

    const res = await call(h, 'DELETE', '/v1/clusters/cache/maintenance');

    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'unknown_cluster', field: 'cluster' });
  });

  it('answers another method with 405, naming PUT and DELETE', async () => {
    const h = await harness(CONFIG);

    const res = await call(h, 'POST', '/v1/groups/production/maintenance', { until: iso(T0 + HOUR) });

    expect(res.status).toBe(405);
    expect(res.body.error).toMatchObject({
      code: 'method_not_allowed',
      message: 'POST is not allowed here; use PUT, DELETE',
    });
  });
});
