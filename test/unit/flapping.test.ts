import type { AlertRecord } from '../../lambda/domain/alert';
import { parseConfig } from '../../lambda/domain/config';
import { ValidationError } from '../../lambda/domain/errors';
import {
  type FlappingSettings,
  flappingSince,
  flappingStep,
  type OpeningHistory,
  recoveryStep,
  withOpening,
} from '../../lambda/domain/flapping';
import { flappingMuter, mute } from '../../lambda/domain/mute';
import { ManualClock } from '../support/watcher';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const RULE: FlappingSettings = { changes: 3, windowMs: 30 * MINUTE, stableForMs: 15 * MINUTE };
const at = (minutes: number) => T0 + minutes * MINUTE;

function configProblem(flapping: unknown, top: Record<string, unknown> = {}): ValidationError {
  try {
    parseConfig({ ...top, groups: { production: { channels: ['sms'], flapping } } });
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('the config was taken');
}

describe('the flapping and recoverAfterScans config', () => {
  it('reads a group’s flapping rule into milliseconds, and leaves it off in groups without one', () => {
    const config = parseConfig({
      groups: {
        production: { channels: ['sms'], flapping: { changes: 3, window: '30m', stableFor: '15m' } },
        test: { channels: ['console'] },
      },
    });

    expect(config.groups.production?.flapping).toEqual(RULE);
    expect(config.groups.test?.flapping).toBeUndefined();
  });

  it('takes recoverAfterScans at the top level, lets a group override it, and defaults to 1', () => {
    const config = parseConfig({
      recoverAfterScans: 2,
      groups: { production: { channels: ['sms'], recoverAfterScans: 3 }, test: { channels: ['console'] } },
    });

    expect(config.groups.production?.recoverAfterScans).toBe(3);
    expect(config.groups.test?.recoverAfterScans).toBe(2);
    expect(parseConfig({ groups: { test: { channels: ['console'] } } }).groups.test?.recoverAfterScans).toBe(
      1,
    );
  });

  it.each([
    ['changes of 1', { changes: 1, window: '30m', stableFor: '15m' }, 'groups.production.flapping.changes'],
    [
      'fractional changes',
      { changes: 2.5, window: '30m', stableFor: '15m' },
      'groups.production.flapping.changes',
    ],
    [
      'a window without a unit',
      { changes: 3, window: '30', stableFor: '15m' },
      'groups.production.flapping.window',
    ],
    ['a window of 0', { changes: 3, window: '0m', stableFor: '15m' }, 'groups.production.flapping.window'],
    [
      'a window over 7 days',
      { changes: 3, window: '8d', stableFor: '15m' },
      'groups.production.flapping.window',
    ],
    [
      'stableFor over 7 days',
      { changes: 3, window: '30m', stableFor: '7d1s' },
      'groups.production.flapping.stableFor',
    ],
    ['a missing stableFor', { changes: 3, window: '30m' }, 'groups.production.flapping.stableFor'],
    [
      'an unknown key',
      { changes: 3, window: '30m', stableFor: '15m', since: '1h' },
      'groups.production.flapping.since',
    ],
  ])('refuses %s, naming the field', (_case, flapping, field) => {
    const error = configProblem(flapping);

    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });

  it.each([0, 1.5, 101])('refuses recoverAfterScans of %s, naming the field', (n) => {
    expect(configProblem(undefined, { recoverAfterScans: n }).field).toBe('recoverAfterScans');
  });
});

describe('withOpening', () => {
  it.each([
    ['the first opening', [], 10, [10]],
    ['a third within the window', [0, 5], 10, [0, 5, 10]],
    ['a fourth: only the last 3 are kept', [0, 5, 10], 20, [5, 10, 20]],
    ['openings older than the window are dropped', [0, 5], 31, [5, 31]],
    ['an opening already listed once (the scanner that lost the create counts it too)', [0, 5], 5, [0, 5]],
  ])('keeps %s', (_case, before, minute, after) => {
    const history: OpeningHistory = { recentOpenings: before.map(at) };

    expect(withOpening(history, at(minute), RULE)).toEqual(after.map(at));
  });
});

describe('flappingSince', () => {
  it.each([
    ['3 openings within 30m', [0, 10, 20], undefined, 20, 0],
    ['3 openings spanning exactly the window are not within it', [0, 10, 30], undefined, 30, undefined],
    ['2 openings', [0, 10], undefined, 10, undefined],
    ['3 openings, the first now out of the window', [0, 10, 20], undefined, 31, undefined],
    ['3 openings, one before the last episode ended', [0, 10, 20], 5, 20, undefined],
    ['3 openings after the last episode ended', [6, 10, 20], 5, 20, 6],
  ])('%s', (_case, openings, endedAt, now, since) => {
    const history: OpeningHistory = {
      recentOpenings: openings.map(at),
      flappingEndedAt: endedAt === undefined ? undefined : at(endedAt),
    };

    expect(flappingSince(history, RULE, at(now))).toBe(since === undefined ? undefined : at(since));
  });
});

describe('flappingStep', () => {
  const flapping: OpeningHistory = { recentOpenings: [at(0), at(10), at(20)] };

  it.each([
    ['no rule', undefined, flapping, undefined, false, 20, { kind: 'none' }],
    ['flapping, no episode open', RULE, flapping, undefined, false, 20, { kind: 'open', since: at(0) }],
    ['not flapping', RULE, { recentOpenings: [at(20)] }, undefined, false, 20, { kind: 'none' }],
    ['open, still failing', RULE, flapping, {}, false, 21, { kind: 'none' }],
    ['open, healthy for the first time', RULE, flapping, {}, true, 22, { kind: 'stable', since: at(22) }],
    [
      'open, healthy for less than stableFor',
      RULE,
      flapping,
      { stableSince: at(22) },
      true,
      36,
      { kind: 'none' },
    ],
    [
      'open, late again',
      RULE,
      flapping,
      { stableSince: at(22) },
      false,
      30,
      { kind: 'stable', since: undefined },
    ],
    [
      'open, healthy for stableFor',
      RULE,
      flapping,
      { stableSince: at(22) },
      true,
      37,
      { kind: 'resolve', resolution: 'stable' },
    ],
    ['open, the rule removed', undefined, flapping, {}, true, 37, { kind: 'resolve', resolution: 'cleared' }],
  ] as const)('%s', (_case, rule, history, episode, healthy, minute, step) => {
    expect(flappingStep(rule, history, episode, healthy, at(minute))).toEqual(step);
  });
});

describe('a flapping agent over two windows, on the manual clock', () => {
  /**
   * Plays the pure rules scan by scan, as the scanner applies them: an opening is recorded on the
   * agent; the episode opens, is marked stable, resolves (and ends on the agent).
   */
  function play(timeline: readonly { minute: number; opens?: boolean; healthy: boolean }[]) {
    const clock = new ManualClock(T0);
    let history: OpeningHistory = {};
    let episode: Pick<AlertRecord, 'stableSince' | 'incidentStart'> | undefined;
    const events: string[] = [];
    for (const scan of timeline) {
      clock.time = at(scan.minute);
      if (scan.opens) history = { ...history, recentOpenings: withOpening(history, clock.now(), RULE) };
      const step = flappingStep(RULE, history, episode, scan.healthy, clock.now());
      if (step.kind === 'open') {
        episode = { incidentStart: step.since };
        events.push(`open ${(step.since - T0) / MINUTE}`);
      } else if (step.kind === 'stable' && episode) {
        episode = { ...episode, stableSince: step.since };
      } else if (step.kind === 'resolve') {
        episode = undefined;
        history = { ...history, flappingEndedAt: clock.now() };
        events.push(`resolve ${scan.minute}`);
      }
    }
    return events;
  }

  it('opens one episode, resolves it once after stableFor, and opens a second, later one under its own name', () => {
    const events = play([
      { minute: 0, opens: true, healthy: false },
      { minute: 2, healthy: true },
      { minute: 5, opens: true, healthy: false },
      { minute: 7, healthy: true },
      { minute: 10, opens: true, healthy: false }, // the third opening in 30m: flapping
      { minute: 12, healthy: true },
      { minute: 14, opens: true, healthy: false }, // still flapping: no second episode
      { minute: 16, healthy: true },
      { minute: 20, healthy: false }, // late again: the stable count starts over
      { minute: 22, healthy: true },
      { minute: 36, healthy: true },
      { minute: 37, healthy: true }, // 15m healthy since minute 22
      { minute: 38, healthy: true }, // the openings at 5, 10 and 14 are still within 30m, but before the end
      { minute: 60, opens: true, healthy: false },
      { minute: 61, healthy: true },
      { minute: 70, opens: true, healthy: false },
      { minute: 71, healthy: true },
      { minute: 80, opens: true, healthy: false }, // three new openings in 30m: a second episode
      { minute: 81, healthy: true },
    ]);

    expect(events).toEqual(['open 0', 'resolve 37', 'open 60']);
  });
});

describe('recoveryStep', () => {
  const SCAN = 30_000;
  const incident = { incidentStart: at(0) };
  const rule = (recoverAfterScans: number) => ({ recoverAfterScans, scanIntervalSeconds: 30 });
  /** A scan `n` intervals after the heartbeat that ended the incident (at minute 1). */
  const scan = (n: number) => at(1) + n * SCAN;

  it.each([
    ['no heartbeat since the incident began', 2, undefined, at(0), 0, scan(0), { resolve: false }],
    ['1: the first scan after a heartbeat resolves', 1, undefined, at(1), 0, scan(0), { resolve: true }],
    ['1: even a late one, as before', 1, undefined, at(1), 1, scan(1), { resolve: true }],
    [
      '2: the first fresh scan marks when they began',
      2,
      undefined,
      at(1),
      0,
      scan(0),
      { resolve: false, freshSince: scan(0) },
    ],
    [
      '2: a racing scan of the same tick is the same scan',
      2,
      scan(0),
      at(1),
      0,
      scan(0) + 200,
      { resolve: false },
    ],
    ['2: the next scan resolves', 2, scan(0), scan(1), 0, scan(1), { resolve: true }],
    [
      '2: the next scan resolves though its timer fired early',
      2,
      scan(0),
      scan(1),
      0,
      scan(1) - 2000,
      { resolve: true },
    ],
    ['2: a late scan starts over', 2, scan(0), at(1), 1, scan(1), { resolve: false, freshSince: null }],
    ['2: a late scan with no mark writes nothing', 2, undefined, at(1), 2, scan(2), { resolve: false }],
    ['3: the second fresh scan does not resolve', 3, scan(0), scan(1), 0, scan(1), { resolve: false }],
    ['3: the third does', 3, scan(0), scan(2), 0, scan(2), { resolve: true }],
  ])('recoverAfterScans %s', (_case, n, since, lastHeartbeatAt, missed, now, step) => {
    expect(recoveryStep({ ...incident, freshSince: since }, lastHeartbeatAt, missed, rule(n), now)).toEqual(
      step,
    );
  });
});

describe('flappingMuter', () => {
  const alert = (kind: AlertRecord['kind'], agentId = 'web-01') =>
    ({ alertId: `${kind}.${agentId}`, agentId, kind }) as AlertRecord;
  const muter = flappingMuter(new Map([['web-01', 'flapping.1.web-01']]));

  it.each([
    [
      'holds an incident of a flapping agent',
      alert('heartbeat_failure'),
      { reason: 'flapping', by: 'web-01' },
    ],
    [
      'holds an unreachable host of a flapping agent',
      alert('host_unreachable'),
      { reason: 'flapping', by: 'web-01' },
    ],
    ['lets the flapping alert itself page', alert('flapping'), undefined],
    ['lets another agent page', alert('heartbeat_failure', 'web-02'), undefined],
  ])('%s', (_case, a, verdict) => {
    expect(mute(a, [muter])).toEqual(verdict);
  });

  it("holds recoveries too, the agent's flapping alert recovering for them", () => {
    expect(muter.recoveredBy?.(alert('heartbeat_failure'))).toBe('flapping.1.web-01');
    expect(muter.recoveredBy?.(alert('heartbeat_failure', 'web-02'))).toBeUndefined();
    expect(muter.recoveredBy?.(alert('flapping'))).toBeUndefined();
  });
});
