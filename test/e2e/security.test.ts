import crypto, { randomBytes } from 'node:crypto';
import { hashSecret, sameHash } from '../../lambda/domain/secrets';
import { bearer, startTestWatcher, type TestWatcher } from '../support/watcher';

describe('token brute force', () => {
  let w: TestWatcher;
  beforeAll(async () => {
    w = await startTestWatcher();
  });
  afterAll(() => w.close());

  it('gets nowhere in 2,000 tries: every guess is 401 and the agent is untouched', async () => {
    const token = await w.addAgent('target');
    await w.call('POST', '/v1/heartbeat', { agentId: 'target' }, bearer(token));
    const before = await w.storedAgents();
    const statuses = new Map<number, number>();

    for (let batch = 0; batch < 40; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const guess = `hbw_${randomBytes(32).toString('base64url')}`;
          return (await w.call('POST', '/v1/heartbeat', { agentId: 'target' }, bearer(guess))).status;
        }),
      );
      for (const status of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }

    expect(Object.fromEntries(statuses)).toEqual({ 401: 2_000 });
    expect(await w.storedAgents()).toEqual(before);
    // Generous: 2,000 refused heartbeats are 4,000 store requests; the test is about their answers.
  }, 120_000);
});

describe('the hash comparison of the rare paths', () => {
  it('compares hashes of equal length with the constant-time comparison, whatever characters differ', () => {
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    const real = hashSecret('hbw_real-token');
    const farOff = `${real[0] === 'a' ? 'b' : 'a'}${real.slice(1)}`;
    const nearMiss = `${real.slice(0, -1)}${real.at(-1) === 'a' ? 'b' : 'a'}`;
    try {
      expect([sameHash(real, farOff), sameHash(real, nearMiss), sameHash(real, real)]).toEqual([
        false,
        false,
        true,
      ]);
      // Each comparison went through timingSafeEqual over all 64 characters: none stopped early.
      expect(compare.mock.calls.map(([a, b]) => [a.byteLength, b.byteLength])).toEqual([
        [64, 64],
        [64, 64],
        [64, 64],
      ]);
    } finally {
      compare.mockRestore();
    }
  });

  it('answers false for a missing hash or one of another length without comparing', () => {
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      expect(sameHash(undefined, hashSecret('x'))).toBe(false);
      expect(sameHash('abc', hashSecret('x'))).toBe(false);
      expect(compare).not.toHaveBeenCalled();
    } finally {
      compare.mockRestore();
    }
  });
});
