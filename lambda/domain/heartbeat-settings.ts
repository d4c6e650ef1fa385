import * as v from 'valibot';
import { checkInput, describeProblems, wholeNumber } from './validation';

/** The three numbers that judge an agent's heartbeats: how often it beats, how often it is scanned, when it fails. */
export const HEARTBEAT_THRESHOLDS = {
  heartbeatIntervalSeconds: wholeNumber(1, 86_400, ' s'),
  scanIntervalSeconds: wholeNumber(1, 86_400, ' s'),
  missedScansBeforeAlert: wholeNumber(1, 1_000, ''),
};

export interface HeartbeatThresholds {
  readonly heartbeatIntervalSeconds: number;
  readonly scanIntervalSeconds: number;
  readonly missedScansBeforeAlert: number;
}

/**
 * What the heartbeat path reads of the config, and nothing more: the top level's thresholds, which a
 * group that is not configured takes, and each configured group's. The ingest function gets this
 * (`HBW_HEARTBEAT_SETTINGS`), not the whole config, so it carries neither the config's schema nor
 * its policies.
 */
export interface HeartbeatSettings extends HeartbeatThresholds {
  readonly groups: Readonly<Record<string, HeartbeatThresholds>>;
}

const thresholdsSchema = v.strictObject(HEARTBEAT_THRESHOLDS);
const settingsSchema = v.strictObject({
  ...HEARTBEAT_THRESHOLDS,
  groups: v.record(v.string(), thresholdsSchema),
});

const thresholdsOf = (t: HeartbeatThresholds): HeartbeatThresholds => ({
  heartbeatIntervalSeconds: t.heartbeatIntervalSeconds,
  scanIntervalSeconds: t.scanIntervalSeconds,
  missedScansBeforeAlert: t.missedScansBeforeAlert,
});

/** The heartbeat settings of a config (whose groups' thresholds are already resolved). */
export function heartbeatSettings(config: {
  readonly heartbeatIntervalSeconds: number;
  readonly scanIntervalSeconds: number;
  readonly missedScansBeforeAlert: number;
  readonly groups: Readonly<Record<string, HeartbeatThresholds>>;
}): HeartbeatSettings {
  return {
    ...thresholdsOf(config),
    groups: Object.fromEntries(Object.entries(config.groups).map(([name, g]) => [name, thresholdsOf(g)])),
  };
}

/** Heartbeat settings as JSON wrote them, checked; throws naming each field at fault. */
export function parseHeartbeatSettings(raw: unknown): HeartbeatSettings {
  const checked = checkInput(settingsSchema, raw, { subject: 'heartbeat settings' });
  if (!checked.ok) throw new Error(describeProblems(checked.problems));
  return checked.output;
}

/** A group's thresholds; a group the config does not name takes the top level's. */
export function thresholdsFor(settings: HeartbeatSettings, group: string): HeartbeatThresholds {
  return Object.hasOwn(settings.groups, group) ? settings.groups[group]! : settings;
}

/** The scanner runs at the shortest scan interval of any group; each group counts in its own. */
export function scanTickSeconds(settings: {
  readonly scanIntervalSeconds: number;
  readonly groups: Readonly<Record<string, { readonly scanIntervalSeconds: number }>>;
}): number {
  return Math.min(
    settings.scanIntervalSeconds,
    ...Object.values(settings.groups).map((g) => g.scanIntervalSeconds),
  );
}
