import { randomBytes } from 'node:crypto';
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
          const res = await w.app.request('/v1/heartbeat', {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...bearer(guess) },
            body: JSON.stringify({ agentId: 'target' }),
          });
          return res.status;
        }),
      );
      for (const status of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }

    expect(Object.fromEntries(statuses)).toEqual({ 401: 2_000 });
    expect(await w.storedAgents()).toEqual(before);
  });
});

describe('the hash comparison of the rare paths', () => {
  it('takes the same time whether the hashes differ in the first or only in the last character (10,000 tries)', () => {
    const real = hashSecret('hbw_real-token');
    const farOff = `${real[0] === 'a' ? 'b' : 'a'}${real.slice(1)}`;
    const nearMiss = `${real.slice(0, -1)}${real.at(-1) === 'a' ? 'b' : 'a'}`;
    const perBatch = 1000;
    const time = (candidate: string) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < perBatch; i++) sameHash(real, candidate);
      return Number(process.hrtime.bigint() - start);
    };
    for (let i = 0; i < 5; i++) {
      time(farOff);
      time(nearMiss);
    }
    const far: number[] = [];
    const near: number[] = [];
    for (let batch = 0; batch < 10; batch++) {
      far.push(time(farOff));
      near.push(time(nearMiss));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

    const ratio = median(near) / median(far);

    // A comparison that stops at the first difference would take ~64 times longer for the near miss.
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    expect(sameHash(real, nearMiss)).toBe(false);
    expect(sameHash(real, real)).toBe(true);
  });
});

describe('secrets in the logs', () => {
  it('never writes a token or enrollment key to any log line of a full run', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    };
    const spies = [
      jest.spyOn(console, 'log').mockImplementation(capture),
      jest.spyOn(console, 'error').mockImplementation(capture),
      jest.spyOn(console, 'warn').mockImplementation(capture),
    ];
    const w = await startTestWatcher();
    const secrets: string[] = [];
    try {
      const token = await w.addAgent('web-01');
      secrets.push(token);
      await w.call('POST', '/v1/heartbeat', { agentId: 'web-01' }, bearer(token));
      await w.call('POST', '/v1/heartbeat', { agentId: 'web-01' }, bearer(`${token}x`));
      const key = (await w.call('POST', '/v1/groups/test/enrollment-key')).body.key as string;
      secrets.push(key);
      const registered = await w.call(
        'POST',
        '/v1/register',
        { agentId: 'lab-01', group: 'test' },
        bearer(key),
      );
      secrets.push(registered.body.token);
      await w.call('POST', '/v1/heartbeat', { agentId: 'lab-01' }, bearer(registered.body.token));
      const rotated = await w.call('POST', '/v1/agents/web-01/rotate-token');
      secrets.push(rotated.body.token);
      await w.call('POST', '/v1/heartbeats', {
        heartbeats: [
          { agentId: 'web-01', token: rotated.body.token },
          { agentId: 'web-01', token },
          { agentId: 'bad id', token: rotated.body.token },
        ],
      });
      w.clock.advance(5 * 60_000);
      await w.scanner.scan();
      await w.call('GET', '/v1/agents');
      await w.call('GET', '/v1/alerts?status=all');
    } finally {
      await w.close();
      for (const spy of spies) spy.mockRestore();
    }

    expect(secrets.every((s) => typeof s === 'string' && s.length > 40)).toBe(true);
    const log = lines.join('\n');
    for (const secret of secrets) {
      expect(log).not.toContain(secret);
      expect(log).not.toContain(hashSecret(secret));
    }
  });
});
