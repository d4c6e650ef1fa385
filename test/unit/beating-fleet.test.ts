import { spreadWaitMs } from '../../cli/agent/failover';
import { HEARTBEAT_SPREAD } from '../../lambda/domain/agent';
import { DEFAULT_CONFIG, type GroupSettings, parseConfig } from '../../lambda/domain/config';
import { assess } from '../../lambda/domain/scan';
import { agent, T0 } from '../support/records';

// A fleet of beating agents at the defaults (30 s heartbeat, 30 s scans), each wait spread as the
// reference agent spreads it (`spreadWaitMs`), heard 5 ms after it is sent, over a simulated day of scans on the
// boundaries: what the scanner makes of them, by the rule it uses (`assess`).

const DAY = 86_400_000;
const HEARD_AFTER_MS = 5;
const production = parseConfig(DEFAULT_CONFIG).groups.production as GroupSettings;
const TCP_PROBE = { type: 'tcp', host: 'web-01.internal', port: 22 } as const;

/** A repeatable stand-in for Math.random (a linear congruential generator). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Over `agents` agents for a day: the scans that judged one, found it late, and asked for its probe. */
function scanBeatingFleet(agents: number) {
  const random = seeded(20261203);
  const intervalMs = production.heartbeatIntervalSeconds * 1000;
  const scanMs = production.scanIntervalSeconds * 1000;
  const tally = { judged: 0, late: 0, probed: 0 };
  for (let a = 0; a < agents; a++) {
    const heard: number[] = [];
    for (let sent = random() * intervalMs; sent < DAY; ) {
      heard.push(T0 + sent + HEARD_AFTER_MS);
      sent += spreadWaitMs(production.heartbeatIntervalSeconds, HEARTBEAT_SPREAD, random());
    }
    let last = 0;
    for (let scanTime = T0 + scanMs; scanTime < T0 + DAY; scanTime += scanMs) {
      while (last + 1 < heard.length && heard[last + 1]! <= scanTime) last += 1;
      if (heard[last]! > scanTime) continue;
      const found = assess(agent({ lastHeartbeatAt: heard[last]!, probe: TCP_PROBE }), production, scanTime, {
        blindWindows: [],
      });
      if (found.kind !== 'watched') continue;
      tally.judged += 1;
      if (found.missedScans >= 1) tally.late += 1;
      if (found.probe) tally.probed += 1;
    }
  }
  return tally;
}

describe('a fleet of beating agents at the defaults', () => {
  it('is found one scan late on its spread alone in about one scan in forty, and never probed for it', () => {
    const { judged, late, probed } = scanBeatingFleet(200);

    expect(judged).toBeGreaterThan(500_000);
    // The edge is real: without the longest wait in the rule, every one of these would be probed.
    expect(late / judged).toBeGreaterThan(0.015);
    expect(late / judged).toBeLessThan(0.035);
    expect(probed).toBe(0);
  });
});
