import { type AgentRecord, agentState } from '../../lambda/domain/agent';
import { parseConfig } from '../../lambda/domain/config';
import {
  coalesce,
  HOUR_MS,
  heartbeatsCovered,
  lossLastHourPercent,
  lostHeartbeats,
  staleBuckets,
} from '../../lambda/domain/loss';
import { judgeRefused, restartAlert, restartOf, unrecordedRestart } from '../../lambda/domain/restart';
import { alertDetail } from '../../lambda/domain/scan';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const HOUR = Math.floor(T0 / HOUR_MS);

describe('lostHeartbeats', () => {
  it.each([
    ['none lost', { seq: 10, bootFirstSeq: 1, bootBeats: 10 }, 0],
    ['a gap of 3', { seq: 10, bootFirstSeq: 1, bootBeats: 7 }, 3],
    ['a boot that began at seq 500', { seq: 509, bootFirstSeq: 500, bootBeats: 8 }, 2],
    ['no seq sent', { bootFirstSeq: 1, bootBeats: 3 }, undefined],
    ['counts not kept yet', { seq: 4 }, undefined],
  ])('%s', (_case, counters, lost) => {
    expect(lostHeartbeats(counters)).toBe(lost);
  });
});

describe('lossLastHourPercent', () => {
  it('is the share lost this hour when there is no last hour', () => {
    const buckets = [{ hour: HOUR, firstSeq: 1, lastSeq: 20, beats: 19 }];
    expect(lossLastHourPercent(buckets, T0 + 30 * 60_000)).toBe(5);
  });

  it('weighs the last hour by the part of it still inside the sliding hour, and counts the gap between them now', () => {
    const buckets = [
      { hour: HOUR - 1, firstSeq: 1, lastSeq: 60, beats: 60 },
      { hour: HOUR, firstSeq: 71, lastSeq: 90, beats: 20 },
    ];
    // A quarter of the way into this hour: 3/4 of the last hour counts. This hour: 20 sent from 71,
    // and the 10 between 60 and 71 lost; the last hour: 60 sent, 60 arrived.
    const expected = 30 + 60 * 0.75;
    const arrived = 20 + 60 * 0.75;
    expect(lossLastHourPercent(buckets, T0 + 15 * 60_000)).toBeCloseTo(
      ((expected - arrived) / expected) * 100,
      1,
    );
  });

  it('leaves out hours older than the last one, and is undefined with nothing to count', () => {
    expect(lossLastHourPercent([{ hour: HOUR - 2, firstSeq: 1, lastSeq: 9, beats: 1 }], T0)).toBeUndefined();
    expect(lossLastHourPercent(undefined, T0)).toBeUndefined();
  });
});

describe('heartbeatsCovered and coalesce', () => {
  it('covers the coalesced heartbeats before seq, never below seq 0', () => {
    expect(heartbeatsCovered(10, undefined)).toEqual({ firstSeq: 10, beats: 1 });
    expect(heartbeatsCovered(10, 4)).toEqual({ firstSeq: 7, beats: 4 });
    expect(heartbeatsCovered(2, 50)).toEqual({ firstSeq: 0, beats: 3 });
  });

  it('lets a newer heartbeat of the same boot stand for the one it replaced, and not across boots', () => {
    const older = { agentId: 'a', seq: 4, bootId: 'b1', coalesced: 2 };
    expect(coalesce(older, { agentId: 'a', seq: 5, bootId: 'b1' })).toEqual({
      agentId: 'a',
      seq: 5,
      bootId: 'b1',
      coalesced: 3,
    });
    const otherBoot = { agentId: 'a', seq: 1, bootId: 'b2' };
    expect(coalesce(older, otherBoot)).toBe(otherBoot);
    const unordered = { agentId: 'a' };
    expect(coalesce({ agentId: 'a' }, unordered)).toBe(unordered);
  });
});

describe('staleBuckets', () => {
  it('names the hours before the last one', () => {
    const b = (hour: number) => ({ hour, firstSeq: 1, lastSeq: 1, beats: 1 });
    expect(staleBuckets([b(HOUR - 5), b(HOUR - 2), b(HOUR - 1), b(HOUR)], T0)).toEqual([
      b(HOUR - 5),
      b(HOUR - 2),
    ]);
  });
});

describe('restartOf and judgeRefused', () => {
  const stored = { bootId: 'boot-a', seq: 40, lastSentAt: T0 };

  it('sees a restart in a newer heartbeat of another boot, with the downtime from the agent’s bootedAt', () => {
    expect(
      restartOf(stored, { bootId: 'boot-b', sentAt: T0 + 90_000, bootedAt: T0 + 30_000, at: T0 + 91_000 }),
    ).toEqual({
      at: T0 + 91_000,
      fromBoot: 'boot-a',
      toBoot: 'boot-b',
      downtimeSeconds: 30,
      expected: false,
    });
  });

  it.each([
    ['the same boot', { bootId: 'boot-a', sentAt: T0 + 1, at: T0 }],
    ['another boot sent before the stored heartbeat', { bootId: 'boot-z', sentAt: T0 - 1, at: T0 }],
    ['no bootId', { sentAt: T0 + 1, at: T0 }],
  ])('sees none in %s', (_case, heartbeat) => {
    expect(restartOf(stored, heartbeat)).toBeUndefined();
  });

  it('marks a restart after a goodbye as expected, and leaves out a bootedAt before the last heartbeat', () => {
    const restart = restartOf(
      { ...stored, awayUntil: T0 + 600_000 },
      { bootId: 'b', bootedAt: T0 - 5, at: T0 + 1 },
    );
    expect(restart).toMatchObject({ expected: true });
    expect(restart?.downtimeSeconds).toBeUndefined();
  });

  it.each([
    ['a replay', { seq: 40, bootId: 'boot-a', at: T0 }, 'duplicate'],
    ['an older heartbeat of the boot', { seq: 12, bootId: 'boot-a', at: T0 }, 'duplicate'],
    ['a newer one, refused against an older record', { seq: 41, bootId: 'boot-a', at: T0 }, 'again'],
    ['a new boot', { seq: 1, bootId: 'boot-b', at: T0 }, 'restart'],
  ])('judges %s', (_case, heartbeat, kind) => {
    expect(judgeRefused(stored, heartbeat).kind).toBe(kind);
  });
});

const config = parseConfig({
  groups: { production: { channels: ['sms'], onRestart: 'page' }, test: { channels: ['console'] } },
});

describe('restartAlert', () => {
  const agent = { agentId: 'web-01', group: 'production' };
  const restart = { at: T0, fromBoot: 'a', toBoot: 'b', expected: false };

  it('pages where the group says page, resolved afterwards with no recovery', () => {
    const alert = restartAlert(agent, restart, config.groups.production!, true, T0 + 5);
    expect(alert).toMatchObject({
      alertId: `agent_restarted.${T0}.web-01`,
      kind: 'agent_restarted',
      severity: 'warning',
      openNotice: 'pending',
      recoveryNotice: 'none',
    });
  });

  it('suppresses the page of a planned restart, saying goodbye, and records only where the group says record', () => {
    const planned = restartAlert(agent, { ...restart, expected: true }, config.groups.production!, true, T0);
    expect(planned).toMatchObject({
      openNotice: 'suppressed',
      suppressed: { reason: 'goodbye', by: 'web-01' },
    });
    const recorded = restartAlert(
      agent,
      restart,
      { ...config.groups.production!, onRestart: 'record' },
      true,
      T0,
    );
    expect(recorded.openNotice).toBe('none');
    expect(restartAlert(agent, restart, config.groups.test!, false, T0).openNotice).toBe('none');
  });

  it('is owed only for a restart later than the last one recorded', () => {
    expect(unrecordedRestart({ lastRestart: restart, restartRecordedAt: T0 })).toBeUndefined();
    expect(unrecordedRestart({ lastRestart: restart, restartRecordedAt: T0 - 1 })).toEqual(restart);
    expect(unrecordedRestart({ lastRestart: restart })).toEqual(restart);
  });
});

describe('away', () => {
  const settings = { scanIntervalSeconds: 30, missedScansBeforeAlert: 3 };
  const agent: AgentRecord = {
    agentId: 'db-01',
    group: 'production',
    approval: 'approved',
    createdAt: T0 - HOUR_MS,
    lastHeartbeatAt: T0,
    awayUntil: T0 + 300_000,
    awayReason: 'kernel update',
  };

  it('is away with no missed scan until the time it gave, then counts from that time', () => {
    expect(agentState(agent, settings, T0 + 299_000)).toEqual({ state: 'away', missedScans: 0 });
    expect(agentState(agent, settings, T0 + 300_000 + 61_000)).toEqual({ state: 'late', missedScans: 2 });
    expect(agentState(agent, settings, T0 + 300_000 + 90_000)).toEqual({ state: 'failed', missedScans: 3 });
  });

  it('says in its heartbeat failure that it did not come back after a planned restart', () => {
    const detail = alertDetail('heartbeat_failure', agent, 3, config.groups.production!, undefined);
    expect(detail).toContain('It did not come back after a planned restart: kernel update');
  });

  it('says so too when its host answers the probe, and when it does not', () => {
    const up = alertDetail('heartbeat_failure', agent, 3, config.groups.production!, {
      outcome: 'up',
      detail: 'tcp db-01:22 answered',
    });
    const down = alertDetail('host_unreachable', agent, 3, config.groups.production!, {
      outcome: 'down',
      detail: 'tcp db-01:22 failed 2x: ECONNREFUSED',
    });

    expect(up).toContain(
      'check the agent service. It did not come back after a planned restart: kernel update',
    );
    expect(down).toContain('may be down. It did not come back after a planned restart: kernel update');
  });
});
