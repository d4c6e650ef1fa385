import * as v from 'valibot';
import { type AlertRecord, endedByHeartbeat } from './alert';
import type { GroupSettings } from './config';
import { formatDuration, parseDuration } from './duration';
import { durationSchema } from './validation';

const SEVEN_DAYS_MS = 7 * 86_400_000;

/** `flapping` of a group: `changes` alert openings within `window` make one `flapping` alert. */
export const flappingSchema = v.strictObject(
  {
    changes: v.pipe(
      v.number('must be a number'),
      v.integer('must be a whole number'),
      v.minValue(2, 'must be at least 2'),
      v.maxValue(100, 'must be at most 100'),
    ),
    window: durationSchema(SEVEN_DAYS_MS),
    stableFor: durationSchema(SEVEN_DAYS_MS),
  },
  'must be an object with changes, window and stableFor',
);

/** A group's flapping rule, its durations in milliseconds. */
export interface FlappingSettings {
  readonly changes: number;
  readonly windowMs: number;
  readonly stableForMs: number;
}

/** The rule as the config writes it, read (the schema has checked the durations). */
export function flappingSettings(raw: v.InferOutput<typeof flappingSchema>): FlappingSettings {
  return {
    changes: raw.changes,
    windowMs: parseDuration(raw.window)!,
    stableForMs: parseDuration(raw.stableFor)!,
  };
}

/**
 * What the scanner keeps of an agent's alert openings, on the agent's own item: the openings that
 * can still count, oldest first. Only the scanner writes them (when it opens an alert), never the
 * heartbeat, which stays one write with no read.
 */
export interface OpeningHistory {
  /** The times its last alerts opened, oldest first, at most `changes` of them. */
  readonly recentOpenings?: readonly number[];
  /** When its last flapping episode ended: openings before it never count again. */
  readonly flappingEndedAt?: number;
}

/**
 * The openings to keep after one at `at`: the last `changes` of them within `window` of it, `at`
 * once however often it is added (it names one alert's opening). The list never grows past `changes`
 * entries, the most the rule looks at.
 */
export function withOpening(
  history: OpeningHistory,
  at: number,
  settings: FlappingSettings,
): readonly number[] {
  return [...(history.recentOpenings ?? []).filter((t) => t !== at), at]
    .filter((t) => t > at - settings.windowMs)
    .sort((a, b) => a - b)
    .slice(-settings.changes);
}

/**
 * When the agent started to flap, as of `now`: the first of its last `changes` openings, when all of
 * them fall within `window` before `now` and after its last episode ended; otherwise `undefined`.
 * Every scanner reading the same item answers the same instant, so it names the episode's alert.
 */
export function flappingSince(
  history: OpeningHistory,
  settings: FlappingSettings,
  now: number,
): number | undefined {
  const counted = (history.recentOpenings ?? []).filter(
    (t) => t > now - settings.windowMs && t > (history.flappingEndedAt ?? -Infinity),
  );
  return counted.length >= settings.changes ? counted.at(-settings.changes) : undefined;
}

/** What the scanner does about an agent's flapping in one scan. */
export type FlappingStep =
  | { readonly kind: 'none' }
  /** Open the episode's alert, named after `since` (see {@link flappingSince}). */
  | { readonly kind: 'open'; readonly since: number }
  /** Record on the open flapping alert since when the agent has been healthy (`undefined`: it is not). */
  | { readonly kind: 'stable'; readonly since: number | undefined }
  /** The agent stayed healthy for `stableFor` (`stable`), or its group no longer watches flapping (`cleared`). */
  | { readonly kind: 'resolve'; readonly resolution: 'stable' | 'cleared' };

const NONE: FlappingStep = { kind: 'none' };

/**
 * The flapping rule for one watched agent at `now`. `healthy`: no incident of it stands after this
 * scan's decisions and its heartbeat is fresh (no scan missed). An open episode resolves once the
 * agent has stayed healthy for `stableFor`, counted from the first scan that found it so; a scan that
 * finds it otherwise starts the count again.
 */
export function flappingStep(
  settings: FlappingSettings | undefined,
  history: OpeningHistory,
  episode: Pick<AlertRecord, 'stableSince'> | undefined,
  healthy: boolean,
  now: number,
): FlappingStep {
  if (!episode) {
    const since = settings && flappingSince(history, settings, now);
    return since === undefined ? NONE : { kind: 'open', since };
  }
  if (!settings) return { kind: 'resolve', resolution: 'cleared' };
  if (!healthy) return episode.stableSince === undefined ? NONE : { kind: 'stable', since: undefined };
  if (episode.stableSince === undefined) return { kind: 'stable', since: now };
  return now - episode.stableSince >= settings.stableForMs ? { kind: 'resolve', resolution: 'stable' } : NONE;
}

/** The words of a flapping alert. */
export function flappingDetail(settings: FlappingSettings, since: number): string {
  return `Its alerts opened ${settings.changes} times within ${formatDuration(settings.windowMs)} (the first at ${new Date(since).toISOString()}): its own pages and recoveries are held until it has stayed healthy for ${formatDuration(settings.stableForMs)}, then one recovery says so.`;
}

/** What one scan does about an open alert of an incident that a heartbeat may have ended. */
export interface RecoveryStep {
  readonly resolve: boolean;
  /** The mark to record on the alert when it changes: when its fresh scans began (`null`: remove it). */
  readonly freshSince?: number | null;
}

/** When an incident a heartbeat ended resolves: after `recoverAfterScans` scans of its group's interval. */
export type RecoveryRule = Pick<GroupSettings, 'recoverAfterScans' | 'scanIntervalSeconds'>;

/**
 * Recovery hysteresis: an open incident resolves only once `recoverAfterScans` consecutive scans
 * have seen a fresh heartbeat (one after the incident started, and no scan missed); a scan that
 * finds the agent late again starts over. With 1 (the default), the first scan after a heartbeat
 * resolves it, as it always has. The alert keeps when its fresh scans began (`freshSince`), and the
 * scans are counted in its group's scan intervals since then, rounded: two scanners racing in one
 * tick are one scan, however they interleave, and a timer a little early still counts.
 */
export function recoveryStep(
  alert: Pick<AlertRecord, 'incidentStart' | 'freshSince'>,
  lastHeartbeatAt: number | undefined,
  missedScans: number,
  rule: RecoveryRule,
  now: number,
): RecoveryStep {
  if (!endedByHeartbeat(alert, lastHeartbeatAt)) return { resolve: false };
  if (rule.recoverAfterScans <= 1) return { resolve: true };
  if (missedScans > 0)
    return alert.freshSince === undefined ? { resolve: false } : { resolve: false, freshSince: null };
  const since = alert.freshSince ?? now;
  const scans = 1 + Math.round((now - since) / (rule.scanIntervalSeconds * 1000));
  if (scans >= rule.recoverAfterScans) return { resolve: true };
  return alert.freshSince === undefined ? { resolve: false, freshSince: now } : { resolve: false };
}
