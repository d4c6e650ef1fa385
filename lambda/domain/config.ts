import * as v from 'valibot';
import { ValidationError } from './errors';
import { groupNameSchema, parseOrThrow } from './validation';

export const CHANNELS = ['sms', 'email', 'console'] as const;
export type Channel = (typeof CHANNELS)[number];

const wholeNumber = (min: number, max: number, unit: string) =>
  v.pipe(
    v.number('must be a number'),
    v.integer('must be a whole number'),
    v.minValue(min, `must be at least ${min}${unit}`),
    v.maxValue(max, `must be at most ${max}${unit}`),
  );

/** Thresholds that the top level sets and every group may override. */
const thresholdEntries = {
  heartbeatIntervalSeconds: v.optional(wholeNumber(1, 86_400, ' s')),
  scanIntervalSeconds: v.optional(wholeNumber(1, 86_400, ' s')),
  missedScansBeforeAlert: v.optional(wholeNumber(1, 1_000, '')),
};

const phoneNumber = v.pipe(
  v.string('must be a string'),
  v.regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 phone number such as +15555550100'),
);
const emailAddress = v.pipe(v.string('must be a string'), v.email('must be an email address'));

const groupSchema = v.strictObject(
  {
    channels: v.pipe(
      v.array(v.picklist(CHANNELS, 'must be one of sms, email, console'), 'must be a list of channels'),
      v.minLength(1, 'must name at least one channel'),
    ),
    subscriptions: v.optional(
      v.strictObject({
        sms: v.optional(v.array(phoneNumber, 'must be a list of phone numbers')),
        email: v.optional(v.array(emailAddress, 'must be a list of email addresses')),
      }),
    ),
    autoApprove: v.optional(v.boolean('must be true or false')),
    ...thresholdEntries,
  },
  'must be an object',
);

/** The definition of `heartbeat-watcher.config.json`; the committed JSON Schema is generated from it. */
export const configSchema = v.strictObject({
  $schema: v.optional(v.string('must be a string')),
  ...thresholdEntries,
  groups: v.pipe(
    v.record(groupNameSchema, groupSchema, 'must be an object of groups'),
    v.check((groups) => Object.keys(groups).length > 0, 'must define at least one group'),
  ),
});

export type RawConfig = v.InferOutput<typeof configSchema>;

/** Built-in defaults (DESIGN.md section 4): used when there is no config file. */
export const DEFAULT_CONFIG: RawConfig = {
  heartbeatIntervalSeconds: 30,
  scanIntervalSeconds: 30,
  missedScansBeforeAlert: 3,
  groups: {
    production: { channels: ['sms', 'email'] },
    test: { channels: ['console'] },
  },
};

const TOP_DEFAULTS = { heartbeatIntervalSeconds: 30, scanIntervalSeconds: 30, missedScansBeforeAlert: 3 };

/** Everything one group runs with, its overrides applied over the top-level values. */
export interface GroupSettings {
  readonly name: string;
  readonly channels: readonly Channel[];
  readonly subscriptions: { readonly sms: readonly string[]; readonly email: readonly string[] };
  readonly autoApprove: boolean;
  readonly heartbeatIntervalSeconds: number;
  readonly scanIntervalSeconds: number;
  readonly missedScansBeforeAlert: number;
}

export interface WatcherConfig {
  readonly heartbeatIntervalSeconds: number;
  readonly scanIntervalSeconds: number;
  readonly missedScansBeforeAlert: number;
  readonly groups: Readonly<Record<string, GroupSettings>>;
}

/**
 * Validates a parsed config document and resolves every group's settings.
 * Throws a {@link ValidationError} whose message starts with the field at fault.
 */
export function parseConfig(raw: unknown): WatcherConfig {
  const doc = parseOrThrow(configSchema, raw, { subject: 'config' });
  const top = {
    heartbeatIntervalSeconds: doc.heartbeatIntervalSeconds ?? TOP_DEFAULTS.heartbeatIntervalSeconds,
    scanIntervalSeconds: doc.scanIntervalSeconds ?? TOP_DEFAULTS.scanIntervalSeconds,
    missedScansBeforeAlert: doc.missedScansBeforeAlert ?? TOP_DEFAULTS.missedScansBeforeAlert,
  };
  const groups: Record<string, GroupSettings> = {};
  for (const [name, g] of Object.entries(doc.groups)) {
    for (const channel of ['sms', 'email'] as const) {
      if ((g.subscriptions?.[channel]?.length ?? 0) > 0 && !g.channels.includes(channel)) {
        throw new ValidationError(
          `groups.${name}.subscriptions.${channel}: the group has no ${channel} channel, so these subscribers would never be paged`,
          `groups.${name}.subscriptions.${channel}`,
        );
      }
    }
    groups[name] = {
      name,
      channels: [...new Set(g.channels)],
      subscriptions: { sms: g.subscriptions?.sms ?? [], email: g.subscriptions?.email ?? [] },
      autoApprove: g.autoApprove ?? false,
      heartbeatIntervalSeconds: g.heartbeatIntervalSeconds ?? top.heartbeatIntervalSeconds,
      scanIntervalSeconds: g.scanIntervalSeconds ?? top.scanIntervalSeconds,
      missedScansBeforeAlert: g.missedScansBeforeAlert ?? top.missedScansBeforeAlert,
    };
  }
  return { ...top, groups };
}

/** The settings of `group`, or a {@link ValidationError} naming `field` when no such group is configured. */
export function groupSettings(config: WatcherConfig, group: string, field = 'group'): GroupSettings {
  const settings = Object.hasOwn(config.groups, group) ? config.groups[group] : undefined;
  if (!settings) {
    throw new ValidationError(
      `${field}: unknown group "${group}" (configured: ${Object.keys(config.groups).join(', ')})`,
      field,
      'unknown_group',
    );
  }
  return settings;
}

/**
 * The settings an existing agent runs with. An agent whose group was since removed from the config
 * keeps being watched with the top-level thresholds and is only recorded (console), never paged.
 */
export function settingsFor(config: WatcherConfig, group: string): GroupSettings {
  return (
    (Object.hasOwn(config.groups, group) ? config.groups[group] : undefined) ?? {
      name: group,
      channels: ['console'],
      subscriptions: { sms: [], email: [] },
      autoApprove: false,
      heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
      scanIntervalSeconds: config.scanIntervalSeconds,
      missedScansBeforeAlert: config.missedScansBeforeAlert,
    }
  );
}
