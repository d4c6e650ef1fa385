import type { AlertRecord } from '../../lambda/domain/alert';
import {
  type ClusterMember,
  type ClusterQuorum,
  clusterFinding,
  heldAfterQuorum,
} from '../../lambda/domain/cluster';
import { clusterMuter, maintenanceMuter, mute, parentMuter, stormMuter } from '../../lambda/domain/mute';
import {
  type Health,
  healthOf,
  heldByAncestor,
  parentLoop,
  Topology,
  type TopologyNode,
} from '../../lambda/domain/topology';
import { T0 } from '../support/records';

const SECOND = 1000;
const settings = { heartbeatIntervalSeconds: 10 };

function node(agentId: string, health: Health, extra: Partial<TopologyNode> = {}): TopologyNode {
  return { agentId, health, silent: health !== 'up', lastHeartbeatAt: T0, ...extra };
}

function topology(...nodes: TopologyNode[]): Topology {
  const t = new Topology();
  for (const n of nodes) t.add(n);
  return t;
}

describe('Topology.ancestors', () => {
  it('lists the ancestors parent first', () => {
    const t = topology(
      node('core', 'up'),
      node('edge', 'up', { parent: 'core' }),
      node('web', 'up', { parent: 'edge' }),
    );

    expect(t.ancestors('web').map((n) => n.agentId)).toEqual(['edge', 'core']);
  });

  it('ends the chain at a parent that is not an agent', () => {
    const t = topology(node('web', 'up', { parent: 'gone' }));

    expect(t.ancestors('web')).toEqual([]);
  });

  it('ends the chain at a loop, never listing the agent as its own ancestor', () => {
    const t = topology(
      node('a', 'up', { parent: 'b' }),
      node('b', 'up', { parent: 'c' }),
      node('c', 'up', { parent: 'a' }),
    );

    expect(t.ancestors('a').map((n) => n.agentId)).toEqual(['b', 'c']);
  });
});

describe('Topology.silentBehind', () => {
  it('counts the silent agents behind one at any depth, and not the ones that beat', () => {
    const t = topology(
      node('core', 'down'),
      node('edge', 'down', { parent: 'core' }),
      node('web-1', 'unsure', { parent: 'edge' }),
      node('web-2', 'up', { parent: 'edge' }),
      node('db-1', 'unsure', { parent: 'core' }),
    );

    expect(t.silentBehind('core')).toBe(3);
    expect(t.silentBehind('edge')).toBe(1);
    expect(t.silentBehind('web-2')).toBe(0);
  });

  it('counts each agent once through a loop', () => {
    const t = topology(node('a', 'down', { parent: 'b' }), node('b', 'down', { parent: 'a' }));

    expect(t.silentBehind('a')).toBe(1);
  });
});

describe('heldByAncestor', () => {
  const child = { agentId: 'web', lastHeartbeatAt: T0 };

  it.each(['down', 'unsure'] as const)('holds an agent behind a parent that is %s', (health) => {
    const t = topology(node('sw', health), node('web', 'unsure', { parent: 'sw' }));

    expect(heldByAncestor(child, t, settings, [], T0 + 60 * SECOND)).toBe('sw');
  });

  it('names the highest ancestor that is down', () => {
    const t = topology(
      node('core', 'down'),
      node('edge', 'down', { parent: 'core' }),
      node('web', 'unsure', { parent: 'edge' }),
    );

    expect(heldByAncestor(child, t, settings, [], T0 + 60 * SECOND)).toBe('core');
  });

  it('holds nobody behind ancestors that are up or unwatched', () => {
    const t = topology(
      node('core', 'unwatched'),
      node('sw', 'up', { parent: 'core' }),
      node('web', 'unsure', { parent: 'sw' }),
    );

    expect(heldByAncestor(child, t, settings, [], T0 + 60 * SECOND)).toBeUndefined();
  });

  it('gives an agent silent since before its parent came back one heartbeat interval, not a millisecond more', () => {
    const back = T0 + 50 * SECOND;
    const t = topology(node('sw', 'up', { outageEndedAt: back }), node('web', 'unsure', { parent: 'sw' }));

    expect(heldByAncestor(child, t, settings, [], back + 10 * SECOND - 1)).toBe('sw');
    expect(heldByAncestor(child, t, settings, [], back + 10 * SECOND)).toBeUndefined();
  });

  it('gives no grace to an agent that went silent after its parent came back', () => {
    const t = topology(
      node('sw', 'up', { outageEndedAt: T0 - SECOND }),
      node('web', 'unsure', { parent: 'sw' }),
    );

    expect(heldByAncestor(child, t, settings, [], T0 + SECOND)).toBeUndefined();
  });

  it('does not count a blind window of the watcher in the grace', () => {
    const back = T0 + 50 * SECOND;
    const t = topology(node('sw', 'up', { outageEndedAt: back }), node('web', 'unsure', { parent: 'sw' }));
    const blind = [{ start: back, end: back + 20 * SECOND }];

    expect(heldByAncestor(child, t, settings, blind, back + 25 * SECOND)).toBe('sw');
  });
});

describe('healthOf', () => {
  const base = {
    watched: true,
    agentless: false,
    heardFrom: true,
    missedScans: 0,
    probeOk: undefined,
    standing: [],
  };

  it.each([
    ['a probe that failed in this scan', { probeOk: false }, 'down'],
    [
      'a probe that answered in this scan, though the agent is silent',
      { probeOk: true, missedScans: 5 },
      'up',
    ],
    ['a critical alert standing, not probed now', { standing: [{ severity: 'critical' as const }] }, 'down'],
    ['a warning standing (its host answered)', { standing: [{ severity: 'warning' as const }] }, 'up'],
    ['an agentless entry with nothing standing', { agentless: true }, 'up'],
    ['an agent that beats', {}, 'up'],
    ['a silent agent with nothing else known', { missedScans: 1 }, 'unsure'],
    ['an agent never heard from', { heardFrom: false }, 'unwatched'],
    ['an agent not watched', { watched: false, probeOk: false }, 'unwatched'],
  ])('is %s -> %s', (_, extra, health) => {
    expect(healthOf({ ...base, ...extra })).toBe(health);
  });
});

describe('parentLoop', () => {
  const parents: Record<string, string> = { 'sw-02': 'web-01', 'sw-03': 'sw-04', 'sw-04': 'sw-03' };
  const parentOf = async (id: string) => parents[id];

  it('shows the loop a parent would close, from the agent back to itself', async () => {
    expect(await parentLoop('web-01', 'sw-02', parentOf)).toEqual(['web-01', 'sw-02', 'web-01']);
  });

  it('shows an agent made its own parent', async () => {
    expect(await parentLoop('web-01', 'web-01', parentOf)).toEqual(['web-01', 'web-01']);
  });

  it('finds no loop for a parent whose chain ends, or whose own loop does not pass through the agent', async () => {
    expect(await parentLoop('web-09', 'sw-02', parentOf)).toBeUndefined();
    expect(await parentLoop('web-09', 'sw-03', parentOf)).toBeUndefined();
  });
});

describe('clusterFinding', () => {
  const db: ClusterQuorum = { name: 'db', group: 'production', minHealthy: 3, memberPages: true };
  const member = (agentId: string, state: ClusterMember['state'], incidentStart?: number): ClusterMember => ({
    agentId,
    state,
    incidentStart,
  });
  const back = (agentId: string, outageEndedAt: number): ClusterMember => ({
    agentId,
    state: 'healthy',
    outageEndedAt,
  });

  it('keeps the quorum with exactly minHealthy members up, late ones counting as up', () => {
    const f = clusterFinding(db, [
      member('a', 'healthy'),
      member('b', 'healthy'),
      member('c', 'late'),
      member('d', 'failed', T0),
      member('e', 'unreachable', T0),
    ]);

    expect(f).toMatchObject({ up: 3, total: 5, quorumLost: false, down: ['d', 'e'] });
  });

  it('loses it below minHealthy, since the failure that took it below', () => {
    const f = clusterFinding(db, [
      member('a', 'healthy'),
      member('b', 'healthy'),
      member('c', 'failed', T0 + 3),
      member('d', 'failed', T0 + 1),
      member('e', 'failed', T0 + 2),
    ]);

    expect(f).toMatchObject({ up: 2, quorumLost: true, since: T0 + 3, down: ['c', 'd', 'e'] });
  });

  it('keeps the same since when one more member fails later', () => {
    const before = [
      member('a', 'healthy'),
      member('b', 'healthy'),
      member('c', 'failed', T0 + 1),
      member('d', 'failed', T0 + 2),
      member('e', 'failed', T0 + 3),
    ];
    const after = [member('a', 'healthy'), member('b', 'failed', T0 + 9), ...before.slice(2)];

    expect(clusterFinding(db, after).since).toBe(clusterFinding(db, before).since);
  });

  it('does not lose it when no member failed: all in maintenance, or none heard from yet', () => {
    const f = clusterFinding(db, [member('a', 'maintenance'), member('b', 'new'), member('c', 'new')]);

    expect(f).toMatchObject({ up: 0, total: 3, quorumLost: false });
  });

  it('finds the quorum back since the return that took the members up to minHealthy', () => {
    const f = clusterFinding(db, [
      member('a', 'healthy'),
      back('b', T0 - 60 * SECOND),
      back('c', T0),
      member('d', 'failed', T0 - 90 * SECOND),
      member('e', 'failed', T0 - 90 * SECOND),
    ]);

    expect(f).toMatchObject({ up: 3, quorumLost: false, quorumBackAt: T0 });
  });

  it('keeps the same quorumBackAt when one more member comes back later', () => {
    const members = [
      member('a', 'healthy'),
      member('b', 'healthy'),
      back('c', T0),
      back('d', T0 + 5 * SECOND),
      member('e', 'failed', T0 - 90 * SECOND),
    ];

    expect(clusterFinding(db, members).quorumBackAt).toBe(T0);
  });

  it('finds no quorum back when the member that came back was down while the quorum held', () => {
    const f = clusterFinding(db, [
      member('a', 'healthy'),
      member('b', 'healthy'),
      member('c', 'healthy'),
      back('d', T0),
      member('e', 'failed', T0 - 90 * SECOND),
    ]);

    expect(f.quorumBackAt).toBeUndefined();
  });

  it('counts a member down since after a return as up before it', () => {
    const f = clusterFinding(db, [
      member('a', 'healthy'),
      member('b', 'healthy'),
      back('c', T0),
      member('d', 'failed', T0 + 5 * SECOND),
    ]);

    expect(f.quorumBackAt).toBeUndefined();
  });

  it('does not count pending or rejected agents as members', () => {
    const f = clusterFinding({ ...db, minHealthy: 1 }, [
      member('a', 'healthy'),
      member('b', 'pending'),
      member('c', 'rejected'),
    ]);

    expect(f.total).toBe(1);
  });
});

describe('heldAfterQuorum', () => {
  const backAt = T0 + 50 * SECOND;
  const finding = { quorumBackAt: backAt };

  it('gives a member silent since before the quorum came back one heartbeat interval, not a millisecond more', () => {
    const member = { lastHeartbeatAt: T0 };

    expect(heldAfterQuorum(finding, member, settings, [], backAt + 10 * SECOND - 1)).toBe(true);
    expect(heldAfterQuorum(finding, member, settings, [], backAt + 10 * SECOND)).toBe(false);
  });

  it('gives no grace to a member heard since the quorum came back, nor when it did not come back', () => {
    expect(heldAfterQuorum(finding, { lastHeartbeatAt: backAt }, settings, [], backAt + SECOND)).toBe(false);
    expect(heldAfterQuorum({}, { lastHeartbeatAt: T0 }, settings, [], backAt + SECOND)).toBe(false);
  });

  it('does not count a blind window of the watcher in the grace', () => {
    const blind = [{ start: backAt, end: backAt + 20 * SECOND }];

    expect(heldAfterQuorum(finding, { lastHeartbeatAt: T0 }, settings, blind, backAt + 25 * SECOND)).toBe(
      true,
    );
  });
});

describe('mute', () => {
  const alert = (overrides: Partial<AlertRecord> = {}): AlertRecord => ({
    alertId: 'agent.1.web-01',
    agentId: 'web-01',
    group: 'production',
    cluster: 'db',
    kind: 'heartbeat_failure',
    severity: 'critical',
    status: 'open',
    openedAt: T0,
    incidentStart: T0 - 90 * SECOND,
    detail: '',
    channels: ['sms'],
    openNotice: 'pending',
    recoveryNotice: 'none',
    ...overrides,
  });
  const db: ClusterQuorum = { name: 'db', group: 'production', minHealthy: 2, memberPages: true };
  const lost = new Map([
    ['db', { cluster: db, total: 3, up: 1, down: ['web-01', 'web-02'], quorumLost: true }],
  ]);
  const held = new Map([['db', { cluster: db, total: 3, up: 3, down: [], quorumLost: false }]]);
  const never = () => false;
  const behindSwitch = (id: string) => (id === 'web-01' || id === 'web-02' ? 'sw-01' : undefined);

  it('asks the muters in order, so the first that holds names the reason', () => {
    const muters = [
      maintenanceMuter(new Map([['web-01', 'web-01']])),
      stormMuter(true),
      clusterMuter(lost, never),
      parentMuter(behindSwitch, lost),
    ];

    expect(mute(alert(), muters)).toEqual({ reason: 'maintenance', by: 'web-01' });
    expect(mute(alert(), muters.slice(1))).toEqual({ reason: 'storm', by: 'production' });
    expect(mute(alert(), muters.slice(2))).toEqual({ reason: 'cluster', by: 'db' });
    expect(mute(alert(), muters.slice(3))).toEqual({ reason: 'parent', by: 'sw-01' });
    expect(mute(alert({ agentId: 'web-09' }), muters.slice(3))).toBeUndefined();
  });

  it('never holds the storm notice itself', () => {
    expect(mute(alert({ kind: 'network_event', agentId: '*' }), [stormMuter(true)])).toBeUndefined();
  });

  it('holds a member while its cluster keeps its quorum only when the cluster does not page members', () => {
    const quiet = new Map([['db', { ...held.get('db')!, cluster: { ...db, memberPages: false } }]]);

    expect(mute(alert(), [clusterMuter(held, never)])).toBeUndefined();
    expect(mute(alert(), [clusterMuter(quiet, never)])).toEqual({ reason: 'cluster', by: 'db' });
  });

  it('holds a member its cluster still gives time to be heard once the quorum is back', () => {
    const waiting = (agentId: string) => agentId === 'web-01';

    expect(mute(alert(), [clusterMuter(held, waiting)])).toEqual({ reason: 'cluster', by: 'db' });
    expect(mute(alert({ agentId: 'web-02' }), [clusterMuter(held, waiting)])).toBeUndefined();
  });

  it('holds a cluster_down when every member down is behind a down parent, and not otherwise', () => {
    const cluster = alert({ kind: 'cluster_down', agentId: '*', agentIds: ['web-01', 'web-02'] });
    const oneAlone = new Map([['db', { ...lost.get('db')!, down: ['web-01', 'web-03'] }]]);

    expect(mute(cluster, [parentMuter(behindSwitch, lost)])).toEqual({ reason: 'parent', by: 'sw-01' });
    expect(mute(cluster, [parentMuter(behindSwitch, oneAlone)])).toBeUndefined();
  });
});
