import type { AlertView } from '../../lambda/api/contract';
import type { RawConfig } from '../../lambda/domain/config';
import type { Notification } from '../../lambda/domain/messages';
import { type ScannerHarness, scannerHarnesses } from '../support/scanner-harness';

// Parents and clusters on the manual clock, over the real stores: scans every 30 s, heartbeats
// every 10 s, a heartbeat failure after 3 missed scans, agentless entries probed every 3 scans.
const TOPOLOGY: Partial<RawConfig> = {
  heartbeatIntervalSeconds: 10,
  clusters: {
    db: { group: 'production', minHealthy: 3 },
    quiet: { group: 'production', minHealthy: 1, memberPages: false },
  },
};

const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`);
const tcp = (host: string) => ({ type: 'tcp' as const, host, port: 22 });
const openings = (notices: readonly Notification[]) =>
  notices.filter((n) => n.kind !== 'recovery' && n.kind !== 'reminder');
const summary = (n: Notification) => `${n.kind} ${n.agentIds.join(',')}`;
const byId = (alerts: readonly AlertView[]) =>
  new Map(alerts.map((a) => [a.agentId === '*' ? `cluster:${a.cluster}` : a.agentId, a]));

async function switchWith(h: ScannerHarness, sw: string, children: readonly string[], parent?: string) {
  h.prober.set(sw, true);
  await h.addAgent(sw, 'production', { agentless: true, probe: tcp(sw), parent });
  for (const id of children) await h.addAgent(id, 'production', { parent: sw });
}

/** {@link switchWith}, then one heartbeat of each child and a scan: the switch and its agents all heard once. */
async function switchHeard(h: ScannerHarness, sw: string, children: readonly string[]) {
  await switchWith(h, sw, children);
  await h.beat(...children);
  await h.scan();
}

describe('topology: parents and clusters', () => {
  const harness = scannerHarnesses();

  describe('a switch with 20 agents behind it', () => {
    it('pages once, for the switch, counting the 20 silent behind it, and holds their 20 alerts', async () => {
      const h = await harness(TOPOLOGY);
      const web = ids('web', 20);
      await switchHeard(h, 'sw-01', web);

      h.prober.set('sw-01', false);
      for (let i = 0; i < 5; i++) await h.step();

      const sent = openings(h.notifier.take());
      expect(sent.map(summary)).toEqual(['host_unreachable sw-01']);
      expect(sent[0]!.subject).toContain('20 agents behind it silent too');
      expect(sent[0]!.messages.sms).toContain('20 agents behind it silent too');
      const alerts = byId(await h.alerts({ status: 'open' }));
      expect(alerts.size).toBe(21);
      for (const id of web) {
        expect(alerts.get(id)).toMatchObject({
          kind: 'heartbeat_failure',
          delivery: { opening: 'held' },
          suppressed: { reason: 'parent', by: 'sw-01' },
        });
      }
      expect(alerts.get('sw-01')).toMatchObject({ delivery: { opening: 'sent' } });
    });

    it('pages the one agent still silent once the switch is back, and resolves the others with no page', async () => {
      const h = await harness(TOPOLOGY);
      const web = ids('web', 20);
      await switchHeard(h, 'sw-01', web);
      h.prober.set('sw-01', false);
      for (let i = 0; i < 5; i++) await h.step();
      h.notifier.take();

      // The switch answers again; all but web-07 beat again.
      h.prober.set('sw-01', true);
      const back = web.filter((id) => id !== 'web-07');
      for (let i = 0; i < 4; i++) await h.step(...back);

      expect(h.notifier.take().map(summary).sort()).toEqual(['heartbeat_failure web-07', 'recovery sw-01']);
      const alerts = await h.alerts({ status: 'all' });
      const resolvedChildren = alerts.filter((a) => back.includes(a.agentId));
      expect(resolvedChildren).toHaveLength(19);
      expect(
        resolvedChildren.every((a) => a.status === 'resolved' && a.delivery?.opening === 'suppressed'),
      ).toBe(true);
      expect(resolvedChildren.every((a) => a.delivery?.recovery === 'none')).toBe(true);
    });

    it('probes an agentless parent off its turn before blaming the agents behind it, whichever failed first', async () => {
      // Ten probes a scan would be too many for a switch: it is probed every 10 of its scans.
      const h = await harness({ ...TOPOLOGY, agentlessEveryNScans: 10 });
      const web = ids('web', 5);
      await switchHeard(h, 'sw-09', web);
      h.prober.set('sw-09', false);
      await h.step();
      await h.step();
      expect(h.prober.count('sw-09')).toBe(1);

      await h.step(); // web-* reach the threshold: the switch is probed now, not at its turn

      expect(h.prober.count('sw-09')).toBe(2);
      expect(openings(h.notifier.take()).map(summary)).toEqual(['host_unreachable sw-09']);
    });

    it('lets the agents behind a switch page as usual while the switch answers', async () => {
      const h = await harness(TOPOLOGY);
      await switchWith(h, 'sw-02', ['app-01', 'app-02']);
      await h.beat('app-01', 'app-02');
      await h.scan();

      for (let i = 0; i < 3; i++) await h.step('app-02');

      expect(openings(h.notifier.take()).map(summary)).toEqual(['heartbeat_failure app-01']);
    });
  });

  it('holds a two-level chain by its highest ancestor that is down', async () => {
    const h = await harness(TOPOLOGY);
    const hosts = ids('rack', 5);
    await switchWith(h, 'core-01', []);
    await switchWith(h, 'edge-01', hosts, 'core-01');
    await h.beat(...hosts);
    await h.scan();

    h.prober.set('core-01', false);
    h.prober.set('edge-01', false);
    for (let i = 0; i < 5; i++) await h.step();

    const sent = openings(h.notifier.take());
    expect(sent.map(summary)).toEqual(['host_unreachable core-01']);
    expect(sent[0]!.subject).toContain('6 agents behind it');
    const alerts = byId(await h.alerts({ status: 'open' }));
    for (const id of ['edge-01', ...hosts]) {
      expect(alerts.get(id)?.suppressed).toMatchObject({ reason: 'parent', by: 'core-01' });
    }
  });

  it('gives the agents behind a parent that comes back first one heartbeat interval to be heard', async () => {
    const h = await harness(TOPOLOGY);
    const web = ids('web', 3);
    await switchHeard(h, 'sw-03', web);
    h.prober.set('sw-03', false);
    for (let i = 0; i < 4; i++) await h.step();
    h.notifier.take();

    // The switch answers at its next turn; its agents beat only after that scan.
    h.prober.set('sw-03', true);
    let resolvedAt = -1;
    for (let i = 0; i < 3 && resolvedAt < 0; i++) {
      await h.step();
      if ((await h.alerts({ status: 'open' })).every((a) => a.agentId !== 'sw-03')) resolvedAt = i;
    }
    expect(resolvedAt).toBeGreaterThanOrEqual(0);
    h.clock.advance(5_000);
    await h.beat(...web);
    await h.step(...web);

    expect(h.notifier.take().map(summary)).toEqual(['recovery sw-03']);
    expect(await h.alerts({ status: 'open' })).toEqual([]);
  });

  describe('a cluster', () => {
    /** Cluster db of 5 members, of which db-01 to db-03 fall silent for 4 scans: below its quorum. */
    async function belowQuorum() {
      const h = await harness(TOPOLOGY);
      const db = ids('db', 5);
      for (const id of db) await h.addAgent(id, 'production', { cluster: 'db' });
      await h.beat(...db);
      await h.scan();
      const up = ['db-04', 'db-05'];
      for (let i = 0; i < 4; i++) await h.step(...up);
      return { h, up };
    }

    it('pages one cluster_down when 3 of its 5 members go down, holds theirs, and pages the one still down a heartbeat interval after the quorum is back', async () => {
      const { h, up } = await belowQuorum();

      const sent = openings(h.notifier.take());
      expect(sent.map(summary)).toEqual(['cluster_down db-01,db-02,db-03']);
      expect(sent[0]!.subject).toBe('CRITICAL cluster db (production) below quorum: 3 members down');
      const alerts = byId(await h.alerts({ status: 'open' }));
      expect(alerts.get('cluster:db')).toMatchObject({
        kind: 'cluster_down',
        severity: 'critical',
        cluster: 'db',
      });
      for (const id of ['db-01', 'db-02', 'db-03']) {
        expect(alerts.get(id)?.suppressed).toMatchObject({ reason: 'cluster', by: 'db' });
      }

      await h.step(...up, 'db-01', 'db-02');

      expect(h.notifier.take().map(summary)).toEqual(['recovery db-01,db-02,db-03']);
      expect(byId(await h.alerts({ status: 'all' })).get('cluster:db')).toMatchObject({
        status: 'resolved',
        resolution: 'quorum',
      });

      await h.step(...up, 'db-01', 'db-02');

      expect(h.notifier.take().map(summary)).toEqual(['heartbeat_failure db-03']);
    });

    it('gives the members down with the quorum one heartbeat interval to be heard once the first of them is back, and pages none', async () => {
      const { h, up } = await belowQuorum();
      expect(openings(h.notifier.take()).map(summary)).toEqual(['cluster_down db-01,db-02,db-03']);

      // The three beat again together, but the scan reads db-01 after its heartbeat and the other
      // two before theirs: db-01 alone takes the cluster back to its quorum.
      await h.step(...up, 'db-01');
      h.clock.advance(200);
      await h.beat('db-02', 'db-03');
      await h.step(...up, 'db-01', 'db-02', 'db-03');

      expect(h.notifier.take().map(summary)).toEqual(['recovery db-01,db-02,db-03']);
      const alerts = await h.alerts({ status: 'all' });
      expect(alerts.filter((a) => a.status === 'open')).toEqual([]);
      for (const id of ['db-02', 'db-03']) {
        expect(byId(alerts).get(id)).toMatchObject({
          delivery: { opening: 'suppressed', recovery: 'none' },
          suppressed: { reason: 'cluster', by: 'db' },
        });
      }
    });

    it('opens one cluster_down when two scanners race', async () => {
      const h = await harness(TOPOLOGY);
      const other = h.otherScanner();
      const db = ids('db', 5);
      for (const id of db) await h.addAgent(id, 'production', { cluster: 'db' });
      await h.beat(...db);
      await h.scan();
      for (let i = 0; i < 2; i++) await h.step('db-04', 'db-05');

      h.clock.advance(h.intervalMs);
      await h.beat('db-04', 'db-05');
      await Promise.all([h.scanner.scan(), other.scan()]);
      await Promise.all([h.scanner.scan(), other.scan()]);

      const clusterAlerts = (await h.alerts()).filter((a) => a.kind === 'cluster_down');
      expect(clusterAlerts).toHaveLength(1);
      expect(openings(h.notifier.sent).map(summary)).toEqual(['cluster_down db-01,db-02,db-03']);
    });

    it('records a member failure without paging it when the cluster does not page its members', async () => {
      const h = await harness(TOPOLOGY);
      await h.addAgent('q-1', 'production', { cluster: 'quiet' });
      await h.addAgent('q-2', 'production', { cluster: 'quiet' });
      await h.beat('q-1', 'q-2');
      await h.scan();

      for (let i = 0; i < 4; i++) await h.step('q-2');

      expect(h.notifier.take()).toEqual([]);
      expect(byId(await h.alerts({ status: 'open' })).get('q-1')?.suppressed).toMatchObject({
        reason: 'cluster',
        by: 'quiet',
      });
    });

    it('pages the switch and the cluster when it loses its quorum while one member is behind the dead switch', async () => {
      const h = await harness(TOPOLOGY);
      await switchWith(h, 'sw-db', []);
      const db = ids('db', 5);
      for (const id of db) {
        await h.addAgent(id, 'production', { cluster: 'db', parent: id === 'db-03' ? 'sw-db' : undefined });
      }
      await h.beat(...db);
      await h.scan();

      h.prober.set('sw-db', false);
      for (let i = 0; i < 4; i++) await h.step('db-04', 'db-05');

      expect(openings(h.notifier.take()).map(summary).sort()).toEqual([
        'cluster_down db-01,db-02,db-03',
        'host_unreachable sw-db',
      ]);
      const alerts = byId(await h.alerts({ status: 'open' }));
      expect(alerts.get('db-03')?.suppressed).toMatchObject({ reason: 'cluster', by: 'db' });
    });

    it('holds the cluster_down of a cluster whose every member down is behind a dead switch', async () => {
      const h = await harness(TOPOLOGY);
      const db = ids('db', 5);
      await switchWith(h, 'sw-all', db);
      for (const id of db) await h.addAgent(`${id}-x`, 'production', { cluster: 'db', parent: 'sw-all' });
      await h.beat(...db.map((id) => `${id}-x`));
      await h.scan();

      h.prober.set('sw-all', false);
      for (let i = 0; i < 5; i++) await h.step();

      expect(openings(h.notifier.take()).map(summary)).toEqual(['host_unreachable sw-all']);
      expect(byId(await h.alerts({ status: 'open' })).get('cluster:db')?.suppressed).toMatchObject({
        reason: 'parent',
        by: 'sw-all',
      });
    });
  });

  it('pages once per outage with two scanners racing every scan', async () => {
    const h = await harness(TOPOLOGY);
    const other = h.otherScanner();
    const web = ids('web', 10);
    await switchHeard(h, 'sw-r', web);
    h.prober.set('sw-r', false);

    for (let i = 0; i < 5; i++) {
      h.clock.advance(h.intervalMs);
      await Promise.all([h.scanner.scan(), other.scan()]);
    }

    expect(openings(h.notifier.sent).map(summary)).toEqual(['host_unreachable sw-r']);
  });

  it('does not take 20 agents behind one dead switch for a storm of the watcher itself', async () => {
    const h = await harness(TOPOLOGY);
    const web = ids('web', 20);
    await switchWith(h, 'sw-s', web);
    await h.addAgent('solo');
    await h.beat(...web, 'solo');
    await h.scan();
    h.prober.set('sw-s', false);

    let storm = false;
    for (let i = 0; i < 5; i++) storm ||= (await h.step('solo')).storm !== 'none';

    expect(storm).toBe(false);
    expect(openings(h.notifier.take()).map((n) => n.kind)).toEqual(['host_unreachable']);
  });
});
