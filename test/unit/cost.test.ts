import { agentMonth, billedIngestMs, httpApiMonth, PRICES } from '../../bench/cost';

const AT_30_S = {
  fleet: 1_000,
  heartbeatSeconds: 30,
  scanSeconds: 30,
  writesPerHeartbeat: 1,
  readUnitsPerAgentScan: 0.04,
  ingestMs: 15,
  ingestMemoryMb: 256,
  batch: 1,
};
const HOURS = 30 * 24;

describe('agentMonth', () => {
  it('prices on-demand writes per million write units', () => {
    const row = agentMonth(AT_30_S);
    expect(row.capacity).toBe('on demand');
    expect(row.dynamoWrites).toBeCloseTo((86_400 / 1e6) * PRICES.dynamoWritePerMillionWru, 8);
  });

  it('prices provisioned units by the hour, paying for 1 / target of those used', () => {
    const row = agentMonth({ ...AT_30_S, provisionedAt: 0.7 });
    expect(row.capacity).toBe('provisioned at 70%');
    // One write every 30 s is 1/30 of a write unit, paid for at 1/0.7 of it, all month.
    expect(row.dynamoWrites).toBeCloseTo((1 / 30 / 0.7) * HOURS * PRICES.dynamoProvisionedWcuHour, 8);
    expect(row.dynamoReads).toBeCloseTo((0.04 / 30 / 0.7) * HOURS * PRICES.dynamoProvisionedRcuHour, 8);
    expect(row.total).toBeCloseTo(row.api + row.lambda + row.dynamoWrites + row.dynamoReads, 10);
  });

  it('makes a steady fleet cheaper provisioned than on demand at 70%', () => {
    expect(agentMonth({ ...AT_30_S, provisionedAt: 0.7 }).dynamoWrites).toBeLessThan(
      agentMonth(AT_30_S).dynamoWrites / 2,
    );
  });
});

describe('the HTTP API price by volume', () => {
  it('charges $1.00 a million up to 300 million requests a month and $0.90 a million past them', () => {
    expect(httpApiMonth(0)).toBe(0);
    expect(httpApiMonth(300e6)).toBeCloseTo(300, 8);
    expect(httpApiMonth(400e6)).toBeCloseTo(300 + 90, 8);
  });

  it("makes a million agents' heartbeats cheaper per agent than a small fleet's, and only the API's share", () => {
    const small = agentMonth({ ...AT_30_S, provisionedAt: 0.7 });
    const large = agentMonth({ ...AT_30_S, provisionedAt: 0.7, fleet: 1_000_000 });
    // 86,400 requests an agent: a fleet of 1,000 stays in the first tier; a million makes 86.4 billion.
    expect(small.api).toBeCloseTo((86_400 / 1e6) * 1.0, 8);
    expect(large.api).toBeCloseTo((300 + (86_400 - 300) * 0.9) / 1e6, 8);
    expect(large.lambda).toBe(small.lambda);
    expect(large.dynamoWrites).toBe(small.dynamoWrites);
  });
});

describe('billedIngestMs', () => {
  it("stretches the CPU of a whole core to the memory's share of a vCPU, adds the round trip and rounds up", () => {
    // 1 ms of CPU at 256 MB (256/1769 of a vCPU) lasts 6.91 ms; with a 5 ms round trip, 11.91: billed 12.
    expect(billedIngestMs(1, 256, 5)).toBe(12);
    // At one vCPU's memory the CPU takes what it takes.
    expect(billedIngestMs(1, 1769, 5)).toBe(6);
    expect(billedIngestMs(1, 128, 5)).toBe(19);
  });
});
