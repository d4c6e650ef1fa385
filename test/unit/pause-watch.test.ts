import { PauseWatch } from '../../cli/pause-watch';

describe('PauseWatch: the stretches in which the local watcher did not run', () => {
  let now = 1_000_000;
  let watch: PauseWatch;
  beforeEach(() => {
    now = 1_000_000;
    watch = new PauseWatch(2_000, () => now);
  });
  afterEach(() => watch.stop());

  it('marks no pause while the clock moves on in small steps', () => {
    for (let i = 0; i < 50; i++) {
      now += 100;
      expect(watch.since(0)).toEqual([]);
    }
  });

  it('marks a pause longer than its minimum from the last look at the clock to the next, even before the timer ticks', () => {
    now += 100;
    watch.since(0);
    now += 6_800;

    expect(watch.since(0)).toEqual([{ start: 1_000_100, end: 1_006_900 }]);
  });

  it('does not take a pause of exactly its minimum as one', () => {
    now += 2_000;

    expect(watch.since(0)).toEqual([]);
  });

  it('answers only the pauses that ended after the time asked about', () => {
    now += 3_000;
    watch.since(0);
    now += 100;
    watch.since(0);
    now += 5_000;

    expect(watch.since(1_003_050)).toEqual([{ start: 1_003_100, end: 1_008_100 }]);
    expect(watch.since(0)).toHaveLength(2);
  });
});
