import * as v from 'valibot';
import { type Capacity, capacityOf, capacitySchema } from './capacity';
import { CHANNELS, type Channel } from './channels';
import type { ClusterSettings } from './cluster';
import { parseDuration } from './duration';
import { type FieldProblem, unknownGroupError, ValidationError } from './errors';
import { type EscalationStep, escalationProblems, escalationSteps } from './escalation';
import { type FlappingSettings, flappingSchema, flappingSettings } from './flapping';
import { HEARTBEAT_THRESHOLDS } from './heartbeat-settings';
import type { RecurringWindow } from './maintenance';
import { printable } from './requests';
import { ON_RESTART, type OnRestart } from './restart';
import { smsBudgetProblems } from './sms-budget';
import { checkInput, durationSchema, groupNameSchema, wholeNumber } from './validation';
import {
  inlineSecretFields,
  type Webhook,
  webhookProblems,
  webhookSchema,
  webhookSettings,
} from './webhooks';

export { CHANNELS, type Channel };

const probeSettingsSchema = v.strictObject({
  attempts: v.optional(wholeNumber(1, 10, '')),
  timeoutMs: v.optional(wholeNumber(50, 30_000, ' ms')),
  intervalMs: v.optional(wholeNumber(0, 30_000, ' ms')),
});

/** Thresholds that the top level sets and every group may override. */
const thresholdEntries = {
  heartbeatIntervalSeconds: v.optional(HEARTBEAT_THRESHOLDS.heartbeatIntervalSeconds),
  scanIntervalSeconds: v.optional(HEARTBEAT_THRESHOLDS.scanIntervalSeconds),
  missedScansBeforeAlert: v.optional(HEARTBEAT_THRESHOLDS.missedScansBeforeAlert),
  /** How a late agent's host is probed (the ping, as SCOM does it): attempts, each with a timeout, spaced by an interval. */
  probe: v.optional(probeSettingsSchema),
  /** Agentless entries are probed every this many scans (3 by default, as in SCOM). */
  agentlessEveryNScans: v.optional(wholeNumber(1, 1_000, '')),
  /** Repeat an unacknowledged open page after this many minutes; 0 never repeats. */
  renotifyMinutes: v.optional(wholeNumber(0, 10_080, ' min')),
  /** An open alert resolves only after this many consecutive scans saw a fresh heartbeat (1: the first). */
  recoverAfterScans: v.optional(wholeNumber(1, 100, ' scans')),
};

/** The longest recurring window (`duration`). */
const MAX_WINDOW_MS = 7 * 86_400_000;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * One recurring window as the config writes it (`maintenance[]` of a group or a cluster). What its
 * cron expression means is checked apart (`cronProblems`, domain/maintenance.ts), by the readers
 * that use the windows: croner stays out of the functions that do not.
 */
const recurringWindowSchema = v.strictObject(
  {
    cron: v.string('must be a cron expression such as "0 2 * * 0"'),
    duration: durationSchema(MAX_WINDOW_MS),
    timezone: v.optional(
      v.pipe(
        v.string('must be an IANA time zone such as "Europe/Berlin"'),
        v.check(isTimeZone, 'must be an IANA time zone such as "Europe/Berlin"'),
      ),
    ),
    reason: v.optional(printable(500)),
  },
  'must be an object',
);

const awsIds = (prefix: string, what: string, max: number) =>
  v.pipe(
    v.array(
      v.pipe(
        v.string('must be a string'),
        v.regex(
          new RegExp(`^${prefix}-[0-9a-f]{8}(?:[0-9a-f]{9})?$`),
          `must be a ${what} id such as ${prefix}-0abc1234def567890`,
        ),
      ),
      `must be a list of ${what} ids`,
    ),
    v.minLength(1, `must name at least one ${what}`),
    v.maxLength(max, `must name at most ${max} ${what}s`),
  );

/** A network of private subnets the probes of a group or an agent run from (the cloud's prober there). */
const probeNetworkSchema = v.strictObject(
  // Lambda attaches a function to at most 16 subnets and 5 security groups.
  { subnetIds: awsIds('subnet', 'subnet', 16), securityGroupIds: awsIds('sg', 'security group', 5) },
  'must be an object',
);

/** Recurring maintenance windows, which a group and a cluster each may set. */
const maintenanceEntries = {
  maintenance: v.optional(v.array(recurringWindowSchema, 'must be a list of maintenance windows')),
};

/** The config's windows, their durations read; a window without a time zone runs in UTC. */
function recurringWindows(
  raw: readonly v.InferOutput<typeof recurringWindowSchema>[] | undefined,
): readonly RecurringWindow[] {
  return (raw ?? []).map((w) => ({
    cron: w.cron,
    durationMs: parseDuration(w.duration)!,
    timezone: w.timezone ?? 'UTC',
    reason: w.reason,
  }));
}

const phoneNumber = v.pipe(
  v.string('must be a string'),
  v.regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 phone number such as +15555550100'),
);
const emailAddress = v.pipe(v.string('must be a string'), v.email('must be an email address'));

/** Phone numbers and email addresses to subscribe to a topic. */
const subscriptionsSchema = v.strictObject({
  sms: v.optional(v.array(phoneNumber, 'must be a list of phone numbers')),
  email: v.optional(v.array(emailAddress, 'must be a list of email addresses')),
});

/** Notification policy of a group: who hears of a page nobody acknowledges, and its daily SMS spend. */
const policyEntries = {
  /** Steps to other groups, each `after` the page went out unacknowledged; `after` grows step by step. */
  escalation: v.optional(
    v.array(
      v.strictObject(
        { after: durationSchema(7 * 86_400_000), group: v.string('must be the name of a configured group') },
        'must be an object',
      ),
      'must be a list of steps',
    ),
  ),
  /** Notices sent by SMS per UTC day; past it they go without SMS, and one SMS says so. */
  smsBudget: v.optional(v.strictObject({ perDay: wholeNumber(1, 100_000, ' notices') }, 'must be an object')),
};

const groupSchema = v.strictObject(
  {
    channels: v.pipe(
      v.array(
        v.picklist(CHANNELS, 'must be one of sms, email, webhook, console'),
        'must be a list of channels',
      ),
      v.minLength(1, 'must name at least one channel'),
    ),
    subscriptions: v.optional(subscriptionsSchema),
    /** Where the `webhook` channel posts: Slack, Teams, PagerDuty, Opsgenie, or our own JSON. */
    webhooks: v.optional(v.array(webhookSchema, 'must be a list of webhooks')),
    autoApprove: v.optional(v.boolean('must be true or false')),
    /** `changes` alert openings within `window` make one `flapping` alert; it resolves after `stableFor` healthy. */
    flapping: v.optional(flappingSchema),
    /** What a restart of one of its agents does: `record` an alert (the default), or `page` too. */
    onRestart: v.optional(v.picklist(ON_RESTART, 'must be record or page')),
    /** The probe network (`probeNetworks`) its agents' probes run from; the scanner's own network without it. */
    probeNetwork: v.optional(v.string('must be the name of a configured probe network')),
    ...thresholdEntries,
    ...policyEntries,
    ...maintenanceEntries,
  },
  'must be an object',
);

/** The definition of `heartbeat-watcher.config.json`; the committed JSON Schema is generated from it. */
export const configSchema = v.strictObject({
  $schema: v.optional(v.string('must be a string')),
  ...thresholdEntries,
  /** More than this fraction of monitored agents going silent in one scan looks like the watcher's own fault. */
  stormFraction: v.optional(
    v.pipe(
      v.number('must be a number'),
      v.minValue(0, 'must be at least 0'),
      v.maxValue(1, 'must be at most 1'),
    ),
  ),
  /** ...and at least this many agents. */
  stormMinAgents: v.optional(wholeNumber(1, 1_000_000, '')),
  /** The cloud API's stage throttling: steady requests per second and burst, for the whole fleet. */
  apiThrottle: v.optional(
    v.strictObject({
      rateLimit: v.optional(wholeNumber(1, 100_000, ' requests/s')),
      burstLimit: v.optional(wholeNumber(1, 100_000, ' requests')),
    }),
  ),
  /** How the agents table is billed in the cloud: on demand (the default), or provisioned with auto scaling. */
  capacity: v.optional(capacitySchema),
  /** Resolved alerts are kept this many days (DynamoDB TTL in the cloud). */
  resolvedAlertRetentionDays: v.optional(wholeNumber(1, 3_650, ' days')),
  /** Audit trail entries are kept this many days (DynamoDB TTL in the cloud). */
  auditRetentionDays: v.optional(wholeNumber(1, 3_650, ' days')),
  /** Clusters with a quorum: fewer than `minHealthy` members up pages one `cluster_down` to `group`. */
  clusters: v.optional(
    v.record(
      groupNameSchema,
      v.strictObject(
        {
          group: v.string('must be the name of a configured group'),
          minHealthy: wholeNumber(1, 10_000, ''),
          memberPages: v.optional(v.boolean('must be true or false')),
          ...maintenanceEntries,
        },
        'must be an object',
      ),
      'must be an object of clusters',
    ),
  ),
  /** Networks of private subnets to probe from: in the cloud, a prober function attached to each. */
  probeNetworks: v.optional(
    v.record(groupNameSchema, probeNetworkSchema, 'must be an object of probe networks'),
  ),
  /** Who the watcher's own CloudWatch alarms page, on a topic of their own (cloud only). */
  watcherAlarms: v.optional(v.strictObject({ subscriptions: v.optional(subscriptionsSchema) })),
  groups: v.pipe(
    v.record(groupNameSchema, groupSchema, 'must be an object of groups'),
    v.check((groups) => Object.keys(groups).length > 0, 'must define at least one group'),
  ),
});

export type RawConfig = v.InferOutput<typeof configSchema>;

/** What a config's top level takes for a value it leaves out. */
const TOP_DEFAULTS = {
  heartbeatIntervalSeconds: 30,
  scanIntervalSeconds: 30,
  missedScansBeforeAlert: 3,
  agentlessEveryNScans: 3,
  renotifyMinutes: 0,
  recoverAfterScans: 1,
  stormFraction: 0.5,
  stormMinAgents: 10,
  resolvedAlertRetentionDays: 30,
  auditRetentionDays: 365,
};

/** Built-in defaults: used when there is no config file. Its timings are those of {@link TOP_DEFAULTS}. */
export const DEFAULT_CONFIG: RawConfig = {
  heartbeatIntervalSeconds: TOP_DEFAULTS.heartbeatIntervalSeconds,
  scanIntervalSeconds: TOP_DEFAULTS.scanIntervalSeconds,
  missedScansBeforeAlert: TOP_DEFAULTS.missedScansBeforeAlert,
  groups: {
    production: { channels: ['sms', 'email'] },
    test: { channels: ['console'] },
  },
};

const PROBE_DEFAULTS: ProbeSettings = { attempts: 3, timeoutMs: 1000, intervalMs: 500 };

export interface ProbeSettings {
  readonly attempts: number;
  readonly timeoutMs: number;
  readonly intervalMs: number;
}

export interface Subscriptions {
  readonly sms: readonly string[];
  readonly email: readonly string[];
}

/** Everything one group runs with, its overrides applied over the top-level values. */
export interface GroupSettings {
  readonly name: string;
  readonly channels: readonly Channel[];
  readonly subscriptions: Subscriptions;
  /** What the `webhook` channel posts to (none without it). */
  readonly webhooks: readonly Webhook[];
  readonly autoApprove: boolean;
  readonly heartbeatIntervalSeconds: number;
  readonly scanIntervalSeconds: number;
  readonly missedScansBeforeAlert: number;
  readonly probe: ProbeSettings;
  readonly agentlessEveryNScans: number;
  readonly renotifyMinutes: number;
  /** Where an unacknowledged page goes next, in order (none when the group does not escalate). */
  readonly escalation: readonly EscalationStep[];
  /** Notices a day that may go by SMS; `undefined`: no budget. */
  readonly smsBudget?: { readonly perDay: number };
  /** Its recurring maintenance windows. */
  readonly maintenance: readonly RecurringWindow[];
  readonly recoverAfterScans: number;
  /** Off when absent. */
  readonly flapping?: FlappingSettings;
  readonly onRestart: OnRestart;
  /** The probe network its agents' probes run from; `undefined`: the scanner's own. */
  readonly probeNetwork?: string;
}

/** Where a probe network's prober runs: its subnets and security groups. */
export interface ProbeNetwork {
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

type Thresholds = Pick<
  GroupSettings,
  | 'heartbeatIntervalSeconds'
  | 'scanIntervalSeconds'
  | 'missedScansBeforeAlert'
  | 'probe'
  | 'agentlessEveryNScans'
  | 'renotifyMinutes'
  | 'recoverAfterScans'
>;

/**
 * Who the watcher's own alarms page (scanner errors, scans stopped, 5xx, throttles), on a topic apart
 * from every group's: `watcherAlarms.subscriptions` when the config lists them; else the production
 * group's emails; without a production group, the emails of every group that pages by email. Never
 * a fallback's phones: SMS share the account's spend limit, one of the things these alarms are for.
 */
export interface WatcherAlarmSettings {
  readonly subscriptions: Subscriptions;
  readonly source: 'watcherAlarms' | 'production' | 'paging groups';
}

export interface WatcherConfig extends Thresholds {
  readonly stormFraction: number;
  readonly stormMinAgents: number;
  readonly resolvedAlertRetentionDays: number;
  readonly auditRetentionDays: number;
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly capacity: Capacity;
  readonly groups: Readonly<Record<string, GroupSettings>>;
  readonly clusters: Readonly<Record<string, ClusterSettings>>;
  readonly probeNetworks: Readonly<Record<string, ProbeNetwork>>;
  readonly watcherAlarms: WatcherAlarmSettings;
}

const ALARM_SOURCES: Record<WatcherAlarmSettings['source'], string> = {
  watcherAlarms: 'watcherAlarms.subscriptions',
  production: "the production group's emails",
  'paging groups': 'the emails of the groups that page by email',
};

/** Whom the watcher's alarms reach, in words (`hbw config check`, the warning of `cdk synth`). */
export function watcherAlarmsReach({ subscriptions: { sms, email }, source }: WatcherAlarmSettings): string {
  const counted = (n: number, one: string, many: string) => (n === 0 ? [] : [`${n} ${n === 1 ? one : many}`]);
  const who = [
    ...counted(sms.length, 'phone', 'phones'),
    ...counted(email.length, 'email address', 'email addresses'),
  ];
  return who.length > 0
    ? `${who.join(' and ')}, from ${ALARM_SOURCES[source]}`
    : `nobody (${ALARM_SOURCES[source]}: none)`;
}

/**
 * What a valid config allows but its author likely did not mean, each naming the field: a group whose
 * heartbeat is longer than its scan interval, where a beating agent misses a scan between two of its
 * heartbeats and so shows `late` after nearly every one (its alert still waits for
 * `missedScansBeforeAlert`). `hbw config check` prints them; `cdk synth` gives them as warnings.
 */
export function configWarnings(config: Pick<WatcherConfig, 'groups'>): FieldProblem[] {
  return Object.values(config.groups)
    .filter((g) => g.heartbeatIntervalSeconds > g.scanIntervalSeconds)
    .map((g) => {
      const field = `groups.${g.name}.heartbeatIntervalSeconds`;
      return {
        field,
        message: `${field}: the heartbeat (${g.heartbeatIntervalSeconds} s) is longer than the scan interval (${g.scanIntervalSeconds} s), so a beating agent misses a scan between two heartbeats and shows late after nearly every one; set heartbeatIntervalSeconds to at most scanIntervalSeconds (a third of it is the usual: 10 s beats, 30 s scans)`,
      };
    });
}

function watcherAlarmSettings(
  own: { sms?: readonly string[]; email?: readonly string[] } | undefined,
  groups: Readonly<Record<string, GroupSettings>>,
): WatcherAlarmSettings {
  if (own) return { subscriptions: { sms: own.sms ?? [], email: own.email ?? [] }, source: 'watcherAlarms' };
  const production = configuredGroup({ groups }, 'production');
  if (production)
    return { subscriptions: { sms: [], email: production.subscriptions.email }, source: 'production' };
  const email = [...new Set(Object.values(groups).flatMap((g) => g.subscriptions.email))];
  return { subscriptions: { sms: [], email }, source: 'paging groups' };
}

type ThresholdInput = {
  [K in keyof Thresholds]?: K extends 'probe' ? Partial<ProbeSettings> : Thresholds[K];
};

/** `own` over `base`, field by field (the probe settings too). */
function resolveThresholds(own: ThresholdInput, base: Thresholds): Thresholds {
  return {
    heartbeatIntervalSeconds: own.heartbeatIntervalSeconds ?? base.heartbeatIntervalSeconds,
    scanIntervalSeconds: own.scanIntervalSeconds ?? base.scanIntervalSeconds,
    missedScansBeforeAlert: own.missedScansBeforeAlert ?? base.missedScansBeforeAlert,
    probe: { ...base.probe, ...own.probe },
    agentlessEveryNScans: own.agentlessEveryNScans ?? base.agentlessEveryNScans,
    renotifyMinutes: own.renotifyMinutes ?? base.renotifyMinutes,
    recoverAfterScans: own.recoverAfterScans ?? base.recoverAfterScans,
  };
}

/** Keys valibot's `record` drops without a word, so a group of that name would vanish. */
const HIDDEN_KEYS = ['__proto__', 'prototype', 'constructor'];

export const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/** valibot's `record` also takes a list for an object (its items become groups "0", "1"...): refuse both. */
function whatRecordHides(records: unknown, key: 'groups' | 'clusters' | 'probeNetworks'): FieldProblem[] {
  const what = key === 'probeNetworks' ? 'probe networks' : key;
  if (Array.isArray(records)) return [{ field: key, message: `${key}: must be an object of ${what}` }];
  if (!isObject(records)) return [];
  return HIDDEN_KEYS.filter((name) => Object.hasOwn(records, name)).map((name) => ({
    field: `${key}.${name}`,
    message: `${key}.${name}: is a reserved name; pick another`,
  }));
}

/** A cluster pages through a group of the config. */
function unknownClusterGroups(clusters: unknown, groups: unknown): FieldProblem[] {
  if (!isObject(clusters) || Array.isArray(clusters)) return [];
  const known = isObject(groups) && !Array.isArray(groups) ? Object.keys(groups) : [];
  const problems: FieldProblem[] = [];
  for (const [name, c] of Object.entries(clusters)) {
    if (!isObject(c) || typeof c.group !== 'string' || known.includes(c.group)) continue;
    const field = `clusters.${name}.group`;
    problems.push({
      field,
      message: `${field}: unknown group "${c.group}" (configured: ${known.join(', ')})`,
    });
  }
  return problems;
}

/** The names of the probe networks a document defines (none when it defines them wrong). */
export function probeNetworkNames(raw: unknown): string[] {
  const networks = isObject(raw) ? raw.probeNetworks : undefined;
  return isObject(networks) && !Array.isArray(networks) ? Object.keys(networks) : [];
}

/** `field: unknown probe network "x" (configured: ...)`, for a name `known` does not hold. */
export function unknownProbeNetworkMessage(field: string, name: string, known: readonly string[]): string {
  const configured =
    known.length > 0 ? `configured: ${known.join(', ')}` : 'the config defines no probeNetworks';
  return `${field}: unknown probe network "${name}" (${configured})`;
}

/** A group probes from a network of the config. */
function unknownGroupNetworks(raw: unknown): FieldProblem[] {
  const groups = isObject(raw) ? raw.groups : undefined;
  if (!isObject(groups) || Array.isArray(groups)) return [];
  const known = probeNetworkNames(raw);
  const problems: FieldProblem[] = [];
  for (const [name, g] of Object.entries(groups)) {
    if (!isObject(g) || typeof g.probeNetwork !== 'string' || known.includes(g.probeNetwork)) continue;
    const field = `groups.${name}.probeNetwork`;
    problems.push({ field, message: unknownProbeNetworkMessage(field, g.probeNetwork, known) });
  }
  return problems;
}

/** Subscribers of a channel the group does not page on would never hear from it. */
function unpagedSubscribers(groups: unknown): FieldProblem[] {
  if (!isObject(groups) || Array.isArray(groups)) return [];
  const problems: FieldProblem[] = [];
  for (const [name, g] of Object.entries(groups)) {
    if (!isObject(g) || !Array.isArray(g.channels) || !isObject(g.subscriptions)) continue;
    for (const channel of ['sms', 'email'] as const) {
      const listed = g.subscriptions[channel];
      if (Array.isArray(listed) && listed.length > 0 && !g.channels.includes(channel)) {
        const field = `groups.${name}.subscriptions.${channel}`;
        problems.push({
          field,
          message: `${field}: the group has no ${channel} channel, so these subscribers would never be paged`,
        });
      }
    }
  }
  return problems;
}

/**
 * Validates a parsed config document and resolves every group's settings. Throws a
 * {@link ValidationError} that lists every problem of the document, each message starting with the
 * field at fault; `more` adds the problems of a stricter reader (the cloud's), listed with them.
 */
export function parseConfig(
  raw: unknown,
  more: (raw: unknown) => readonly FieldProblem[] = () => [],
): WatcherConfig {
  const doc = checkedConfig(raw, more);
  const top = resolveThresholds(doc, { ...TOP_DEFAULTS, probe: PROBE_DEFAULTS });
  const groups: Record<string, GroupSettings> = {};
  for (const [name, g] of Object.entries(doc.groups)) {
    groups[name] = {
      name,
      channels: [...new Set(g.channels)],
      subscriptions: { sms: g.subscriptions?.sms ?? [], email: g.subscriptions?.email ?? [] },
      webhooks: webhookSettings(g.webhooks),
      autoApprove: g.autoApprove ?? false,
      ...resolveThresholds(g, top),
      escalation: escalationSteps(g.escalation),
      smsBudget: g.smsBudget,
      maintenance: recurringWindows(g.maintenance),
      ...(g.flapping ? { flapping: flappingSettings(g.flapping) } : {}),
      onRestart: g.onRestart ?? 'record',
      ...(g.probeNetwork ? { probeNetwork: g.probeNetwork } : {}),
    };
  }
  return {
    ...top,
    stormFraction: doc.stormFraction ?? TOP_DEFAULTS.stormFraction,
    stormMinAgents: doc.stormMinAgents ?? TOP_DEFAULTS.stormMinAgents,
    resolvedAlertRetentionDays: doc.resolvedAlertRetentionDays ?? TOP_DEFAULTS.resolvedAlertRetentionDays,
    auditRetentionDays: doc.auditRetentionDays ?? TOP_DEFAULTS.auditRetentionDays,
    // 1,000/s holds 30,000 agents at a 30 s heartbeat; relays divide that by up to 100.
    capacity: capacityOf(doc.capacity),
    apiThrottle: {
      rateLimit: doc.apiThrottle?.rateLimit ?? 1000,
      burstLimit: doc.apiThrottle?.burstLimit ?? 2000,
    },
    groups,
    clusters: Object.fromEntries(
      Object.entries(doc.clusters ?? {}).map(([name, c]) => [
        name,
        {
          name,
          group: c.group,
          minHealthy: c.minHealthy,
          memberPages: c.memberPages ?? true,
          maintenance: recurringWindows(c.maintenance),
        },
      ]),
    ),
    probeNetworks: doc.probeNetworks ?? {},
    watcherAlarms: watcherAlarmSettings(doc.watcherAlarms?.subscriptions, groups),
  };
}

/** The config document `raw` as its schema reads it, or a {@link ValidationError} with every problem of it. */
function checkedConfig(raw: unknown, more: (raw: unknown) => readonly FieldProblem[]): RawConfig {
  const rawGroups = isObject(raw) ? raw.groups : undefined;
  const rawClusters = isObject(raw) ? raw.clusters : undefined;
  const rawNetworks = isObject(raw) ? raw.probeNetworks : undefined;
  const hidden = [
    ...whatRecordHides(rawGroups, 'groups'),
    ...whatRecordHides(rawClusters, 'clusters'),
    ...whatRecordHides(rawNetworks, 'probeNetworks'),
  ];
  const checked = checkInput(configSchema, raw, { subject: 'config' });
  // A secret written inline is said as such (webhookProblems), not as an unknown field.
  const secrets = inlineSecretFields(rawGroups);
  const problems = [
    ...hidden,
    // A list of groups (or clusters) is said once, not item by item as the record read it.
    ...(checked.ok ? [] : checked.problems).filter(
      (p) =>
        !(Array.isArray(rawGroups) && /^groups(?:$|[.[])/.test(p.field ?? '')) &&
        !(Array.isArray(rawClusters) && /^clusters(?:$|[.[])/.test(p.field ?? '')) &&
        !(Array.isArray(rawNetworks) && /^probeNetworks(?:$|[.[])/.test(p.field ?? '')) &&
        !secrets.has(p.field ?? ''),
    ),
    ...webhookProblems(rawGroups),
    ...unpagedSubscribers(rawGroups),
    ...unknownClusterGroups(rawClusters, rawGroups),
    ...unknownGroupNetworks(raw),
    ...escalationProblems(rawGroups),
    ...smsBudgetProblems(rawGroups),
    ...more(raw),
  ];
  if (!checked.ok || problems.length > 0)
    throw ValidationError.of(problems as [FieldProblem, ...FieldProblem[]]);
  return checked.output;
}

/** The settings of `group`, or a {@link ValidationError} naming `field` when no such group is configured. */
export function groupSettings(config: WatcherConfig, group: string, field = 'group'): GroupSettings {
  const settings = configuredGroup(config, group);
  if (!settings) throw unknownGroupError(group, config.groups, field);
  return settings;
}

/**
 * The settings an existing agent runs with. An agent whose group was since removed from the config
 * keeps being watched with the top-level thresholds and is only recorded (console), never paged.
 */
export function settingsFor(config: WatcherConfig, group: string): GroupSettings {
  return (
    configuredGroup(config, group) ?? {
      name: group,
      channels: ['console'],
      subscriptions: { sms: [], email: [] },
      webhooks: [],
      autoApprove: false,
      ...resolveThresholds({}, config),
      escalation: [],
      maintenance: [],
      onRestart: 'record',
    }
  );
}

/** The configured group of that name; not one of an object's own built-in keys. */
function configuredGroup(config: Pick<WatcherConfig, 'groups'>, group: string): GroupSettings | undefined {
  return Object.hasOwn(config.groups, group) ? config.groups[group] : undefined;
}
