import * as v from 'valibot';
import { agentIdSchema, groupNameSchema, nameSchema, parseOrThrow } from './validation';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether the date and hour of an RFC 3339 string exist (`Date.parse` rolls 02-30 and 24:00 over). */
function isCalendarTime(s: string): boolean {
  const year = Number(s.slice(0, 4));
  const month = Number(s.slice(5, 7));
  const day = Number(s.slice(8, 10));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  return days !== undefined && day >= 1 && day <= days && Number(s.slice(11, 13)) <= 23;
}

/** An RFC 3339 timestamp, parsed to epoch milliseconds. */
export const timestamp = v.pipe(
  v.string('must be an RFC 3339 time string'),
  v.regex(RFC3339, 'must be an RFC 3339 time such as 2026-01-31T12:00:00Z'),
  v.check(isCalendarTime, 'must be a real date and time'),
  v.transform((s) => Date.parse(s)),
  v.check((ms) => Number.isFinite(ms), 'must be a real date and time'),
);

export const printable = (max: number) =>
  v.pipe(
    v.string('must be a string'),
    v.minLength(1, 'must not be empty'),
    v.maxLength(max, `must be at most ${max} characters`),
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
    v.regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters'),
  );

/** The longest a planned restart may keep an agent away: a week. */
export const MAX_AWAY_SECONDS = 604_800;

/** A whole number of at least `min`, each way of missing it with its own message. */
const wholeNumber = (min: 0 | 1) =>
  v.pipe(
    v.number('must be a number'),
    v.safeInteger('must be a whole number'),
    v.minValue(min, min === 0 ? 'must not be negative' : 'must be at least 1'),
  );

/**
 * A heartbeat's `goodbye`: the agent is about to stop (a planned restart) and says when it will be
 * back. Unlike the heartbeat around it, it is strict: a misspelt `backInSeconds` must not pass as a
 * goodbye without an end.
 */
const goodbyeSchema = v.strictObject(
  {
    backInSeconds: v.pipe(
      v.number('must be a number'),
      v.integer('must be a whole number of seconds'),
      v.minValue(1, 'must be at least 1'),
      v.maxValue(MAX_AWAY_SECONDS, `must be at most ${MAX_AWAY_SECONDS} (7 days)`),
    ),
    reason: v.optional(printable(200)),
  },
  'must be an object with backInSeconds and an optional reason',
);

/** The fields of one heartbeat, shared by `POST /v1/heartbeat` and the items of `POST /v1/heartbeats`. */
const heartbeatEntries = {
  agentId: agentIdSchema,
  sentAt: v.optional(timestamp),
  /** When the agent's host (or the agent) started, by its own clock: it tells a restart's downtime. */
  bootedAt: v.optional(timestamp),
  goodbye: v.optional(goodbyeSchema),
  seq: v.optional(wholeNumber(0)),
  bootId: v.optional(nameSchema(128)),
  /**
   * How many heartbeats of its boot this one stands for, itself included: a relay that kept only
   * the newest of an agent's heartbeats while they waited says how many it kept it for, so that
   * they are not counted lost. 1 when absent.
   */
  coalesced: v.optional(wholeNumber(1)),
  /**
   * How long a relay held this heartbeat before it forwarded it (in ms): the watcher dates it that
   * much earlier, by at most half its shortest scan interval. It can only make an agent look older,
   * and so alert sooner, never hide a silence.
   */
  heldMs: v.optional(wholeNumber(0)),
  cluster: v.optional(nameSchema(64)),
  endpoint: v.optional(printable(2048)),
  version: v.optional(printable(64)),
};

/**
 * Heartbeat bodies are open: a field the watcher does not know is ignored (and named only when the
 * body is refused anyway and it looks like the typo of a missing field), so that an agent newer than
 * its watcher is never refused, and paged as silent, for a field it added. The bodies people type
 * for the admin routes and for registration are strict: an unknown field is refused, by name.
 */
export const heartbeatSchema = v.object(heartbeatEntries);
export type HeartbeatInput = v.InferOutput<typeof heartbeatSchema>;

export const MAX_BATCH = 100;

export const batchItemSchema = v.object({ ...heartbeatEntries, token: printable(512) });
export type BatchItemInput = v.InferOutput<typeof batchItemSchema>;

export const batchSchema = v.object({
  heartbeats: v.pipe(
    v.array(v.unknown(), 'must be a list of heartbeats'),
    v.minLength(1, 'must hold at least one heartbeat'),
    v.maxLength(MAX_BATCH, `must hold at most ${MAX_BATCH} heartbeats`),
  ),
});

export function parseBatchItem(item: unknown, index: number): BatchItemInput {
  return parseOrThrow(batchItemSchema, item, {
    prefix: `heartbeats[${index}]`,
    subject: `heartbeats[${index}]`,
  });
}

const tcpProbeSchema = v.strictObject({
  type: v.literal('tcp'),
  host: v.pipe(
    v.string('must be a string'),
    v.minLength(1, 'must not be empty'),
    v.maxLength(253, 'must be at most 253 characters'),
    v.regex(/^[A-Za-z0-9.:_-]+$/, 'must be a host name or an IP address'),
  ),
  port: v.pipe(
    v.number('must be a number'),
    v.integer('must be a whole number'),
    v.minValue(1, 'must be a port from 1 to 65535'),
    v.maxValue(65535, 'must be a port from 1 to 65535'),
  ),
});

const httpProbeSchema = v.strictObject({
  type: v.literal('http'),
  url: v.pipe(
    v.string('must be a string'),
    v.maxLength(2048, 'must be at most 2048 characters'),
    v.url('must be a URL'),
    v.regex(/^https?:\/\//i, 'must be an http:// or https:// URL'),
  ),
});

/** An EC2 instance id: `i-` and 8 hex digits (the old form) or 17 (today's). */
const EC2_INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
/** A hybrid managed node's id, which Systems Manager gives an on-premises server: `mi-` and 17 hex digits. */
const MANAGED_NODE_ID = /^mi-[0-9a-f]{17}$/;

const ec2ProbeSchema = v.strictObject({
  type: v.literal('ec2'),
  instanceId: v.pipe(
    v.string('must be a string'),
    v.regex(EC2_INSTANCE_ID, 'must be an EC2 instance id: i- and 8 or 17 lower-case hex digits'),
  ),
});

const ssmProbeSchema = v.strictObject({
  type: v.literal('ssm'),
  instanceId: v.pipe(
    v.string('must be a string'),
    v.check(
      (id) => EC2_INSTANCE_ID.test(id) || MANAGED_NODE_ID.test(id),
      'must be an EC2 instance id (i- and 8 or 17 lower-case hex digits) or a managed node id (mi- and 17)',
    ),
  ),
});

/** The probes a host's network answers: a TCP connect or an HTTP GET, from a network that reaches it. */
export const netProbeSchema = v.variant(
  'type',
  [tcpProbeSchema, httpProbeSchema],
  'must have "type" tcp or http',
);

/** The probes AWS answers from what it knows of an instance: EC2's status checks, the SSM Agent's ping. */
export const awsProbeSchema = v.variant(
  'type',
  [ec2ProbeSchema, ssmProbeSchema],
  'must have "type" ec2 or ssm',
);

export const probeSchema = v.variant(
  'type',
  [tcpProbeSchema, httpProbeSchema, ec2ProbeSchema, ssmProbeSchema],
  'must have "type" tcp, http, ec2 or ssm',
);

export const registerSchema = v.strictObject({
  agentId: agentIdSchema,
  group: groupNameSchema,
  cluster: v.optional(nameSchema(64)),
});

export const addAgentSchema = v.strictObject({
  agentId: agentIdSchema,
  group: groupNameSchema,
  cluster: v.optional(nameSchema(64)),
  probe: v.optional(probeSchema),
  agentless: v.optional(v.boolean('must be true or false')),
  parent: v.optional(agentIdSchema),
  probeNetwork: v.optional(groupNameSchema),
});

/** The fields `PATCH /v1/agents/{agentId}` may change. */
export const AGENT_CHANGE_FIELDS = ['group', 'cluster', 'parent', 'probe', 'probeNetwork'] as const;

/**
 * `PATCH /v1/agents/{agentId}`: the fields to change, at least one; `null` clears `cluster`, `parent`,
 * `probe` or `probeNetwork` (a group cannot be cleared). Any other field is refused, naming it: a typo must not pass
 * for a change that was made.
 */
export const changeAgentSchema = v.pipe(
  v.strictObject({
    group: v.optional(groupNameSchema),
    cluster: v.optional(v.nullable(nameSchema(64))),
    parent: v.optional(v.nullable(agentIdSchema)),
    probe: v.optional(v.nullable(probeSchema)),
    probeNetwork: v.optional(v.nullable(groupNameSchema)),
  }),
  v.check(
    (change) => Object.keys(change).length > 0,
    `names nothing to change; give at least one of ${AGENT_CHANGE_FIELDS.join(', ')}`,
  ),
);
export type AgentChangeInput = v.InferOutput<typeof changeAgentSchema>;

/** `DELETE /v1/agents/{agentId}?force=true`: remove a parent, clearing the parent of its children. */
export const removeAgentQuerySchema = v.object({
  force: v.optional(v.picklist(['true', 'false'], 'must be true or false')),
});

export const maintenanceSchema = v.strictObject({
  until: timestamp,
  reason: v.optional(printable(500)),
});

export const ackSchema = v.strictObject({
  by: v.optional(printable(128)),
  note: v.optional(printable(1000)),
});
