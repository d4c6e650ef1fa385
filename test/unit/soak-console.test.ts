import { type ConsolePollResult, consolePollRows, type GrowthSample } from '../../bench/soak-console';
import { chaosSchedule } from '../../bench/soak-schedule';

const MB = 1024 * 1024;
const HOUR = 3600;

/** A sample every 10 s for `seconds`, its figures from `at` (seconds) in MB. */
function samples(
  seconds: number,
  figures: (at: number) => { rss: number; store: number; outbox?: number },
): GrowthSample[] {
  return Array.from({ length: seconds / 10 + 1 }, (_, i) => {
    const { rss, store, outbox = 0 } = figures(i * 10);
    return { at: i * 10, rssBytes: rss * MB, storeBytes: store * MB, dataDirBytes: (store + outbox) * MB };
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

describe('the soak console step: growth of the watcher RSS and LevelDB store', () => {
  it('meets the goal in an hour whose figures stay within 1.2x of their minute-10 value', () => {
    const flat = samples(HOUR, (at) => ({ rss: at <= 600 ? 100 + at / 10 : 170, store: 10 }));

    const rows = consolePollRows(poll(flat), HOUR);

    // Minutes 5 to 10: RSS from 131 to 160 MB, its median 145.5 MB.
    expect(row(rows, 'watcher RSS')).toMatchObject({
      result: '145.5 MB / 170.0 MB (1.17x) / 170.0 MB',
      met: true,
    });
    expect(row(rows, 'data dir: LevelDB').met).toBe(true);
  });

  it('misses the goal when the store grows past 1.2x of its minute-10 value', () => {
    const leaking = samples(HOUR, (at) => ({ rss: 150, store: 8.5 + at / 30 }));

    const rows = consolePollRows(poll(leaking), HOUR);

    expect(row(rows, 'data dir: LevelDB').met).toBe(false);
    expect(row(rows, 'watcher RSS').met).toBe(true);
  });

  it('takes the median of five minutes as a figure, so the LevelDB log filling and emptying is no growth', () => {
    // The log fills to 4 MB in 40 s and is emptied: the store saws between 2 and 6 MB.
    const sawtooth = samples(HOUR, (at) => ({ rss: 150, store: 2 + (at % 50) / 10 }));

    const rows = consolePollRows(poll(sawtooth), HOUR);

    expect(row(rows, 'data dir: LevelDB').met).toBe(true);
  });

  it('holds no goal on the outbox, which grows by a line a page, and reports it', () => {
    const paging = samples(HOUR, (at) => ({ rss: 150, store: 10, outbox: at / 1200 }));

    const rows = consolePollRows(poll(paging), HOUR);

    expect(row(rows, 'data dir: outbox')).toMatchObject({ result: '0.4 MB / 3.0 MB', goal: '-' });
    expect(row(rows, 'data dir: LevelDB').met).toBe(true);
  });

  it('reports the figures of a run shorter than 20 minutes against its half-way point, with no goal', () => {
    const growing = samples(60, (at) => ({ rss: 100 + at, store: 1 + at }));

    const rows = consolePollRows(poll(growing), 60);

    expect(row(rows, 'watcher RSS').measure).toContain('at minute 1 /');
    expect(row(rows, 'watcher RSS').met).toBeUndefined();
    expect(row(rows, 'data dir: LevelDB').met).toBeUndefined();
  });

  it('misses the goal of an hour-long run that has no sample after minute 10', () => {
    const cut = samples(600, () => ({ rss: 150, store: 10 }));

    const rows = consolePollRows(poll(cut), HOUR);

    expect(row(rows, 'watcher RSS')).toMatchObject({ result: 'no samples', met: false });
  });

  it('counts a console read that failed as a missed goal', () => {
    const polled = {
      ...poll(
        samples(HOUR, () => ({ rss: 150, store: 10 })),
        1,
      ),
      firstFailure: '/v1/agents: HTTP 503',
    };

    const rows = consolePollRows(polled, HOUR);

    expect(row(rows, 'console reads')).toMatchObject({
      result: '10800 / 1 (first: /v1/agents: HTTP 503)',
      met: false,
    });
  });
});

describe('the soak chaos schedule without restarts', () => {
  const agents = Array.from({ length: 40 }, (_, i) => ({ agentId: `a-${i}`, group: 'test', probed: i < 4 }));
  const options = {
    seconds: 900,
    warmupSeconds: 10,
    cooldownSeconds: 15,
    agents,
    seed: 1,
    pageOnRestart: 'staging',
  };

  it('leaves out the restarts and keeps every other event where it was', () => {
    const withRestarts = chaosSchedule(options);

    const without = chaosSchedule({ ...options, restarts: false });

    expect(withRestarts.filter((e) => e.type === 'restart')).toHaveLength(5);
    expect(without.filter((e) => e.type === 'restart')).toHaveLength(0);
    expect(without).toEqual(withRestarts.filter((e) => e.type !== 'restart'));
  });
});
