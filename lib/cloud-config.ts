import { parseConfig, type RawConfig, type WatcherConfig } from '../lambda/domain/config';
import { type FieldProblem, ValidationError } from '../lambda/domain/errors';
import { cronProblems } from '../lambda/domain/maintenance';
import { cloudScanIntervalProblem } from '../lambda/domain/schedule';
import { describeProblems } from '../lambda/domain/validation';
import { cloudWebhookProblems } from '../lambda/domain/webhooks';

/** The config cannot be deployed as it is; the message names the field and says why. */
export class CloudConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudConfigError';
  }
}

/**
 * What the cloud refuses beyond local mode: scan intervals a once-a-minute schedule cannot keep, and
 * webhooks over plain http.
 * Read from the document as written, so it can be listed with the document's other problems; a
 * group without its own interval runs the top level's (or the default), checked once there.
 */
export function cloudConfigProblems(raw: unknown): FieldProblem[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const doc = raw as { scanIntervalSeconds?: unknown; groups?: unknown };
  const intervals: [string, unknown][] = [['scanIntervalSeconds', doc.scanIntervalSeconds]];
  if (typeof doc.groups === 'object' && doc.groups !== null && !Array.isArray(doc.groups)) {
    for (const [name, group] of Object.entries(doc.groups)) {
      const own =
        typeof group === 'object' && group !== null ? (group as { scanIntervalSeconds?: unknown }) : {};
      intervals.push([`groups.${name}.scanIntervalSeconds`, own.scanIntervalSeconds]);
    }
  }
  const problems: FieldProblem[] = cloudWebhookProblems(doc.groups);
  for (const [field, seconds] of intervals) {
    // A value that is no whole number in range is the schema's to refuse.
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) continue;
    const problem = cloudScanIntervalProblem(seconds);
    if (problem) problems.push({ field, message: `${field}: ${problem}` });
  }
  return problems;
}

/**
 * Validates a config for the cloud: what local mode accepts, and scan intervals a once-a-minute
 * schedule can keep; a {@link CloudConfigError} lists every problem. Answers the parsed config and
 * the document the functions get (subscriptions and the watcher's alarms left out: phone numbers and
 * addresses belong to SNS, not to every function's environment).
 */
export function cloudConfig(raw: RawConfig): { config: WatcherConfig; forFunctions: RawConfig } {
  let config: WatcherConfig;
  try {
    config = parseConfig(raw, (doc) => [...cronProblems(doc), ...cloudConfigProblems(doc)]);
  } catch (error) {
    if (error instanceof ValidationError) throw new CloudConfigError(describeProblems(error.problems));
    throw error;
  }
  const { watcherAlarms: _, ...rest } = raw;
  const groups = Object.fromEntries(
    Object.entries(raw.groups).map(([name, { subscriptions: _, ...settings }]) => [name, settings]),
  );
  return { config, forFunctions: { ...rest, groups } };
}
