import { localScanRestMs } from '../../cli/local-watcher';

// A local scan rests after each page, so that the embedded store, which answers one request at a
// time, serves the heartbeats' writes between the pages of the read.

describe('the rest of a local scan after a page', () => {
  it('is as long as the page took to come, giving the writes at least half the store', () => {
    expect(localScanRestMs(0)).toBe(0);
    expect(localScanRestMs(6.5)).toBe(6.5);
  });

  it('is at most 100 ms, so a page held by a paused process does not hold the scan as long again', () => {
    expect(localScanRestMs(100)).toBe(100);
    expect(localScanRestMs(6_900)).toBe(100);
  });
});
