import { parseConfig, type RawConfig, type WatcherConfig } from '../lambda/domain/config';
import { cloudScanIntervalProblem } from '../lambda/domain/schedule';

/** The config cannot be deployed as it is; the message names the field and says why. */
export class CloudConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudConfigError';
  }
}

/**
 * Validates a config for the cloud: what local mode accepts, and scan intervals a once-a-minute
 * schedule can keep. Answers the parsed config and the document the functions get (subscriptions
 * left out: phone numbers and addresses belong to SNS, not to every function's environment).
 */
export function cloudConfig(raw: RawConfig): { config: WatcherConfig; forFunctions: RawConfig } {
  const config = parseConfig(raw);
  const intervals: [string, number][] = [
    ['scanIntervalSeconds', config.scanIntervalSeconds],
    ...Object.values(config.groups).map((g): [string, number] => [
      `groups.${g.name}.scanIntervalSeconds`,
      g.scanIntervalSeconds,
    ]),
  ];
  for (const [field, seconds] of intervals) {
    const problem = cloudScanIntervalProblem(seconds);
    if (problem) throw new CloudConfigError(`${field}: ${problem}`);
  }
  const groups = Object.fromEntries(
    Object.entries(raw.groups).map(([name, { subscriptions: _, ...rest }]) => [name, rest]),
  );
  return { config, forFunctions: { ...raw, groups } };
}
