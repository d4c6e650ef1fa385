/**
 * The monthly cost of watching one agent, from counted requests and public list prices (us-east-1,
 * from the AWS pricing pages for Lambda, DynamoDB, API Gateway, CloudWatch and Route 53).
 */
export const PRICES = {
  /**
   * HTTP API requests in us-east-1, by the account's volume in the month: the first 300 million at
   * $1.00 a million, every one past them at $0.90 (the API Gateway pricing page; the same two tiers
   * are in table 4 of AWS's whitepaper "Best Practices for Designing Amazon API Gateway Private APIs
   * and Private Integration").
   */
  httpApiTiers: [
    { upToMillions: 300, perMillion: 1.0 },
    { upToMillions: Number.POSITIVE_INFINITY, perMillion: 0.9 },
  ],
  lambdaRequestsPerMillion: 0.2,
  /** Lambda on arm64, per GB-second. */
  lambdaArmGbSecond: 0.0000133334,
  dynamoWritePerMillionWru: 0.625,
  dynamoReadPerMillionRru: 0.125,
  /** Provisioned capacity, per unit-hour. */
  dynamoProvisionedWcuHour: 0.00065,
  dynamoProvisionedRcuHour: 0.00013,
  cloudWatchCustomMetricMonth: 0.3,
  cloudWatchAlarmMonth: 0.1,
  cloudWatchPutMetricDataPerThousand: 0.01,
  route53HealthCheckAwsMonth: 0.5,
  route53HealthCheckOtherMonth: 0.75,
} as const;

const MONTH_SECONDS = 30 * 86_400;

/** What `requests` HTTP API requests in one month cost, each tier at its price. */
export function httpApiMonth(requests: number): number {
  let cost = 0;
  let from = 0;
  for (const tier of PRICES.httpApiTiers) {
    const upTo = tier.upToMillions * 1e6;
    cost += (Math.max(0, Math.min(requests, upTo) - from) / 1e6) * tier.perMillion;
    from = upTo;
  }
  return cost;
}

/** Memory at which a Lambda function has one vCPU's worth of CPU (AWS Lambda developer guide, memory). */
export const LAMBDA_VCPU_MB = 1769;
/** One UpdateItem round trip in-region, assumed: DynamoDB's own figure is "single-digit milliseconds". */
export const DYNAMODB_ROUND_TRIP_MS = 5;
/** The memory the ingest function runs with (lib/watcher-function.ts). */
export const INGEST_MEMORY_MB = 256;

/**
 * The billed duration of one ingest invocation, modelled: the CPU one heartbeat takes at a whole core
 * (measured), stretched to the memory's share of a vCPU, plus the UpdateItem's round trip, rounded
 * up to Lambda's 1 ms billing. CPU of this machine's core stands in for a Graviton core.
 */
export function billedIngestMs(
  cpuMsAtOneCore: number,
  memoryMb = INGEST_MEMORY_MB,
  roundTripMs = DYNAMODB_ROUND_TRIP_MS,
): number {
  return Math.ceil((cpuMsAtOneCore * LAMBDA_VCPU_MB) / memoryMb + roundTripMs);
}

export interface CostInputs {
  /**
   * The agents one watcher (one account) holds: their requests share the month's HTTP API tiers.
   * Lambda's duration tiers start at 7.5 billion GB-seconds a month, which a million agents beating
   * every 10 s at 256 MB and under 20 ms a heartbeat stay below, so they are not modelled.
   */
  readonly fleet: number;
  readonly heartbeatSeconds: number;
  readonly scanSeconds: number;
  /** Write units per accepted heartbeat (counted: 1). */
  readonly writesPerHeartbeat: number;
  /** Read units the scanner spends per agent per scan (counted by the scan benchmark). */
  readonly readUnitsPerAgentScan: number;
  /** Billed duration of one ingest invocation and its memory. */
  readonly ingestMs: number;
  readonly ingestMemoryMb: number;
  /** Heartbeats per request: 1 direct, up to 100 through a relay. */
  readonly batch: number;
  /**
   * Provisioned capacity at this target utilization (auto scaling keeps the units used at this
   * share of those paid for); absent: on demand.
   */
  readonly provisionedAt?: number;
}

export interface CostRow {
  readonly fleet: number;
  readonly heartbeatSeconds: number;
  readonly batch: number;
  /** As `CostInputs.provisionedAt`: the target utilization, absent on demand. */
  readonly provisionedAt?: number;
  /** The same in words: `on demand`, or `provisioned at 70%`. */
  readonly capacity: string;
  readonly heartbeatsPerMonth: number;
  readonly api: number;
  readonly lambda: number;
  readonly dynamoWrites: number;
  readonly dynamoReads: number;
  readonly total: number;
}

export function agentMonth(inputs: CostInputs): CostRow {
  const heartbeats = MONTH_SECONDS / inputs.heartbeatSeconds;
  const requests = heartbeats / inputs.batch;
  const api = httpApiMonth(requests * inputs.fleet) / inputs.fleet;
  // A batch writes its items 16 at a time (lambda/service.ts), so it lasts about ceil(batch / 16) writes.
  const invocationSeconds = (inputs.ingestMs / 1000) * Math.ceil(inputs.batch / 16);
  const lambda =
    (requests / 1e6) * PRICES.lambdaRequestsPerMillion +
    requests * invocationSeconds * (inputs.ingestMemoryMb / 1024) * PRICES.lambdaArmGbSecond;
  const scans = MONTH_SECONDS / inputs.scanSeconds;
  const target = inputs.provisionedAt;
  // Provisioned: the units used each second, paid for at 1 / target of them, every hour of the month.
  const unitHours = (perSecond: number) => ((perSecond / target!) * MONTH_SECONDS) / 3600;
  const dynamoWrites =
    target === undefined
      ? ((heartbeats * inputs.writesPerHeartbeat) / 1e6) * PRICES.dynamoWritePerMillionWru
      : unitHours(inputs.writesPerHeartbeat / inputs.heartbeatSeconds) * PRICES.dynamoProvisionedWcuHour;
  const dynamoReads =
    target === undefined
      ? ((scans * inputs.readUnitsPerAgentScan) / 1e6) * PRICES.dynamoReadPerMillionRru
      : unitHours(inputs.readUnitsPerAgentScan / inputs.scanSeconds) * PRICES.dynamoProvisionedRcuHour;
  return {
    fleet: inputs.fleet,
    heartbeatSeconds: inputs.heartbeatSeconds,
    batch: inputs.batch,
    provisionedAt: target,
    capacity: target === undefined ? 'on demand' : `provisioned at ${Math.round(target * 100)}%`,
    heartbeatsPerMonth: heartbeats,
    api,
    lambda,
    dynamoWrites,
    dynamoReads,
    total: api + lambda + dynamoWrites + dynamoReads,
  };
}

/** Watching a host with a CloudWatch custom metric (put once a minute) and an alarm on it. */
// Route 53 is priced per check: PRICES.route53HealthCheckAwsMonth or ...OtherMonth, nothing per request.
export function cloudWatchPerHost(): number {
  const puts = MONTH_SECONDS / 60;
  return (
    PRICES.cloudWatchCustomMetricMonth +
    PRICES.cloudWatchAlarmMonth +
    (puts / 1000) * PRICES.cloudWatchPutMetricDataPerThousand
  );
}
