import { DEFAULT_CONFIG, parseConfig } from '../../lambda/domain/config';
import { heartbeatSettings } from '../../lambda/domain/heartbeat-settings';
import { hashSecret } from '../../lambda/domain/secrets';
import { HeartbeatService } from '../../lambda/heartbeats';
import { createLogger } from '../../lambda/logger';
import type { HeartbeatStore, HeartbeatWrite } from '../../lambda/ports';

const TOKEN = 'hbw_batch-token-000000000000000000000000000000';

/** An agent store whose every write takes `writeMs` of the clock, recording what it was asked to write. */
function slowStore(clock: { at: number }, writeMs: number) {
  const writes: HeartbeatWrite[] = [];
  const agents: HeartbeatStore = {
    async recordHeartbeat(write) {
      writes.push(write);
      clock.at += writeMs;
      return {
        written: {
          agentId: write.agentId,
          group: 'production',
          approval: 'approved',
          tokenHash: hashSecret(TOKEN),
          createdAt: 0,
          lastHeartbeatAt: write.at,
        },
      };
    },
    recordRestart: () => Promise.reject(new Error('no restart here')),
    forgetLossBuckets: async () => {},
  };
  return { agents, writes };
}

describe("a relay's batch", () => {
  it('dates every item when the batch arrived, less what the relay held it, however long the writes before it took', async () => {
    const arrivedAt = Date.parse('2026-12-03T12:00:00Z');
    const clock = { at: arrivedAt };
    const { agents, writes } = slowStore(clock, 50);
    const service = new HeartbeatService({
      agents,
      clock: { now: () => clock.at },
      settings: heartbeatSettings(parseConfig(DEFAULT_CONFIG)),
      log: createLogger({ sink: () => {} }),
    });
    const items = Array.from({ length: 40 }, (_, i) => ({ agentId: `a-${i}`, token: TOKEN, heldMs: i }));

    const answer = await service.heartbeats({ heartbeats: items });

    expect(answer.results.map((r) => r.status)).toEqual(items.map(() => 'ok'));
    // 40 writes of 50 ms, 16 at a time: the last started well after the batch arrived.
    expect(clock.at - arrivedAt).toBeGreaterThanOrEqual(40 * 50);
    expect(writes.map((w) => [w.agentId, w.at])).toEqual(
      items.map((item) => [item.agentId, arrivedAt - item.heldMs]),
    );
  });
});
