import { groupBy, limiter } from '../../lambda/collections';

describe('limiter', () => {
  it('never has more than the limit in flight, and drain waits for the last', async () => {
    const pool = limiter(3);
    let inFlight = 0;
    let most = 0;
    let done = 0;
    for (let i = 0; i < 20; i++) {
      await pool.run(async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        done += 1;
      });
    }
    await pool.drain();

    expect(most).toBe(3);
    expect(done).toBe(20);
  });

  it('throws the first failure from drain, with no unhandled rejection meanwhile', async () => {
    const pool = limiter(4);
    await pool.run(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('first');
    });
    await pool.run(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('second');
    });

    await expect(pool.drain()).rejects.toThrow('first');
  });

  it('throws the first failure from the next run once it has landed', async () => {
    const pool = limiter(1);
    await pool.run(async () => {
      throw new Error('boom');
    });

    await expect(pool.run(async () => {})).rejects.toThrow('boom');
  });
});

describe('groupBy', () => {
  it('groups by the key and keeps the order of the items in each group', () => {
    const items = [
      { g: 'a', n: 1 },
      { g: 'b', n: 2 },
      { g: 'a', n: 3 },
    ];

    expect([...groupBy(items, (i) => i.g)]).toEqual([
      ['a', [items[0], items[2]]],
      ['b', [items[1]]],
    ]);
  });
});
