import { DynamoAuditStore } from '../../lambda/adapters/dynamo-audit-store';
import type { Caller, NewAuditEntry } from '../../lambda/domain/audit';
import { type ScannerHarness, scannerHarnesses } from '../support/scanner-harness';

// The audit trail over the store of the test project (dynalite, and DynamoDB Local): each admin
// change the service makes is recorded once it has landed, with who, from where, and the target
// before and after; the store reads it newest first by time and by target; GET /v1/audit pages it.

const OPS: Caller = { by: 'arn:aws:iam::123456789012:user/ops', sourceIp: '198.51.100.4' };
const DAY_MS = 86_400_000;

// biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the watcher answered
type Json = any;

describe('the audit trail', () => {
  const harness = scannerHarnesses();

  const trail = async (h: ScannerHarness, query = '') =>
    (await h.service.listAudit(Object.fromEntries(new URLSearchParams(query)))).entries;

  describe('what the service records', () => {
    it('records an add with the agent after it, who made it and from where, and never its token', async () => {
      const h = await harness({ clusters: { web: { group: 'production', minHealthy: 1 } } });

      const { token } = await h.service.addAgent(
        {
          agentId: 'web-01',
          group: 'production',
          cluster: 'web',
          probe: { type: 'tcp', host: 'web-01', port: 22 },
        },
        OPS,
      );

      const entries = await trail(h);
      expect(entries).toEqual([
        {
          id: expect.stringMatching(/^2026-11-23T12:00:00\.000Z#[0-9a-f]{4}[A-Za-z0-9_-]{16}$/),
          action: 'add',
          target: 'agent:web-01',
          at: '2026-11-23T12:00:00.000Z',
          by: OPS.by,
          sourceIp: OPS.sourceIp,
          after: {
            group: 'production',
            cluster: 'web',
            probe: { type: 'tcp', host: 'web-01', port: 22 },
            approval: 'approved',
          },
        },
      ]);
      expect(JSON.stringify(entries)).not.toContain(token!);
      expect(JSON.stringify(entries)).not.toMatch(/tokenHash|[0-9a-f]{64}/);
    });

    it('records each change of an agent with the agent before and after it, newest first', async () => {
      const h = await harness();
      await h.addAgent('sw-01');
      await h.addAgent('web-01', 'test');

      const until = '2026-11-23T14:00:00.000Z';
      const steps: [string, () => Promise<unknown>][] = [
        ['set', () => h.service.changeAgent('web-01', { group: 'production', parent: 'sw-01' }, OPS)],
        ['reject', () => h.service.reject('web-01', OPS)],
        ['approve', () => h.service.approve('web-01', OPS)],
        ['rotate-token', () => h.service.rotateToken('web-01', OPS)],
        ['maintenance-set', () => h.service.startMaintenance('web-01', { until, reason: 'kernel' }, OPS)],
        ['maintenance-end', () => h.service.endMaintenance('web-01', OPS)],
        ['remove', () => h.service.removeAgent('web-01', {}, OPS)],
      ];
      for (const [, step] of steps) {
        h.clock.advance(1000);
        await step();
      }

      const entries = (await trail(h, 'target=agent:web-01')).map(({ action, before, after }: Json) => ({
        action,
        before,
        after,
      }));
      const was = { group: 'production', parent: 'sw-01', approval: 'approved' };
      expect(entries).toEqual(
        [
          { action: 'add', after: { group: 'test', approval: 'approved' } },
          {
            action: 'set',
            before: { group: 'test', approval: 'approved' },
            after: was,
          },
          { action: 'reject', before: was, after: { ...was, approval: 'rejected' } },
          { action: 'approve', before: { ...was, approval: 'rejected' }, after: was },
          { action: 'rotate-token', before: was, after: was },
          {
            action: 'maintenance-set',
            before: was,
            after: { ...was, maintenanceUntil: until, maintenanceReason: 'kernel' },
          },
          {
            action: 'maintenance-end',
            before: { ...was, maintenanceUntil: until, maintenanceReason: 'kernel' },
            after: was,
          },
          { action: 'remove', before: was },
        ].reverse(),
      );
    });

    it('records the children a forced remove clears as changes of their own', async () => {
      const h = await harness();
      await h.addAgent('sw-01');
      await h.addAgent('web-01', 'production', { parent: 'sw-01' });

      await h.service.removeAgent('sw-01', { force: 'true' }, OPS);

      const entries = await trail(h);
      expect(
        entries.slice(0, 2).map(({ action, target, before, after }: Json) => [action, target, before, after]),
      ).toEqual([
        ['remove', 'agent:sw-01', { group: 'production', approval: 'approved' }, undefined],
        ['set', 'agent:web-01', { parent: 'sw-01' }, {}],
      ]);
    });

    it('records group and cluster maintenance, the enrollment key (nothing of it) and the acknowledgement that stands', async () => {
      const h = await harness({ clusters: { db: { group: 'production', minHealthy: 1 } } });
      const until = '2026-11-23T18:00:00.000Z';

      await h.service.startFleetMaintenance('group', 'production', { until, reason: 'patching' }, OPS);
      await h.service.endFleetMaintenance('group', 'production', OPS);
      await h.service.endFleetMaintenance('cluster', 'db', OPS); // there was none: nothing changes
      await h.service.startFleetMaintenance('cluster', 'db', { until }, OPS);
      const { key } = await h.service.newEnrollmentKey('test', OPS);
      await h.addAgent('web-01');
      await h.beat('web-01');
      for (let i = 0; i < 4; i++) await h.step();
      const [alert] = await h.alerts();
      await h.service.acknowledgeAlert(alert!.alertId, { by: 'dana', note: 'rebooting' }, OPS);
      await h.service.acknowledgeAlert(alert!.alertId, { by: 'sam' }, OPS); // the first one stands

      const entries = (await trail(h)).filter((e: Json) => e.target !== 'agent:web-01');
      const window = { since: '2026-11-23T12:00:00.000Z', until };
      expect(
        entries.map(({ action, target, before, after }: Json) => [action, target, before, after]),
      ).toEqual([
        [
          'acknowledge',
          `alert:${alert!.alertId}`,
          { status: 'open' },
          { status: 'open', acknowledgedAt: expect.any(String), acknowledgedBy: 'dana', note: 'rebooting' },
        ],
        ['enrollment-key', 'group:test', undefined, undefined],
        ['maintenance-set', 'cluster:db', undefined, window],
        ['maintenance-end', 'group:production', { ...window, reason: 'patching' }, undefined],
        ['maintenance-set', 'group:production', undefined, { ...window, reason: 'patching' }],
      ]);
      expect(JSON.stringify(await trail(h))).not.toContain(key);
    });

    it('records nothing of a change that failed: 400, 404 and 409', async () => {
      const h = await harness();
      await h.addAgent('web-01');
      const before = (await trail(h)).length;

      const refused = [
        () => h.service.addAgent({ agentId: 'web-01', group: 'production' }, OPS), // 409
        () => h.service.addAgent({ agentId: 'web-02', group: 'nope' }, OPS), // 400
        () => h.service.changeAgent('nobody', { group: 'test' }, OPS), // 404
        () => h.service.changeAgent('web-01', { group: 'nope' }, OPS), // 400
        () => h.service.approve('nobody', OPS),
        () => h.service.rotateToken('nobody', OPS),
        () => h.service.startMaintenance('web-01', { until: '2020-01-01T00:00:00Z' }, OPS),
        () => h.service.endMaintenance('nobody', OPS),
        () => h.service.removeAgent('nobody', {}, OPS),
        () => h.service.acknowledgeAlert('agent.1.nobody', {}, OPS),
        () => h.service.newEnrollmentKey('nope', OPS),
        () => h.service.startFleetMaintenance('cluster', 'nope', { until: '2026-11-23T18:00:00Z' }, OPS),
      ];
      for (const call of refused) await expect(call()).rejects.toThrow();

      expect(await trail(h)).toHaveLength(before);
    });
  });

  describe('the store', () => {
    const entry = (at: number, target: string, action: NewAuditEntry['action'] = 'set'): NewAuditEntry => ({
      action,
      target,
      at,
      by: 'local',
    });

    it('reads newest first, all targets from the index and one target from the table, from since, in pages', async () => {
      const h = await harness();
      const store = new DynamoAuditStore(h.client, h.names.audit);
      const t0 = h.clock.now();
      const far = Math.floor(t0 / 1000) + 1000 * 86_400;
      for (let i = 0; i < 6; i++)
        await store.record(entry(t0 + i * 1000, i % 2 ? 'agent:a' : 'group:g'), far);

      const all = await store.page({ limit: 10, now: t0 });
      expect(all.entries.map((e) => e.at - t0)).toEqual([5000, 4000, 3000, 2000, 1000, 0]);
      expect(all.after).toBeUndefined();

      const mine = await store.page({ limit: 10, target: 'agent:a', now: t0 });
      expect(mine.entries.map((e) => e.at - t0)).toEqual([5000, 3000, 1000]);

      const since = await store.page({ limit: 10, since: t0 + 2000, now: t0 });
      expect(since.entries.map((e) => e.at - t0)).toEqual([5000, 4000, 3000, 2000]);

      const seen: number[] = [];
      let after: typeof all.after;
      let pages = 0;
      do {
        const page = await store.page({ limit: 4, target: undefined, after, now: t0 });
        seen.push(...page.entries.map((e) => e.at - t0));
        after = page.after;
        pages += 1;
      } while (after !== undefined && pages < 10);
      expect(seen).toEqual([5000, 4000, 3000, 2000, 1000, 0]);
    });

    it('leaves out the entries past their expiry, which DynamoDB deletes late and dynalite never', async () => {
      const h = await harness();
      const store = new DynamoAuditStore(h.client, h.names.audit);
      const t0 = h.clock.now();
      const seconds = Math.floor(t0 / 1000);
      await store.record(entry(t0, 'agent:a'), seconds + 60);
      await store.record(entry(t0 + 1, 'agent:a'), seconds + 3600);

      const later = t0 + 120_000;
      expect((await store.page({ limit: 10, now: later })).entries.map((e) => e.at)).toEqual([t0 + 1]);
      expect((await store.page({ limit: 10, target: 'agent:a', now: later })).entries).toHaveLength(1);
    });

    it('keeps every one of many entries made at once for one target at one instant: each is a new item', async () => {
      const h = await harness();
      const store = new DynamoAuditStore(h.client, h.names.audit);
      const at = h.clock.now();
      const far = Math.floor(at / 1000) + 86_400;

      await Promise.all(Array.from({ length: 20 }, () => store.record(entry(at, 'agent:a'), far)));

      expect((await store.page({ limit: 100, target: 'agent:a', now: at })).entries).toHaveLength(20);
    });
  });

  describe('GET /v1/audit', () => {
    const get = (h: ScannerHarness, query: string) => h.http('GET', `/v1/audit${query}`) as Promise<Json>;

    it('answers the entries newest first and pages them by cursor; by is local through the local door', async () => {
      const h = await harness();
      for (const id of ['a-01', 'a-02', 'a-03']) {
        await h.http('POST', '/v1/agents', { agentId: id, group: 'test' });
        h.clock.advance(1000);
      }

      const first = await get(h, '?limit=2');
      expect(first.status).toBe(200);
      expect(first.body.entries.map((e: Json) => [e.target, e.by])).toEqual([
        ['agent:a-03', 'local'],
        ['agent:a-02', 'local'],
      ]);
      const second = await get(h, `?limit=2&cursor=${first.body.cursor}`);
      expect(second.body.entries.map((e: Json) => e.target)).toEqual(['agent:a-01']);
      const byTarget = await get(h, '?target=agent:a-02');
      expect(byTarget.body).toEqual({
        entries: [expect.objectContaining({ action: 'add', target: 'agent:a-02' })],
      });
      const since = await get(h, '?since=2026-11-23T12:00:01Z');
      expect(since.body.entries.map((e: Json) => e.target)).toEqual(['agent:a-03', 'agent:a-02']);
    });

    it('keeps entries auditRetentionDays and no longer', async () => {
      const h = await harness({ auditRetentionDays: 2 });
      await h.http('POST', '/v1/agents', { agentId: 'a-01', group: 'test' });

      h.clock.advance(2 * DAY_MS - 1000);
      expect((await get(h, '')).body.entries).toHaveLength(1);
      h.clock.advance(2000);
      expect((await get(h, '')).body.entries).toHaveLength(0);
    });

    it.each([
      ['since=yesterday', 'since'],
      ['since=2026-13-01T00:00:00Z', 'since'],
      ['since=1700000000', 'since'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['target=web-01', 'target'],
      ['target=agent:', 'target'],
      ['cursor=not-a-cursor', 'cursor'],
    ])('refuses %s with a 400 naming %s', async (query, field) => {
      const h = await harness();

      const res = await get(h, `?${query}`);

      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', field });
    });

    it('refuses a forged or changed cursor, and one of another target or from before since, with a 400 naming cursor', async () => {
      const h = await harness();
      for (const id of ['a-01', 'a-02', 'a-03']) {
        await h.http('POST', '/v1/agents', { agentId: id, group: 'test' });
        h.clock.advance(1000);
      }
      const given = (await get(h, '?limit=1')).body.cursor as string;
      const body = JSON.parse(Buffer.from(given, 'base64url').toString('utf8'));
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const forged = [
        `${given}x`,
        given.slice(0, -1),
        b64({ ...body, table: 'hbw-state' }),
        b64({ after: body.after }),
        b64({ after: 'scanner', target: body.target }),
        b64({ target: body.target, after: body.after }),
        b64({ after: { S: body.after }, target: body.target }),
        'x'.repeat(2000),
      ];
      for (const cursor of forged) {
        const res = await get(h, `?cursor=${encodeURIComponent(cursor)}`);
        expect([cursor, res.status, res.body.error?.field]).toEqual([cursor, 400, 'cursor']);
      }
      const ofAnother = await get(h, `?target=agent:a-01&cursor=${given}`);
      expect([ofAnother.status, ofAnother.body.error?.field]).toEqual([400, 'cursor']);
      const beforeSince = await get(h, `?since=2026-11-23T12:00:03Z&cursor=${given}`);
      expect([beforeSince.status, beforeSince.body.error?.field]).toEqual([400, 'cursor']);
      expect((await get(h, `?cursor=${given}`)).status).toBe(200);
    });
  });
});
