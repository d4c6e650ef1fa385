import { median } from '../../bench/common';

// The one median every benchmark reports its repeated runs by (cold imports, CPU, loads, RSS).

describe('median', () => {
  it('takes the middle value of an odd count, whatever the order', () => {
    expect(median([9, 1, 5])).toBe(5);
  });

  it('takes the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('leaves its input in the order it came', () => {
    const runs = [3, 1, 2];
    median(runs);
    expect(runs).toEqual([3, 1, 2]);
  });

  it('is NaN for no values, so an empty run shows as one', () => {
    expect(median([])).toBeNaN();
  });
});
