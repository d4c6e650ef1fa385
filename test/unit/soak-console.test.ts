import { type ConsolePollResult, consolePollRows, type GrowthSample } from '../../bench/soak-console';
import { chaosSchedule } from '../../bench/soak-schedule';

const MB = 1024 * 1024;
const HOUR = 3600;

/** A sample every 10 s for `seconds`, its figures from `at` (seconds) in MB. */
function samples(seconds: number, figures: (at: number) => { rss: number; dir: number }): GrowthSample[] {
  return Array.from({ length: seconds / 10 + 1 }, (_, i) => {
    const { rss, dir } = figures(i * 10);
    return { at: i * 10, rssBytes: rss * MB, dataDirBytes: dir * MB, storeBytes: dir * MB };
  });
}

function poll(list: GrowthSample[], failedReads = 0): ConsolePollResult {
  return { reads: 10_800, failedReads, samples: list };
}

function row(rows: ReturnType<typeof consolePollRows>, what: string) {
  const found = rows.find((r) => r.measure.startsWith(what));
  if (!found) throw new Error(`no row ${what}`);
  return found;
}

describe('the soak console step: growth of the watcher RSS and data dir', () => {
  it('meets the goal in an hour whose figures stay within 1.2x of minute 10', () => {
    const flat = samples(HOUR, (at) => ({ rss: at <= 600 ? 100 + at / 10 : 170, dir: 10 }));

    const rows = consolePollRows(poll(flat), HOUR);

    expect(row(rows, 'watcher RSS').met).toBe(true);
    expect(row(rows, 'watcher RSS').result).toBe('160.0 MB / 170.0 MB (1.06x) / 170.0 MB');
    expect(row(rows, 'data dir').met).toBe(true);
  });

  it('misses the goal when the data dir grows past 1.2x of minute 10', () => {
    const leaking = samples(HOUR, (at) => ({ rss: 150, dir: 8.5 + at / 30 }));

    const rows = consolePollRows(poll(leaking), HOUR);

    expect(row(rows, 'data dir').met).toBe(false);
    expect(row(rows, 'watcher RSS').met).toBe(true);
  });

  it('takes the highest sample of minute 10 as the baseline, so a LevelDB log just emptied at 10:00 is not one', () => {
    // The log fills to 4 MB in 40 s and is emptied: the data dir saws between 2 and 6 MB.
    const sawtooth = samples(HOUR, (at) => ({ rss: 150, dir: 2 + ((at % 50) / 10) * 1 }));

    const rows = consolePollRows(poll(sawtooth), HOUR);

    expect(sawtooth.find((s) => s.at === 600)!.dataDirBytes).toBe(2 * MB);
    expect(row(rows, 'data dir').result).toBe('6.0 MB / 6.0 MB (1.00x) / 2.0 MB');
    expect(row(rows, 'data dir').met).toBe(true);
  });

  it('reports the figures of a run shorter than 20 minutes against its half-way point, with no goal', () => {
    const growing = samples(60, (at) => ({ rss: 100 + at, dir: 1 + at }));

    const rows = consolePollRows(poll(growing), 60);

    expect(row(rows, 'watcher RSS').measure).toContain('in minute 1 /');
    expect(row(rows, 'watcher RSS').met).toBeUndefined();
    expect(row(rows, 'data dir').met).toBeUndefined();
  });

  it('misses the goal of an hour-long run that has no sample after minute 10', () => {
    const cut = samples(600, () => ({ rss: 150, dir: 10 }));

    const rows = consolePollRows(poll(cut), HOUR);

    expect(row(rows, 'watcher RSS')).toMatchObject({ result: 'no samples', met: false });
  });

  it('counts a console read that failed as a missed goal', () => {
    const rows = consolePollRows(
      poll(
        samples(HOUR, () => ({ rss: 150, dir: 10 })),
        1,
      ),
      HOUR,
    );

    expect(row(rows, 'console reads')).toMatchObject({ result: '10800 / 1', met: false });
  });
});

describe('the soak chaos schedule without restarts', () => {
  const agents = Array.from({ length: 40 }, (_, i) => ({ agentId: `a-${i}`, group: 'test', probed: i < 4 }));
  const options = { seconds: 900, warmupSeconds: 10, cooldownSeconds: 15, agents, seed: 1 };

  it('leaves out the restarts and keeps every other event where it was', () => {
    const withRestarts = chaosSchedule(options);

    const without = chaosSchedule({ ...options, restarts: false });

    expect(withRestarts.filter((e) => e.type === 'restart')).toHaveLength(5);
    expect(without.filter((e) => e.type === 'restart')).toHaveLength(0);
    expect(without).toEqual(withRestarts.filter((e) => e.type !== 'restart'));
  });
});
