import {
  agentState,
  agentView,
  clockSkewSeconds,
  type Findings,
  hasSkewWarning,
  inMaintenance,
  SKEW_WARNING_SECONDS,
} from '../../lambda/domain/agent';
import { DEFAULT_CONFIG, parseConfig } from '../../lambda/domain/config';
import { agent, T0 } from '../support/records';

const SECOND = 1000;
const INTERVAL = 30;
const settings = { scanIntervalSeconds: INTERVAL, missedScansBeforeAlert: 3 };

/** The time `k` scan intervals after the last heartbeat, plus `extraMs`. */
const atScan = (k: number, extraMs = 0) => T0 + k * INTERVAL * SECOND + extraMs;

describe('agentState', () => {
  it('is new for an approved agent never heard from, with no missed scans', () => {
    expect(agentState(agent({ lastHeartbeatAt: undefined }), settings, atScan(100))).toEqual({
      state: 'new',
      missedScans: 0,
    });
  });

  it('is healthy until a whole interval has passed since the heartbeat', () => {
    expect(agentState(agent(), settings, atScan(1, -1))).toEqual({ state: 'healthy', missedScans: 0 });
  });

  it('is late from exactly one interval after the heartbeat', () => {
    expect(agentState(agent(), settings, atScan(1))).toEqual({ state: 'late', missedScans: 1 });
  });

  it('is still late a millisecond before the alert threshold', () => {
    expect(agentState(agent(), settings, atScan(3, -1))).toEqual({ state: 'late', missedScans: 2 });
  });

  it('is failed exactly at missedScansBeforeAlert intervals', () => {
    expect(agentState(agent(), settings, atScan(3))).toEqual({ state: 'failed', missedScans: 3 });
  });

  it('fails after a single missed scan when the group alerts at 1', () => {
    const strict = { scanIntervalSeconds: INTERVAL, missedScansBeforeAlert: 1 };

    expect(agentState(agent(), strict, atScan(1)).state).toBe('failed');
  });

  it('is maintenance, not failed, inside a maintenance window, and still counts missed scans', () => {
    const inWindow = agent({ maintenanceUntil: atScan(10) });

    expect(agentState(inWindow, settings, atScan(5))).toEqual({ state: 'maintenance', missedScans: 5 });
  });

  it('is maintenance for a new agent inside a window', () => {
    const quiet = agent({ lastHeartbeatAt: undefined, maintenanceUntil: atScan(10) });

    expect(agentState(quiet, settings, atScan(5)).state).toBe('maintenance');
  });

  it('leaves maintenance at the instant the window ends', () => {
    const ended = agent({ maintenanceUntil: atScan(5) });

    expect(agentState(ended, settings, atScan(5, -1)).state).toBe('maintenance');
    expect(agentState(ended, settings, atScan(5)).state).toBe('failed');
  });

  it.each(['pending', 'rejected'] as const)(
    'is %s whatever its heartbeats, even inside a window',
    (approval) => {
      const waiting = agent({ approval, maintenanceUntil: atScan(10) });

      expect(agentState(waiting, settings, atScan(5))).toEqual({ state: approval, missedScans: 5 });
      expect(agentState(agent({ approval }), settings, T0).state).toBe(approval);
    },
  );

  it('shows a pending agent never heard from with no missed scans', () => {
    expect(
      agentState(agent({ approval: 'pending', lastHeartbeatAt: undefined }), settings, atScan(5)),
    ).toEqual({
      state: 'pending',
      missedScans: 0,
    });
  });
});

describe('agentState against what the scanner found', () => {
  const failure = { kind: 'heartbeat_failure' as const, incidentStart: T0 };
  const unreachable = { kind: 'host_unreachable' as const, incidentStart: T0 };
  const found = (openAlerts: Findings['openAlerts'], blindWindows: Findings['blindWindows'] = []) => ({
    blindWindows,
    openAlerts,
  });

  it('does not count a blind window of the watcher as missed scans', () => {
    const blind = [{ start: atScan(1), end: atScan(3) }];

    expect(agentState(agent(), settings, atScan(3), found([], blind))).toEqual({
      state: 'late',
      missedScans: 1,
    });
  });

  it('is failed while a heartbeat failure is open and no heartbeat came since its incident started', () => {
    expect(agentState(agent(), settings, atScan(1), found([failure])).state).toBe('failed');
  });

  it('is unreachable while a host_unreachable alert stands', () => {
    expect(agentState(agent(), settings, atScan(1), found([unreachable])).state).toBe('unreachable');
  });

  it('is healthy at once after a heartbeat, though the scanner has not yet resolved the open alert', () => {
    const beat = agent({ lastHeartbeatAt: T0 + 5 * INTERVAL * SECOND });

    expect(agentState(beat, settings, beat.lastHeartbeatAt! + 1, found([failure, unreachable]))).toEqual({
      state: 'healthy',
      missedScans: 0,
    });
  });
});

describe('inMaintenance', () => {
  it('is false without a window, true before its end and false from its end on', () => {
    expect(inMaintenance({}, T0)).toBe(false);
    expect(inMaintenance({ maintenanceUntil: T0 + 1 }, T0)).toBe(true);
    expect(inMaintenance({ maintenanceUntil: T0 }, T0)).toBe(false);
  });
});

describe('clock skew', () => {
  it('is the seconds the agent clock is ahead of the watcher, negative when behind', () => {
    expect(clockSkewSeconds(T0 + 42 * SECOND, T0)).toBe(42);
    expect(clockSkewSeconds(T0 - 42 * SECOND, T0)).toBe(-42);
  });

  it('rounds to the nearest second', () => {
    expect(clockSkewSeconds(T0 + 1_499, T0)).toBe(1);
    expect(clockSkewSeconds(T0 + 1_500, T0)).toBe(2);
  });

  it('uses five minutes as the warning limit', () => {
    expect(SKEW_WARNING_SECONDS).toBe(300);
  });

  it.each([
    [0, false],
    [300, false],
    [-300, false],
    [301, true],
    [-301, true],
  ])('warns for a skew of %i s: %s', (skew, warned) => {
    expect(hasSkewWarning(skew)).toBe(warned);
  });

  it('does not warn when the agent never sent its time', () => {
    expect(hasSkewWarning(undefined)).toBe(false);
  });

  it('flags the skew warning in the agent view at 301 s but not at 300 s', () => {
    const production = parseConfig(DEFAULT_CONFIG).groups.production!;

    expect(agentView(agent({ clockSkewSeconds: 300 }), production, T0).clockSkewWarning).toBe(false);
    expect(agentView(agent({ clockSkewSeconds: 301 }), production, T0).clockSkewWarning).toBe(true);
  });
});

describe('agentView', () => {
  const production = parseConfig(DEFAULT_CONFIG).groups.production!;

  it('shows times as RFC 3339 UTC and never the token hash', () => {
    const view = agentView(agent({ tokenHash: 'a'.repeat(64) }), production, atScan(1));

    expect(view.lastHeartbeatAt).toBe('2026-11-23T12:00:00.000Z');
    expect(view.createdAt).toBe('2026-11-23T11:00:00.000Z');
    expect(JSON.stringify(view)).not.toContain('a'.repeat(64));
    expect(view).toMatchObject({ state: 'late', missedScans: 1, heartbeatIntervalSeconds: 30 });
  });

  it('hides a maintenance window that has ended', () => {
    const ended = agent({ maintenanceUntil: atScan(1), maintenanceReason: 'kernel update' });

    expect(agentView(ended, production, T0)).toMatchObject({
      maintenanceUntil: '2026-11-23T12:00:30.000Z',
      maintenanceReason: 'kernel update',
    });
    expect(agentView(ended, production, atScan(1))).toMatchObject({
      maintenanceUntil: undefined,
      maintenanceReason: undefined,
    });
  });
});
