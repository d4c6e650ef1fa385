import type { AgentRecord } from '../../lambda/domain/agent';
import { type AlertKind, type AlertRecord, alertId } from '../../lambda/domain/alert';
import {
  type BlindWindow,
  blindWindowsAfter,
  findsBlindWindow,
  missedScansWatched,
  type ScannerState,
} from '../../lambda/domain/blind';
import { type GroupSettings, parseConfig, type RawConfig } from '../../lambda/domain/config';
import {
  type Assessment,
  alertDetail,
  assess,
  decide,
  incidentStart,
  scanLag,
  severityOf,
  stormStep,
} from '../../lambda/domain/scan';
import { agent, T0 } from '../support/records';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 86_400_000;
const INTERVAL = 30;
const INTERVAL_MS = INTERVAL * SECOND;

const RAW: RawConfig = {
  scanIntervalSeconds: INTERVAL,
  missedScansBeforeAlert: 3,
  groups: {
    production: { channels: ['sms', 'email'] },
    lab: {
      channels: ['console'],
      scanIntervalSeconds: 10,
      missedScansBeforeAlert: 2,
      agentlessEveryNScans: 2,
    },
  },
};
const config = parseConfig(RAW);
const production = config.groups.production as GroupSettings;
const lab = config.groups.lab as GroupSettings;

const TCP_PROBE = { type: 'tcp', host: 'web-01.internal', port: 22 } as const;

function agentless(overrides: Partial<AgentRecord> = {}): AgentRecord {
  return agent({
    agentId: 'switch-01',
    agentless: true,
    probe: TCP_PROBE,
    lastHeartbeatAt: undefined,
    ...overrides,
  });
}

function openAlert(kind: AlertKind, start: number, overrides: Partial<AlertRecord> = {}): AlertRecord {
  return {
    alertId: alertId('agent', 'web-01', start),
    agentId: 'web-01',
    group: 'production',
    kind,
    severity: 'critical',
    status: 'open',
    openedAt: start + 3 * INTERVAL_MS,
    incidentStart: start,
    detail: 'no heartbeat',
    channels: ['sms', 'email'],
    openNotice: 'sent',
    recoveryNotice: 'none',
    ...overrides,
  };
}

const NO_WINDOWS = { blindWindows: [] as BlindWindow[] };

/** `k` scan intervals after T0, plus `extraMs`. */
const atScan = (k: number, extraMs = 0) => T0 + k * INTERVAL_MS + extraMs;

const watched = (missedScans: number, probe: boolean, heartbeatFailed: boolean): Assessment => ({
  kind: 'watched',
  missedScans,
  probe,
  heartbeatFailed,
});

describe('missedScansWatched at the interval boundaries', () => {
  it.each([1, 2, 3, 10])('counts %i missed scans exactly at that many intervals after the heartbeat', (k) => {
    expect(missedScansWatched(T0, atScan(k), INTERVAL, [])).toBe(k);
  });

  it.each([1, 2, 3, 10])('counts one fewer than %i a millisecond before that many intervals', (k) => {
    expect(missedScansWatched(T0, atScan(k, -1), INTERVAL, [])).toBe(k - 1);
  });

  it('counts no missed scan for a heartbeat later than the scan', () => {
    expect(missedScansWatched(atScan(1), T0, INTERVAL, [])).toBe(0);
  });
});

describe('blindWindowsAfter', () => {
  const scanner = (lastCompletedAt: number | undefined, blindWindows: BlindWindow[] = []): ScannerState => ({
    lastScanAt: lastCompletedAt,
    lastCompletedAt,
    blindWindows,
  });

  it('adds no window on the very first scan', () => {
    expect(blindWindowsAfter(scanner(undefined), T0, INTERVAL)).toEqual([]);
  });

  it('adds no window after a gap of exactly two scan intervals', () => {
    expect(blindWindowsAfter(scanner(T0), T0 + 2 * INTERVAL_MS, INTERVAL)).toEqual([]);
  });

  it('adds a window, starting one interval after the last completed scan, after a gap of more than two intervals', () => {
    const scanTime = T0 + 2 * INTERVAL_MS + 1;

    const windows = blindWindowsAfter(scanner(T0), scanTime, INTERVAL);

    expect(windows).toEqual([{ start: T0 + INTERVAL_MS, end: scanTime }]);
  });

  it('makes the whole gap a window after a restart of a watcher whose heartbeat route was down with it, however short', () => {
    expect(blindWindowsAfter(scanner(T0), T0 + 1500, INTERVAL, true)).toEqual([
      { start: T0, end: T0 + 1500 },
    ]);
    expect(blindWindowsAfter(scanner(undefined), T0, INTERVAL, true)).toEqual([]);
  });

  it('makes a pause of the process that ended since the last scan started a window up to this scan, though a scan completed after it', () => {
    const state: ScannerState = { lastScanAt: T0, lastCompletedAt: T0 + 7 * SECOND, blindWindows: [] };
    const pause = { start: T0 + 20, end: T0 + 6.9 * SECOND };

    const windows = blindWindowsAfter(state, T0 + 7.2 * SECOND, INTERVAL, false, [pause]);

    expect(windows).toEqual([{ start: T0 + 20, end: T0 + 7.2 * SECOND }]);
    expect(findsBlindWindow(windows, T0 + 7.2 * SECOND)).toBe(true);
  });

  it('ignores a pause that ended before the last scan started, and makes one window of a pause and a gap', () => {
    const state: ScannerState = { lastScanAt: T0, lastCompletedAt: T0, blindWindows: [] };
    const before = { start: T0 - 9 * SECOND, end: T0 - SECOND };
    const during = { start: T0 + 500, end: T0 + 4 * SECOND };

    expect(blindWindowsAfter(state, T0 + SECOND, INTERVAL, false, [before])).toEqual([]);
    expect(blindWindowsAfter(state, T0 + 5 * SECOND, INTERVAL, false, [before, during])).toEqual([
      { start: T0 + 500, end: T0 + 5 * SECOND },
    ]);
    // More than two intervals since the last scan, and a pause within them: one window from the earlier start.
    expect(blindWindowsAfter(state, T0 + 70 * SECOND, INTERVAL, false, [during])).toEqual([
      { start: T0 + 500, end: T0 + 70 * SECOND },
    ]);
  });

  it('measures the gap from when the last scan completed, so a slow scan does not look like blindness', () => {
    const state: ScannerState = {
      lastScanAt: T0,
      lastCompletedAt: T0 + 50 * SECOND,
      blindWindows: [],
    };

    expect(blindWindowsAfter(state, T0 + 100 * SECOND, INTERVAL)).toEqual([]);
  });

  it('falls back to the last scan time when no completion time was recorded', () => {
    const state: ScannerState = { lastScanAt: T0, blindWindows: [] };

    expect(blindWindowsAfter(state, T0 + 61 * SECOND, INTERVAL)).toEqual([
      { start: T0 + INTERVAL_MS, end: T0 + 61 * SECOND },
    ]);
  });

  it('keeps the earlier windows after adding a new one', () => {
    const earlier = { start: T0 - 2 * DAY, end: T0 - 2 * DAY + 10 * MINUTE };

    const windows = blindWindowsAfter(scanner(T0, [earlier]), T0 + 5 * MINUTE, INTERVAL);

    expect(windows).toEqual([earlier, { start: T0 + INTERVAL_MS, end: T0 + 5 * MINUTE }]);
  });

  it('forgets windows that ended more than seven days before the scan and keeps younger ones', () => {
    const scanTime = T0 + INTERVAL_MS;
    const old = { start: scanTime - 8 * DAY, end: scanTime - 7 * DAY - 1 };
    const young = { start: scanTime - 8 * DAY, end: scanTime - 7 * DAY + 1 };

    expect(blindWindowsAfter(scanner(T0, [old, young]), scanTime, INTERVAL)).toEqual([young]);
  });

  it('keeps only the 20 newest windows', () => {
    const many = Array.from({ length: 25 }, (_, i) => ({
      start: T0 - (50 - i) * MINUTE,
      end: T0 - (50 - i) * MINUTE + 1,
    }));

    const windows = blindWindowsAfter(scanner(T0, many), T0 + 10 * MINUTE, INTERVAL);

    expect(windows).toHaveLength(20);
    expect(windows.at(-1)).toEqual({ start: T0 + INTERVAL_MS, end: T0 + 10 * MINUTE });
    expect(windows[0]).toEqual(many[6]);
  });

  it('does not count the blind window: an agent silent since before it is late, not failed, right after it', () => {
    // The last scan saw the agent 10 s after its heartbeat; then the watcher was blind for 10 minutes.
    const lastCompleted = T0 + 10 * SECOND;
    const firstScanAfter = lastCompleted + 10 * MINUTE;
    const windows = blindWindowsAfter(scanner(lastCompleted), firstScanAfter, INTERVAL);

    const assessment = assess(agent(), production, firstScanAfter, { blindWindows: windows });

    expect(assessment).toEqual(watched(1, false, false));
    expect(missedScansWatched(T0, firstScanAfter, INTERVAL, [])).toBe(20);
  });

  it('counts again from the end of the blind window, failing the silent agent at the threshold', () => {
    const lastCompleted = T0 + 10 * SECOND;
    const firstScanAfter = lastCompleted + 10 * MINUTE;
    const windows = blindWindowsAfter(scanner(lastCompleted), firstScanAfter, INTERVAL);
    const context = { blindWindows: windows };

    const second = assess(agent(), production, firstScanAfter + INTERVAL_MS, context);
    const third = assess(agent(), production, firstScanAfter + 2 * INTERVAL_MS, context);

    expect(second).toEqual(watched(2, false, false));
    expect(third).toEqual(watched(3, false, true));
  });

  it('neither probes nor fails anyone on the scan that finds the window, as heartbeats sent meanwhile may still be queued', () => {
    const lastCompleted = T0 + 10 * SECOND;
    const firstScanAfter = lastCompleted + 10 * MINUTE;
    const windows = blindWindowsAfter(scanner(lastCompleted), firstScanAfter, INTERVAL);
    const probed = agent({ probe: TCP_PROBE });
    const longSilent = agent({ probe: TCP_PROBE, lastHeartbeatAt: T0 - 10 * MINUTE });

    const waking = { blindWindows: windows };
    const next = { blindWindows: windows };

    expect(assess(probed, production, firstScanAfter, waking)).toEqual(watched(1, false, false));
    expect(assess(longSilent, production, firstScanAfter, waking)).toEqual(watched(21, false, false));
    expect(assess(probed, production, firstScanAfter + INTERVAL_MS, next)).toEqual(watched(2, true, false));
    expect(assess(longSilent, production, firstScanAfter + INTERVAL_MS, next)).toEqual(
      watched(22, true, true),
    );
  });

  it('does not count a blind window during which the agent sent its last heartbeat', () => {
    const lastCompleted = T0 - 5 * MINUTE;
    const windows = blindWindowsAfter(scanner(lastCompleted), T0 + 5 * MINUTE, INTERVAL);

    expect(assess(agent(), production, T0 + 5 * MINUTE, { blindWindows: windows })).toEqual(
      watched(0, false, false),
    );
  });
});

describe('assess', () => {
  it.each(['pending', 'rejected'] as const)(
    'leaves a %s agent unmonitored however long it is silent',
    (approval) => {
      expect(assess(agent({ approval }), production, atScan(100), NO_WINDOWS)).toEqual({
        kind: 'unmonitored',
      });
    },
  );

  it('leaves an approved agent never heard from unmonitored (state new)', () => {
    expect(assess(agent({ lastHeartbeatAt: undefined }), production, atScan(100), NO_WINDOWS)).toEqual({
      kind: 'unmonitored',
    });
  });

  it('puts a silent agent inside its maintenance window in maintenance', () => {
    const a = agent({ maintenanceUntil: atScan(101), probe: TCP_PROBE });

    expect(assess(a, production, atScan(100), NO_WINDOWS)).toEqual({ kind: 'maintenance' });
  });

  it('watches the agent again from the instant its maintenance window ends', () => {
    const a = agent({ maintenanceUntil: atScan(100) });

    expect(assess(a, production, atScan(100), NO_WINDOWS)).toEqual(watched(100, false, true));
  });

  it('answers healthy (watched, nothing missed, no probe) right after a heartbeat', () => {
    expect(assess(agent({ probe: TCP_PROBE }), production, atScan(1, -1), NO_WINDOWS)).toEqual(
      watched(0, false, false),
    );
  });

  it('marks a late agent without a probe late, with no probe to run', () => {
    expect(assess(agent(), production, atScan(1), NO_WINDOWS)).toEqual(watched(1, false, false));
  });

  it('asks for a probe of a late agent that has one once it is silent past its longest wait, its heartbeat interval and 10%', () => {
    // production beats every 30 s and is scanned every 30 s: a beating agent may wait up to 33 s.
    const probed = (extraMs: number) =>
      assess(agent({ probe: TCP_PROBE }), production, atScan(1, extraMs), NO_WINDOWS);

    expect(probed(0)).toEqual(watched(1, false, false));
    expect(probed(3 * SECOND)).toEqual(watched(1, false, false));
    expect(probed(3 * SECOND + 1)).toEqual(watched(1, true, false));
  });

  it('asks for a probe from the first missed scan where the scan interval is longer than the longest wait', () => {
    const often = parseConfig({ ...RAW, heartbeatIntervalSeconds: 10 }).groups.production as GroupSettings;

    expect(assess(agent({ probe: TCP_PROBE }), often, atScan(1, -1), NO_WINDOWS)).toEqual(
      watched(0, false, false),
    );
    expect(assess(agent({ probe: TCP_PROBE }), often, atScan(1), NO_WINDOWS)).toEqual(
      watched(1, true, false),
    );
  });

  it('measures the wait in watched time: a blind window inside the silence does not make it longer', () => {
    const blind = { blindWindows: [{ start: T0 + 10 * SECOND, end: T0 + 20 * SECOND }] };
    const a = agent({ probe: TCP_PROBE });

    // 40 s after the heartbeat, 30 s of it watched: one missed scan, and within the longest wait.
    expect(assess(a, production, T0 + 40 * SECOND, blind)).toEqual(watched(1, false, false));
    expect(assess(a, production, T0 + 43 * SECOND + 1, blind)).toEqual(watched(1, true, false));
  });

  it('fails the agent exactly at the threshold and not a millisecond before', () => {
    expect(assess(agent(), production, atScan(3, -1), NO_WINDOWS)).toEqual(watched(2, false, false));
    expect(assess(agent(), production, atScan(3), NO_WINDOWS)).toEqual(watched(3, false, true));
  });

  it('counts in the scan interval and threshold of the agent’s own group', () => {
    const a = agent({ group: 'lab' });

    expect(assess(a, lab, T0 + 20 * SECOND - 1, NO_WINDOWS)).toEqual(watched(1, false, false));
    expect(assess(a, lab, T0 + 20 * SECOND, NO_WINDOWS)).toEqual(watched(2, false, true));
  });

  it('probes an agentless entry on the very first scan', () => {
    expect(assess(agentless(), production, atScan(1), NO_WINDOWS)).toEqual(watched(0, true, false));
  });

  it('probes an agentless entry on the first scan of every 3 of its group’s scan intervals, and only then', () => {
    const turns = [0, 1, 2, 3, 4, 5, 6].map(
      (k) => assess(agentless(), production, atScan(k), { lastScanAt: atScan(k - 1), blindWindows: [] }).kind,
    );

    expect(turns).toEqual(['watched', 'idle', 'idle', 'watched', 'idle', 'idle', 'watched']);
  });

  it('probes an agentless entry after a gap that passed the start of its stretch', () => {
    const context = { lastScanAt: atScan(0, 10 * SECOND), blindWindows: [] };

    expect(assess(agentless(), production, atScan(3, 10 * SECOND), context)).toEqual(watched(0, true, false));
  });

  it('counts the group’s own scans, not the scanner’s ticks for a faster group', () => {
    // production scans every 30 s, but lab makes the scanner tick every 10 s: over 9 minutes the
    // agentless production entry is probed 6 times (every 90 s), not every third tick (18 times).
    let probes = 0;
    for (let tick = 1; tick <= 54; tick++) {
      const context = { lastScanAt: T0 + (tick - 1) * 10 * SECOND, blindWindows: [] };
      if (assess(agentless(), production, T0 + tick * 10 * SECOND, context).kind === 'watched') probes += 1;
    }

    expect(probes).toBe(6);
  });

  it('follows the group’s own agentlessEveryNScans and interval', () => {
    const entry = agentless({ group: 'lab' });
    const at = (ms: number) =>
      assess(entry, lab, T0 + ms, { lastScanAt: T0 + ms - 10 * SECOND, blindWindows: [] });

    expect([0, 10, 20, 30, 40].map((sec) => at(sec * SECOND).kind)).toEqual([
      'watched',
      'idle',
      'watched',
      'idle',
      'watched',
    ]);
  });

  it('leaves an agentless entry without a probe unmonitored', () => {
    expect(assess(agentless({ probe: undefined }), production, atScan(1), NO_WINDOWS)).toEqual({
      kind: 'unmonitored',
    });
  });

  it('puts an agentless entry in maintenance even on its turn', () => {
    expect(assess(agentless({ maintenanceUntil: atScan(5) }), production, atScan(1), NO_WINDOWS)).toEqual({
      kind: 'maintenance',
    });
  });
});

describe('decide', () => {
  const start = T0;
  const failure = openAlert('heartbeat_failure', start);
  const unreachable = openAlert('host_unreachable', start);
  const none = { change: [], resolve: [] };

  it('resolves the open alert by heartbeat when the agent beat after the incident started', () => {
    const a = agent({ lastHeartbeatAt: start + 1 });

    expect(decide(a, watched(0, false, false), undefined, [failure])).toEqual({
      open: undefined,
      change: [],
      resolve: [{ alert: failure, resolution: 'heartbeat' }],
    });
  });

  it('does not resolve on the heartbeat the incident started from', () => {
    const decision = decide(agent({ lastHeartbeatAt: start }), watched(4, false, true), undefined, [failure]);

    expect(decision).toEqual(none);
  });

  it('opens host_unreachable at once, on the first missed scan, when the probe fails', () => {
    const decision = decide(agent({ probe: TCP_PROBE }), watched(1, true, false), false, []);

    expect(decision).toEqual({ open: 'host_unreachable', change: [], resolve: [] });
  });

  it('opens nothing for a late agent whose probe answers', () => {
    expect(decide(agent({ probe: TCP_PROBE }), watched(2, true, false), true, [])).toEqual({
      open: undefined,
      ...none,
    });
  });

  it('opens heartbeat_failure at the threshold', () => {
    expect(decide(agent(), watched(3, false, true), undefined, [])).toEqual({
      open: 'heartbeat_failure',
      change: [],
      resolve: [],
    });
  });

  it('opens one alert, host_unreachable, at the threshold when the probe fails too', () => {
    expect(decide(agent({ probe: TCP_PROBE }), watched(3, true, true), false, [])).toEqual({
      open: 'host_unreachable',
      change: [],
      resolve: [],
    });
  });

  it('opens no second alert when the unreachable host also reaches the threshold', () => {
    const decision = decide(agent({ probe: TCP_PROBE }), watched(5, true, true), false, [unreachable]);

    expect(decision).toEqual(none);
  });

  it('changes a heartbeat failure to host_unreachable when the host stops answering, opening nothing', () => {
    const decision = decide(agent({ probe: TCP_PROBE }), watched(5, true, true), false, [failure]);

    expect(decision).toEqual({ change: [{ alert: failure, kind: 'host_unreachable' }], resolve: [] });
  });

  it('changes host_unreachable to a heartbeat failure when the host answers again but the agent has failed', () => {
    const decision = decide(agent({ probe: TCP_PROBE }), watched(4, true, true), true, [unreachable]);

    expect(decision).toEqual({ change: [{ alert: unreachable, kind: 'heartbeat_failure' }], resolve: [] });
  });

  it('resolves host_unreachable by probe when the host answers and the agent has not failed', () => {
    const decision = decide(agent({ probe: TCP_PROBE }), watched(2, true, false), true, [unreachable]);

    expect(decision).toEqual({ change: [], resolve: [{ alert: unreachable, resolution: 'probe' }] });
  });

  it('keeps host_unreachable open in the scan that finds a blind window (no probe, no verdict)', () => {
    const decision = decide(agent({ probe: TCP_PROBE }), watched(5, false, false), undefined, [unreachable]);

    expect(decision).toEqual(none);
  });

  it('changes nothing in maintenance, even with open alerts and a newer heartbeat', () => {
    const decision = decide(agent({ lastHeartbeatAt: start + 5 }), { kind: 'maintenance' }, undefined, [
      failure,
    ]);

    expect(decision).toEqual(none);
  });

  it('changes nothing for an agentless entry off its turn', () => {
    expect(decide(agentless(), { kind: 'idle' }, undefined, [unreachable])).toEqual(none);
  });

  it('resolves every open alert as unmonitored when the agent is no longer monitored', () => {
    const decision = decide(agent({ approval: 'pending' }), { kind: 'unmonitored' }, undefined, [
      failure,
      unreachable,
    ]);

    expect(decision).toEqual({
      change: [],
      resolve: [
        { alert: failure, resolution: 'unmonitored' },
        { alert: unreachable, resolution: 'unmonitored' },
      ],
    });
  });

  it('opens host_unreachable for an agentless entry whose probe fails on its turn', () => {
    expect(decide(agentless(), watched(0, true, false), false, [])).toEqual({
      open: 'host_unreachable',
      change: [],
      resolve: [],
    });
  });

  it('resolves an agentless entry’s host_unreachable by probe when the host answers again', () => {
    const alert = openAlert('host_unreachable', agentless().createdAt, { agentId: 'switch-01' });

    expect(decide(agentless(), watched(0, true, false), true, [alert])).toEqual({
      change: [],
      resolve: [{ alert, resolution: 'probe' }],
    });
  });
});

describe('severityOf', () => {
  it('is a warning for a silent agent whose host answers its probe', () => {
    expect(severityOf('heartbeat_failure', true)).toBe('warning');
  });

  it.each([
    ['heartbeat_failure', undefined],
    ['heartbeat_failure', false],
    ['host_unreachable', false],
  ] as const)('is critical for %s with probe answer %s', (kind, ok) => {
    expect(severityOf(kind, ok)).toBe('critical');
  });
});

describe('incidentStart', () => {
  const created = T0 - DAY;

  it('is the last heartbeat when the host never recovered without one', () => {
    expect(incidentStart({ createdAt: created, lastHeartbeatAt: T0 })).toBe(T0);
  });

  it('is the creation time for an agent never heard from', () => {
    expect(incidentStart({ createdAt: created })).toBe(created);
  });

  it('is the last probe recovery when that came after the last heartbeat', () => {
    expect(incidentStart({ createdAt: created, lastHeartbeatAt: T0, lastRecoveredAt: T0 + MINUTE })).toBe(
      T0 + MINUTE,
    );
  });

  it('is the last heartbeat when that came after the last probe recovery', () => {
    expect(incidentStart({ createdAt: created, lastHeartbeatAt: T0 + MINUTE, lastRecoveredAt: T0 })).toBe(
      T0 + MINUTE,
    );
  });

  it('gives a new incident, and so a new alert id, after a probe recovery', () => {
    const before = incidentStart({ createdAt: created, lastHeartbeatAt: T0 });
    const after = incidentStart({
      createdAt: created,
      lastHeartbeatAt: T0,
      lastRecoveredAt: T0 + 5 * MINUTE,
    });

    expect(alertId('agent', 'web-01', after)).not.toBe(alertId('agent', 'web-01', before));
  });
});

describe('alertDetail', () => {
  it('says the machine is up but the agent is silent when the probe answers', () => {
    const text = alertDetail('heartbeat_failure', agent(), 3, production, {
      outcome: 'up',
      detail: 'tcp web-01:22 answered',
    });

    expect(text).toContain('No heartbeat for 3 scans');
    expect(text).toContain('3 x 30 s');
    expect(text).toContain('tcp web-01:22 answered');
    expect(text).toContain('check the agent service');
  });

  it('names the probe failure and the last heartbeat for an unreachable agent', () => {
    const text = alertDetail('host_unreachable', agent(), 1, production, {
      outcome: 'down',
      detail: 'tcp web-01:22 failed 3x: ECONNREFUSED',
    });

    expect(text).toContain('ECONNREFUSED');
    expect(text).toContain(new Date(T0).toISOString());
    expect(text).toContain('may be down');
  });

  it('speaks of the probe alone for an agentless host', () => {
    const text = alertDetail('host_unreachable', agentless(), 0, production, {
      outcome: 'down',
      detail: 'timeout',
    });

    expect(text).toBe('Agentless host does not answer its probe (timeout).');
  });
});

describe('stormStep', () => {
  const storm = { stormFraction: 0.5, stormMinAgents: 10 };

  it('starts nothing when exactly the fraction went silent', () => {
    expect(stormStep(storm, { monitored: 40, newlySilent: 20, failing: 20 }, false)).toBe('none');
  });

  it('starts when strictly more than the fraction went silent', () => {
    expect(stormStep(storm, { monitored: 40, newlySilent: 21, failing: 21 }, false)).toBe('start');
  });

  it('starts nothing when fewer than stormMinAgents went silent, however large the fraction', () => {
    expect(stormStep(storm, { monitored: 10, newlySilent: 9, failing: 9 }, false)).toBe('none');
  });

  it('starts when exactly stormMinAgents went silent and that is more than the fraction', () => {
    expect(stormStep(storm, { monitored: 10, newlySilent: 10, failing: 10 }, false)).toBe('start');
  });

  it('counts the newly silent agents, not those already failing, to start', () => {
    expect(stormStep(storm, { monitored: 40, newlySilent: 0, failing: 40 }, false)).toBe('none');
  });

  it('stays on while strictly more than the fraction are still failing', () => {
    expect(stormStep(storm, { monitored: 40, newlySilent: 0, failing: 21 }, true)).toBe('none');
  });

  it('clears when the failing agents are exactly the fraction', () => {
    expect(stormStep(storm, { monitored: 40, newlySilent: 0, failing: 20 }, true)).toBe('clear');
  });

  it('clears when fewer than stormMinAgents are still failing', () => {
    expect(stormStep(storm, { monitored: 10, newlySilent: 0, failing: 9 }, true)).toBe('clear');
  });

  it('counts the failing agents, not the newly silent ones, to clear', () => {
    expect(stormStep(storm, { monitored: 40, newlySilent: 40, failing: 0 }, true)).toBe('clear');
  });
});

describe('scanLag', () => {
  const last = T0;

  it('is not behind at three scan intervals: two, and one for a scan under way', () => {
    expect(scanLag(last, last + 90 * SECOND, 30)).toEqual({
      ageMs: 90 * SECOND,
      limitMs: 90 * SECOND,
      behind: false,
    });
  });

  it('is behind once the age as shown exceeds three intervals', () => {
    expect(scanLag(last, last + 91 * SECOND, 30)).toMatchObject({ ageMs: 91 * SECOND, behind: true });
  });

  it('shows tenths of a second below 10 s, and judges the age as shown', () => {
    expect(scanLag(last, last + 3040, 1)).toEqual({ ageMs: 3000, limitMs: 3000, behind: false });
    expect(scanLag(last, last + 3170, 1)).toEqual({ ageMs: 3100, limitMs: 3000, behind: true });
  });

  it('shows whole seconds from 10 s on', () => {
    expect(scanLag(last, last + 10_999, 1).ageMs).toBe(10_000);
  });

  it('reads an age below zero (a clock a little behind the scan) as zero', () => {
    expect(scanLag(last, last - 500, 1)).toEqual({ ageMs: 0, limitMs: 3000, behind: false });
  });
});
