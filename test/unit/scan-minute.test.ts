import { cloudScanIntervalProblem, scanOffsetsInMinute } from '../../lambda/domain/schedule';
import { type MinuteDeps, runScanMinute } from '../../lambda/scan-minute';
import type { ScanReport } from '../../lambda/scanner';
import { scanReport as report } from '../support/scan-report';

// In the cloud, EventBridge invokes the scanner once a minute; one invocation runs that
// minute's scans at their offsets. Time is a fake clock that only the fake sleep and the fake
// scans move.

/** 12:00 UTC: an even minute since the epoch (every whole hour is). */
const MINUTE = Date.parse('2026-11-23T12:00:00.000Z');
const S = 1000;

/**
 * A minute with a fake clock starting at `invokedAt`: `sleep` advances it, and scan number i takes
 * `scanMs(i)` of it.
 */
function fakeMinute(
  tickSeconds: number,
  invokedAt: number,
  scanMs: (i: number) => number = () => 0,
  fails: (i: number) => boolean = () => false,
) {
  let time = invokedAt;
  const scannedAt: number[] = [];
  const slept: number[] = [];
  const completed: ScanReport[] = [];
  const failures: unknown[] = [];
  let skipped = 0;
  const deps: MinuteDeps = {
    scanner: {
      scan: async () => {
        if (fails(scannedAt.length + failures.length)) throw new Error('throttled');
        const r = report(time);
        time += scanMs(scannedAt.length);
        scannedAt.push(Date.parse(r.scanTime));
        return r;
      },
    },
    tickSeconds,
    now: () => time,
    sleep: async (ms) => {
      slept.push(ms);
      time += ms;
    },
    completed: (r) => completed.push(r),
    failed: (error) => failures.push(error),
    skipped: () => {
      skipped += 1;
    },
  };
  return {
    run: () => runScanMinute(deps, invokedAt),
    /** When each scan started, in ms after `from`. */
    offsets: (from = MINUTE) => scannedAt.map((t) => t - from),
    slept,
    completed,
    failures,
    skipped: () => skipped,
  };
}

describe('runScanMinute', () => {
  it('runs 2 scans at :00 and :30 of the invocation minute for a 30 s interval', async () => {
    const minute = fakeMinute(30, MINUTE);

    const reports = await minute.run();

    expect(minute.offsets()).toEqual([0, 30 * S]);
    expect(minute.slept).toEqual([30 * S]);
    expect(reports).toHaveLength(2);
    expect(minute.completed).toEqual(reports);
  });

  it('starts the first scan at once when EventBridge invokes it a little after the minute', async () => {
    const minute = fakeMinute(30, MINUTE + 1200);

    await minute.run();

    expect(minute.offsets()).toEqual([1200, 30 * S]);
  });

  it('runs 6 scans, 10 s apart, for a 10 s interval', async () => {
    const minute = fakeMinute(10, MINUTE);

    const reports = await minute.run();

    expect(minute.offsets()).toEqual([0, 10 * S, 20 * S, 30 * S, 40 * S, 50 * S]);
    expect(reports.map((r) => r.scanTime)).toEqual(
      [0, 10, 20, 30, 40, 50].map((s) => new Date(MINUTE + s * S).toISOString()),
    );
  });

  it('runs 1 scan at :00 for a 60 s interval', async () => {
    const minute = fakeMinute(60, MINUTE + 300);

    await minute.run();

    expect(minute.offsets()).toEqual([300]);
    expect(minute.slept).toEqual([]);
  });

  it('runs a 120 s interval on even minutes only', async () => {
    expect(Math.floor(MINUTE / 60_000) % 2).toBe(0);
    const even = fakeMinute(120, MINUTE);
    const odd = fakeMinute(120, MINUTE + 60 * S);
    const nextEven = fakeMinute(120, MINUTE + 120 * S);

    await even.run();
    const oddReports = await odd.run();
    await nextEven.run();

    expect(even.offsets()).toEqual([0]);
    expect(oddReports).toEqual([]);
    expect(odd.slept).toEqual([]);
    expect(odd.completed).toEqual([]);
    expect(nextEven.offsets(MINUTE + 120 * S)).toEqual([0]);
  });

  it('a late invocation skips the scans whose moment passed by more than a tick', async () => {
    // Invoked 45 s into the minute: :00, :10, :20 and :30 are 15 s or more late (more than a tick of
    // 10 s): skipped. :40 is 5 s late: run at once. :50 on time.
    const minute = fakeMinute(10, MINUTE + 45 * S);

    const reports = await minute.run();

    expect(minute.offsets()).toEqual([45 * S, 50 * S]);
    expect(reports).toHaveLength(2);
    expect(minute.completed).toHaveLength(2);
    expect(minute.skipped()).toBe(4);
  });

  it('skips a scan whose moment passed by more than a tick while a slow scan ran', async () => {
    // The first scan takes 25 s: :10 is then 15 s late (skipped), :20 is 5 s late (run at once).
    const minute = fakeMinute(10, MINUTE, (i) => (i === 0 ? 25 * S : 0));

    await minute.run();

    expect(minute.offsets()).toEqual([0, 25 * S, 30 * S, 40 * S, 50 * S]);
    expect(minute.skipped()).toBe(1);
  });

  it('skips a scan more than half a tick late rather than bunching it with the next', async () => {
    // Invoked 16 s into the minute with a 10 s tick: :10 is 6 s late (over half a tick): skipped.
    const minute = fakeMinute(10, MINUTE + 16 * S);

    await minute.run();

    expect(minute.offsets()).toEqual([20 * S, 30 * S, 40 * S, 50 * S]);
    expect(minute.skipped()).toBe(2);
  });

  it('keeps scanning the rest of the minute when one scan fails, and reports the failure', async () => {
    const minute = fakeMinute(
      10,
      MINUTE,
      () => 0,
      (i) => i === 1,
    );

    const reports = await minute.run();

    expect(minute.failures).toHaveLength(1);
    expect(reports).toHaveLength(5);
    expect(minute.offsets()).toEqual([0, 20 * S, 30 * S, 40 * S, 50 * S]);
  });

  it('lets a tick shorter than the interval keep its offsets (a 15 s group in a 30 s watcher)', async () => {
    const minute = fakeMinute(15, MINUTE);

    await minute.run();

    expect(minute.offsets()).toEqual([0, 15 * S, 30 * S, 45 * S]);
  });
});

describe('scanOffsetsInMinute', () => {
  it.each([
    [10, [0, 10, 20, 30, 40, 50]],
    [12, [0, 12, 24, 36, 48]],
    [15, [0, 15, 30, 45]],
    [20, [0, 20, 40]],
    [30, [0, 30]],
    [60, [0]],
  ])('%i s scans at seconds %j of every minute', (seconds, at) => {
    expect(scanOffsetsInMinute(seconds, MINUTE)).toEqual(at.map((s) => s * S));
    expect(scanOffsetsInMinute(seconds, MINUTE + 7 * 60 * S)).toEqual(at.map((s) => s * S));
  });

  it('300 s scans at :00 of every fifth minute and not in the others', () => {
    const offsets = [0, 1, 2, 3, 4, 5, 10].map((m) => scanOffsetsInMinute(300, MINUTE + m * 60 * S));

    expect(offsets).toEqual([[0], [], [], [], [], [0], [0]]);
  });
});

describe('cloudScanIntervalProblem', () => {
  it.each([10, 12, 15, 20, 30, 60, 120, 300])('accepts %i s', (seconds) => {
    expect(cloudScanIntervalProblem(seconds)).toBeUndefined();
  });

  it.each([5, 7])('refuses %i s: below 10 s, a one-minute invocation cannot keep it', (seconds) => {
    const problem = cloudScanIntervalProblem(seconds);

    expect(problem).toContain(`${seconds} s is below 10 s`);
    expect(problem).toContain('one-minute Lambda invocation');
  });

  it.each([45, 90])('refuses %i s: it neither divides a minute nor is whole minutes', (seconds) => {
    const problem = cloudScanIntervalProblem(seconds);

    expect(problem).toContain(`${seconds} s neither divides a minute`);
    expect(problem).toContain('nor is a whole number of minutes');
    expect(problem).toContain('a once-a-minute schedule cannot keep it');
  });
});
