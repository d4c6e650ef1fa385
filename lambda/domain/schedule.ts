/**
 * How the cloud scanner keeps a scan interval: EventBridge invokes it once a minute (`rate(1 minute)`),
 * and one invocation runs the scans of that minute at their offsets. Intervals that divide 60 run
 * several scans a minute; whole minutes run one scan every N minutes. Anything else, or anything below
 * 10 s (one invocation would be too busy to keep time), cannot be kept.
 */
const MIN_CLOUD_SCAN_SECONDS = 10;

/** Why `seconds` cannot be kept in the cloud, or `undefined` when it can. */
export function cloudScanIntervalProblem(seconds: number): string | undefined {
  if (seconds < MIN_CLOUD_SCAN_SECONDS) {
    return `${seconds} s is below ${MIN_CLOUD_SCAN_SECONDS} s: the scanner loops inside a one-minute Lambda invocation and cannot keep a shorter interval reliably (local mode accepts it)`;
  }
  if (60 % seconds !== 0 && seconds % 60 !== 0) {
    return `${seconds} s neither divides a minute (10, 12, 15, 20, 30, 60) nor is a whole number of minutes (120, 300, ...): a once-a-minute schedule cannot keep it`;
  }
  return undefined;
}

/**
 * The offsets (ms after `minuteStart`) at which the invocation for that minute scans. Several for
 * intervals below a minute; `[0]` or `[]` for intervals of whole minutes (every N-th minute).
 */
export function scanOffsetsInMinute(seconds: number, minuteStart: number): number[] {
  if (seconds >= 60) {
    const minutes = seconds / 60;
    return Math.floor(minuteStart / 60_000) % minutes === 0 ? [0] : [];
  }
  return Array.from({ length: 60 / seconds }, (_, i) => i * seconds * 1000);
}
