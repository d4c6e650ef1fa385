/**
 * Heartbeats lost on the way, counted from `seq` within one boot. The heartbeat's one write keeps
 * the counts (it adds to them without reading them): how many heartbeats the boot has delivered, and
 * per clock hour the first and last `seq` seen and how many arrived. A gap in `seq` is then the
 * heartbeats that never arrived, or arrived too late to count (after a newer one).
 */

export const HOUR_MS = 3_600_000;

/** What one clock hour of an agent's heartbeats delivered, within its current boot. */
export interface LossBucket {
  /** The hour, counted from the epoch (`lossHour`). */
  readonly hour: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly beats: number;
}

/** The counts kept on the agent's item. */
export interface LossCounters {
  readonly seq?: number;
  /** The first `seq` of the current boot, and how many heartbeats of it arrived. */
  readonly bootFirstSeq?: number;
  readonly bootBeats?: number;
  /** This hour's and the last hour's counts (older ones the next write removes). */
  readonly lossBuckets?: readonly LossBucket[];
}

/**
 * The heartbeats one stands for: `coalesced` of them (1 when absent), the first at `seq - n + 1`;
 * never more than the `seq` numbers it can cover (from 0).
 */
export function heartbeatsCovered(
  seq: number,
  coalesced: number | undefined,
): { firstSeq: number; beats: number } {
  const beats = Math.min(Math.max(coalesced ?? 1, 1), seq + 1);
  return { firstSeq: seq - beats + 1, beats };
}

/**
 * A heartbeat that takes the place of an older one of its agent that was never sent (a relay's
 * queue keeps only the newest): it stands for the older one's heartbeats too, when both are of
 * one boot. Answers the newer heartbeat, its `coalesced` counting them.
 */
export function coalesce<T extends Readonly<Record<string, unknown>>>(
  older: Readonly<Record<string, unknown>>,
  newer: T,
): T {
  const counted = (h: Readonly<Record<string, unknown>>) =>
    typeof h.coalesced === 'number' ? h.coalesced : 1;
  const sameBoot =
    typeof older.seq === 'number' &&
    typeof newer.seq === 'number' &&
    older.bootId !== undefined &&
    older.bootId === newer.bootId;
  return sameBoot ? { ...newer, coalesced: counted(older) + counted(newer) } : newer;
}

/** The clock hour of `at`, counted from the epoch. */
export const lossHour = (at: number) => Math.floor(at / HOUR_MS);

/** Heartbeats of the current boot that never arrived; `undefined` when the agent sends no `seq`. */
export function lostHeartbeats(counters: LossCounters): number | undefined {
  const { seq, bootFirstSeq, bootBeats } = counters;
  if (seq === undefined || bootFirstSeq === undefined || bootBeats === undefined) return undefined;
  return Math.max(0, seq - bootFirstSeq + 1 - bootBeats);
}

/**
 * The share of heartbeats lost over the hour before `now`, in percent with one decimal: this clock
 * hour's counts, and the last hour's weighted by the part of it still inside the sliding hour (the
 * estimate rate limiters use with two fixed windows). A gap between the two hours counts in this one.
 * `undefined` when no heartbeat with a `seq` arrived in either hour.
 */
export function lossLastHourPercent(
  buckets: readonly LossBucket[] | undefined,
  now: number,
): number | undefined {
  const hour = lossHour(now);
  const current = buckets?.find((b) => b.hour === hour);
  const previous = buckets?.find((b) => b.hour === hour - 1);
  let expected = 0;
  let arrived = 0;
  if (current) {
    const gap = previous ? Math.max(0, current.firstSeq - previous.lastSeq - 1) : 0;
    expected += current.lastSeq - current.firstSeq + 1 + gap;
    arrived += current.beats;
  }
  if (previous) {
    const weight = 1 - (now - hour * HOUR_MS) / HOUR_MS;
    expected += (previous.lastSeq - previous.firstSeq + 1) * weight;
    arrived += previous.beats * weight;
  }
  if (expected <= 0) return undefined;
  return Math.round(Math.max(0, (expected - arrived) / expected) * 1000) / 10;
}

/** The buckets a write at `now` no longer needs: older than the last hour. */
export function staleBuckets(buckets: readonly LossBucket[] | undefined, now: number): LossBucket[] {
  const hour = lossHour(now);
  return (buckets ?? []).filter((b) => b.hour < hour - 1);
}
