import { HOUR_MS } from '../../lambda/domain/loss';
import type { ManualClock } from './watcher';

/**
 * One boot's heartbeats across an hour, for the tests of every store: the hour before loses every
 * other heartbeat over its last 20 minutes, this hour loses none from its 45th minute. `beat` sends
 * one at the clock's time. Answers what the agent view must then show.
 */
export async function beatAcrossTheHour(
  clock: ManualClock,
  beat: (body: Record<string, unknown>) => Promise<unknown>,
): Promise<{ lostHeartbeats: number; lossLastHourPercent: number }> {
  const hourStart = Math.ceil(clock.now() / HOUR_MS) * HOUR_MS;
  // The hour before: seq 1, 3, 5, ... 39 arrive, a minute apart.
  clock.time = hourStart - 20 * 60_000;
  for (let seq = 1; seq <= 40; seq += 2) {
    await beat({ seq, bootId: 'boot-a' });
    clock.advance(60_000);
  }
  // This hour: seq 40 to 50, none lost.
  clock.time = hourStart + 45 * 60_000;
  for (let seq = 40; seq <= 50; seq++) await beat({ seq, bootId: 'boot-a' });
  // The hour before: 39 sent, 20 arrived, weighted by the quarter of it still inside the sliding
  // hour; this hour: 11 sent (the gap 39-40 counted here), 11 arrived.
  const expected = 11 + 39 * 0.25;
  const arrived = 11 + 20 * 0.25;
  return { lostHeartbeats: 19, lossLastHourPercent: ((expected - arrived) / expected) * 100 };
}
