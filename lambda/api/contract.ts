import * as v from 'valibot';
import { AGENT_STATES, type AgentState } from '../domain/agent-states';
import { ALERT_KINDS, ALERT_STATUSES, NOTICE_STATES, RESOLUTIONS, SEVERITIES } from '../domain/alert';
import { AUDIT_ACTIONS, auditQuerySchema } from '../domain/audit';
import { CHANNELS } from '../domain/channels';
import { ESCALATION_STATES } from '../domain/escalation';
import { SUPPRESSION_REASONS } from '../domain/mute';
import { agentListQuerySchema, alertIdSchema, alertListQuerySchema } from '../domain/queries';
import {
  ackSchema,
  addAgentSchema,
  batchItemSchema,
  changeAgentSchema,
  heartbeatSchema,
  MAX_BATCH,
  maintenanceSchema,
  probeSchema,
  registerSchema,
  removeAgentQuerySchema,
} from '../domain/requests';
import { ON_RESTART } from '../domain/restart';
import { agentIdSchema, groupNameSchema, nameSchema } from '../domain/validation';

// The HTTP API, described once: every route with what it takes (path and query parameters, body)
// and what it answers, by status. The service's answers are typed from these schemas, the clients
// (the CLI, the console, the agent, the relay, the console's proxy) import their types from here,
// the OpenAPI document (./openapi.ts) is generated from them, and the tests hold every answer of
// their watchers, relays and console proxies to them. Only valibot and the request schemas at run time: a module that
// needs a type alone imports it with `import type`, which costs a bundle nothing.

// ---- Pieces of answers ---------------------------------------------------------------------------

const time = v.pipe(v.string(), v.isoTimestamp());
const whole = v.pipe(v.number(), v.integer());
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const agentState = v.picklist(AGENT_STATES);
const channels = v.array(v.picklist(CHANNELS));

/** The `error` of every answer that is not a success; `field` names the field at fault, where one is. */
export const errorBodySchema = v.object({
  code: v.string(),
  message: v.string(),
  field: v.optional(v.string()),
  /** `has_children`: every agent that names this one as its parent. */
  children: v.optional(v.array(v.string())),
});
export type ErrorBody = v.InferOutput<typeof errorBodySchema>;

/** What every answer but a success carries. */
export const errorAnswerSchema = v.object({ error: errorBodySchema });
export type ErrorAnswer = v.InferOutput<typeof errorAnswerSchema>;

/**
 * What API Gateway answers itself in the cloud, before any function runs: an unsigned or refused
 * admin call (403, `{"message": "Forbidden"}` or a longer reason) and a call over the stage's
 * throttling limits (429, `{"message": "Too Many Requests"}`).
 */
export const gatewayMessageSchema = v.object({ message: v.string() });

/** The agent as the API shows it: RFC 3339 times, never its token or the token's hash. */
export const agentViewSchema = v.object({
  agentId: v.string(),
  group: v.string(),
  cluster: v.optional(v.string()),
  approval: v.picklist(['approved', 'pending', 'rejected']),
  state: agentState,
  lastHeartbeatAt: v.optional(time),
  missedScans: count,
  /** Seconds the agent's clock is ahead of the watcher's (negative: behind), at its last heartbeat. */
  clockSkewSeconds: v.optional(whole),
  clockSkewWarning: v.boolean(),
  endpoint: v.optional(v.string()),
  /** The maintenance window the agent is inside (its own, its group's or its cluster's). */
  maintenanceUntil: v.optional(time),
  maintenanceReason: v.optional(v.string()),
  createdAt: time,
  lastSentAt: v.optional(time),
  seq: v.optional(count),
  bootId: v.optional(v.string()),
  version: v.optional(v.string()),
  agentless: v.optional(v.literal(true)),
  probe: v.optional(probeSchema),
  /** The probe network its probe runs from, when it names its own (its group's otherwise). */
  probeNetwork: v.optional(v.string()),
  parent: v.optional(v.string()),
  /** An open `flapping` alert stands for it: its own pages and recoveries are held. */
  flapping: v.optional(v.literal(true)),
  awayUntil: v.optional(time),
  awayReason: v.optional(v.string()),
  restarts: count,
  lastRestartAt: v.optional(time),
  lostHeartbeats: v.optional(count),
  lossLastHourPercent: v.optional(v.number()),
  heartbeatIntervalSeconds: whole,
});
export type AgentView = v.InferOutput<typeof agentViewSchema>;

const noticeState = v.picklist(NOTICE_STATES);

/** The alert as the API shows it. */
export const alertViewSchema = v.object({
  alertId: v.string(),
  agentId: v.string(),
  group: v.string(),
  cluster: v.optional(v.string()),
  kind: v.picklist(ALERT_KINDS),
  /** Every verdict of the incident, oldest first. */
  kindHistory: v.array(v.object({ kind: v.picklist(ALERT_KINDS), at: time })),
  severity: v.picklist(SEVERITIES),
  status: v.picklist(ALERT_STATUSES),
  openedAt: time,
  resolvedAt: v.optional(time),
  resolution: v.optional(v.picklist(RESOLUTIONS)),
  acknowledgedAt: v.optional(time),
  acknowledgedBy: v.optional(v.string()),
  note: v.optional(v.string()),
  channels,
  notifiedAt: v.optional(time),
  pagedAt: v.optional(time),
  recoveryNotifiedAt: v.optional(time),
  /** For a group that pages: where its opening, its recovery and each escalation step stand. */
  delivery: v.optional(
    v.object({
      opening: noticeState,
      recovery: noticeState,
      /** A group with webhooks: where the acknowledgement's notice to them stands. */
      acknowledgement: v.optional(noticeState),
      /**
       * An opening or a recovery that reached some of its channels and not others: where what it
       * still owes those channels stands, and which they are.
       */
      openingRest: v.optional(v.object({ state: noticeState, channels })),
      recoveryRest: v.optional(v.object({ state: noticeState, channels })),
      escalations: v.optional(
        v.array(
          v.object({
            group: v.string(),
            after: v.string(),
            state: v.picklist(ESCALATION_STATES),
            sentAt: v.optional(time),
            error: v.optional(v.string()),
          }),
        ),
      ),
    }),
  ),
  /** Why its page is held (or why its page or recovery never went out), by what, since when. */
  suppressed: v.optional(v.object({ reason: v.picklist(SUPPRESSION_REASONS), by: v.string(), since: time })),
  lastDeliveryError: v.optional(v.string()),
  /** What the scanner saw, in words. */
  detail: v.string(),
  missedScans: v.optional(count),
  /** The agents a `network_event` or a `cluster_down` speaks of. */
  agentIds: v.optional(v.array(v.string())),
});
export type AlertView = v.InferOutput<typeof alertViewSchema>;

const windowViewSchema = v.object({
  start: time,
  until: time,
  reason: v.optional(v.string()),
  /** Whose window it is: the agent, the group, the cluster, or the recurring window of the config. */
  by: v.string(),
});

/** A group's or cluster's maintenance windows: the one in effect (null outside one) and the next ones. */
export const scopeMaintenanceSchema = v.object({
  current: v.nullable(windowViewSchema),
  next: v.array(windowViewSchema),
});
export type ScopeMaintenance = v.InferOutput<typeof scopeMaintenanceSchema>;

const groupMaintenanceAnswerSchema = v.object({ group: v.string(), maintenance: scopeMaintenanceSchema });
const clusterMaintenanceAnswerSchema = v.object({ cluster: v.string(), maintenance: scopeMaintenanceSchema });

/** A recurring window as the config writes it. */
const recurringWindowSchema = v.object({
  cron: v.string(),
  duration: v.string(),
  timezone: v.string(),
  reason: v.optional(v.string()),
});

/** The settings the watcher runs with: no subscriber addresses, no secrets. */
const configInEffectSchema = v.object({
  scanTickSeconds: whole,
  stormFraction: v.number(),
  stormMinAgents: whole,
  resolvedAlertRetentionDays: whole,
  auditRetentionDays: whole,
  groups: v.record(
    v.string(),
    v.object({
      channels,
      autoApprove: v.boolean(),
      heartbeatIntervalSeconds: whole,
      scanIntervalSeconds: whole,
      missedScansBeforeAlert: whole,
      renotifyMinutes: v.number(),
      agentlessEveryNScans: whole,
      recoverAfterScans: whole,
      onRestart: v.picklist(ON_RESTART),
      maintenance: v.optional(v.array(recurringWindowSchema)),
      flapping: v.optional(v.object({ changes: whole, window: v.string(), stableFor: v.string() })),
      escalation: v.optional(v.array(v.object({ after: v.string(), group: v.string() }))),
      smsBudget: v.optional(v.object({ perDay: whole })),
    }),
  ),
  clusters: v.record(
    v.string(),
    v.object({
      group: v.string(),
      minHealthy: whole,
      memberPages: v.boolean(),
      maintenance: v.optional(v.array(recurringWindowSchema)),
    }),
  ),
});

/** A count of agents for every state. */
const stateCountsSchema = v.object(
  Object.fromEntries(AGENT_STATES.map((state) => [state, count])) as Record<AgentState, typeof count>,
);

/** `GET /v1/status`. */
export const statusAnswerSchema = v.object({
  version: v.string(),
  serverTime: time,
  lastScanAt: v.nullable(time),
  /** The time of the scan the counts are from: null until a scan recorded them. */
  countsAt: v.nullable(time),
  agents: v.nullable(count),
  openAlerts: v.nullable(count),
  /** Agents by group and state, every configured group and every state listed. */
  groups: v.record(v.string(), stateCountsSchema),
  /** The groups with an SMS budget: what they spent in the current UTC day. */
  smsBudget: v.optional(
    v.record(
      v.string(),
      v.object({ day: v.string(), perDay: whole, spentToday: count, reachedAt: v.optional(time) }),
    ),
  ),
  maintenance: v.object({
    groups: v.record(v.string(), scopeMaintenanceSchema),
    clusters: v.record(v.string(), scopeMaintenanceSchema),
  }),
  config: configInEffectSchema,
});
export type StatusAnswer = v.InferOutput<typeof statusAnswerSchema>;

/** The answer to one heartbeat. */
export const heartbeatAnswerSchema = v.object({
  agentId: v.string(),
  state: agentState,
  heartbeatIntervalSeconds: whole,
  /** How often the agent's group is scanned: a relay forwards at most one of its heartbeats per half of it. */
  scanIntervalSeconds: whole,
  serverTime: time,
  /** The heartbeat was older than the one stored (same boot, lower or equal `seq`): nothing changed. */
  duplicate: v.optional(v.literal(true)),
});
export type HeartbeatAnswerBody = v.InferOutput<typeof heartbeatAnswerSchema>;

/**
 * What a relay (`hbw agent relay`) answers an agent's heartbeat with, in the watcher's place: the
 * state the watcher last gave, or `relayed` (taken, not yet seen by the watcher), and the interval;
 * no scan interval. Not a route of the watcher's, so not in its document (the tests hold a relay's
 * answers to it beside the document's statuses for `POST /v1/heartbeat`).
 */
export const relayHeartbeatAnswerSchema = v.object({
  ...v.omit(heartbeatAnswerSchema, ['state', 'scanIntervalSeconds', 'duplicate']).entries,
  state: v.union([agentState, v.literal('relayed')]),
});
export type RelayHeartbeatAnswer = v.InferOutput<typeof relayHeartbeatAnswerSchema>;

/** What an agent is answered to a heartbeat: by the watcher, or by a relay in its place. */
export type AgentHeartbeatAnswer = HeartbeatAnswerBody | RelayHeartbeatAnswer;

export const BATCH_ITEM_STATUSES = [
  'ok',
  'pending',
  'invalid',
  'unauthorized',
  'rejected',
  'unavailable',
] as const;
export type BatchItemStatus = (typeof BATCH_ITEM_STATUSES)[number];

/** One item of a relay's batch, answered in order. */
export const batchItemResultSchema = v.object({
  /** null when the item had no agentId string. */
  agentId: v.nullable(v.string()),
  status: v.picklist(BATCH_ITEM_STATUSES),
  state: v.optional(agentState),
  /** The interval this agent should keep, for a relay to pass on. */
  heartbeatIntervalSeconds: v.optional(whole),
  /** Its group's scan interval, which paces a relay's forwarding. */
  scanIntervalSeconds: v.optional(whole),
  /** The item was older than what is stored: nothing changed. */
  duplicate: v.optional(v.literal(true)),
  /** `invalid`: what is wrong with the item. */
  error: v.optional(errorBodySchema),
});
export type BatchItemResult = v.InferOutput<typeof batchItemResultSchema>;

const batchAnswerSchema = v.object({ results: v.array(batchItemResultSchema) });

const tokenAnswerSchema = v.object({
  agentId: v.string(),
  /** The agent's token, shown this once; absent for an agentless entry. */
  token: v.string(),
});

const registerAnswerSchema = v.object({
  agentId: v.string(),
  token: v.string(),
  approval: v.picklist(['approved', 'pending']),
});

const addAgentAnswerSchema = v.object({
  agentId: v.string(),
  /** The agent's token, shown this once; absent for an agentless entry. */
  token: v.optional(v.string()),
  approval: v.literal('approved'),
});

const agentPageSchema = v.object({
  agents: v.array(agentViewSchema),
  /** Pass it back as `cursor` for the next page; absent on the last. */
  cursor: v.optional(v.string()),
});

/** One entry as `GET /v1/audit` answers it. */
export const auditEntryViewSchema = v.object({
  id: v.string(),
  action: v.picklist(AUDIT_ACTIONS),
  target: v.string(),
  at: v.string(),
  by: v.string(),
  sourceIp: v.optional(v.string()),
  before: v.optional(v.record(v.string(), v.unknown())),
  after: v.optional(v.record(v.string(), v.unknown())),
});
export type AuditEntryView = v.InferOutput<typeof auditEntryViewSchema>;

/** The answer of `GET /v1/audit`: newest first; `cursor` goes on to the next page (absent on the last). */
export const auditAnswerSchema = v.object({
  entries: v.array(auditEntryViewSchema),
  cursor: v.optional(v.string()),
});
export type AuditAnswer = v.InferOutput<typeof auditAnswerSchema>;

// ---- The routes ----------------------------------------------------------------------------------

type Schema = v.GenericSchema;

/** One answer of a route: JSON of a schema, text of a content type, or nothing (204). */
export type RouteAnswer =
  | { readonly description: string; readonly json: Schema }
  | { readonly description: string; readonly text: string }
  | { readonly description: string; readonly empty: true };

/**
 * Who may call a route: `agent` routes check the agent's own token (or, register, its group's
 * enrollment key) and are open at the gateway; `open` routes hold nothing secret; `admin` routes need
 * the admin token in local mode and a SigV4 signature the gateway's IAM authorizer accepts in the cloud.
 */
export type Access = 'agent' | 'open' | 'admin';

/** The statuses a route's errors come with; each answers {@link errorAnswerSchema}. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415;

export interface Route {
  readonly summary: string;
  readonly access: Access;
  /** Served by `hbw local` alone: the cloud has no such route, and IAM grants nothing for it. */
  readonly localOnly?: true;
  /** How the caller proves who it is, besides the admin routes' own. */
  readonly credential?: 'agentToken' | 'enrollmentKey';
  /** Path parameters, by name: `{agentId}` in the path. */
  readonly params?: Readonly<Record<string, Schema>>;
  /** Query parameters: an object schema of strings (an empty parameter is taken as absent). */
  readonly query?: v.ObjectSchema<v.ObjectEntries, undefined>;
  /** The JSON body; `optional` when an empty body is taken as `{}`. */
  readonly body?: { readonly schema: Schema; readonly optional?: true };
  readonly answers: Readonly<Record<number, RouteAnswer>>;
  readonly errors: readonly ErrorStatus[];
}

const json = <S extends Schema>(description: string, schema: S) => ({ description, json: schema });
const text = (description: string, contentType: string) => ({ description, text: contentType });

const agentParam = { agentId: agentIdSchema };
const body = (schema: Schema) => ({ schema });

/** What a route that takes a JSON body may be refused for, besides its own errors. */
const BODY_ERRORS = [400, 413, 415] as const;
/** An admin route refused: no admin token, or (local mode) a call a browser made for another site. */
const ADMIN_ERRORS = [401, 403] as const;

/**
 * Every route, by `METHOD /path` (path parameters in braces). Adding a route is one entry here and its
 * handler in lambda/http (admin-routes.ts, installer-routes.ts, enrollment-routes.ts or
 * heartbeat-routes.ts); a test holds the two to each other.
 */
export const API_ROUTES = {
  'POST /v1/heartbeat': {
    summary: 'An agent says it is alive',
    access: 'agent',
    credential: 'agentToken',
    body: body(heartbeatSchema),
    answers: {
      200: json('Recorded: the agent is approved and watched', heartbeatAnswerSchema),
      202: json(
        'Recorded, but the agent waits for approval (pending) and is not watched',
        heartbeatAnswerSchema,
      ),
    },
    errors: [...BODY_ERRORS, 401, 403],
  },
  'POST /v1/heartbeats': {
    summary: "A relay's batch of heartbeats, each with its agent's own token, answered per item in order",
    access: 'agent',
    // The watcher reads each item on its own, so that a bad one fails alone: the route takes any list
    // of 1 to 100 items, and this is what each item should be.
    body: body(
      v.object({ heartbeats: v.pipe(v.array(batchItemSchema), v.minLength(1), v.maxLength(MAX_BATCH)) }),
    ),
    answers: { 200: json('One result per heartbeat, in order; a bad item fails alone', batchAnswerSchema) },
    errors: BODY_ERRORS,
  },
  'POST /v1/register': {
    summary: "An agent enrolls itself with its group's enrollment key",
    access: 'agent',
    credential: 'enrollmentKey',
    body: body(registerSchema),
    answers: { 201: json('Enrolled: its token, shown this once', registerAnswerSchema) },
    errors: [...BODY_ERRORS, 401, 409],
  },
  'GET /v1/install.sh': {
    summary: "The agent's installer for Linux and macOS, its endpoint this watcher",
    access: 'open',
    answers: { 200: text('A POSIX shell script', 'text/x-shellscript') },
    errors: [400],
  },
  'GET /v1/install.ps1': {
    summary: "The agent's installer for Windows, its endpoint this watcher",
    access: 'open',
    answers: { 200: text('A PowerShell script', 'text/plain') },
    errors: [400],
  },
  'GET /v1/openapi.json': {
    summary: 'This document',
    access: 'open',
    answers: {
      200: { description: 'The OpenAPI 3.1 document of the API', json: v.record(v.string(), v.unknown()) },
    },
    errors: [],
  },
  'GET /v1/status': {
    summary:
      'The fleet as the last scan counted it, the open alerts, the maintenance windows and the settings',
    access: 'admin',
    answers: { 200: json('The status', statusAnswerSchema) },
    errors: ADMIN_ERRORS,
  },
  'GET /v1/audit': {
    summary: 'One page of the audit trail: the admin changes that landed, newest first',
    access: 'admin',
    query: auditQuerySchema,
    answers: { 200: json('A page of audit entries', auditAnswerSchema) },
    errors: [400, ...ADMIN_ERRORS],
  },
  'GET /v1/agents': {
    summary: 'One page of agents, sorted by agent id within the page',
    access: 'admin',
    query: agentListQuerySchema,
    answers: { 200: json('A page of agents', agentPageSchema) },
    errors: [400, ...ADMIN_ERRORS],
  },
  'POST /v1/agents': {
    summary: 'Add an approved agent, or an agentless entry watched by its probe',
    access: 'admin',
    body: body(addAgentSchema),
    answers: { 201: json('Added', addAgentAnswerSchema) },
    errors: [...BODY_ERRORS, ...ADMIN_ERRORS, 409],
  },
  'GET /v1/agents/{agentId}': {
    summary: 'One agent',
    access: 'admin',
    params: agentParam,
    answers: { 200: json('The agent', agentViewSchema) },
    errors: [400, ...ADMIN_ERRORS, 404],
  },
  'PATCH /v1/agents/{agentId}': {
    summary: "Change an agent's group, cluster, parent, probe or probe network in place (null clears one)",
    access: 'admin',
    params: agentParam,
    body: body(changeAgentSchema),
    answers: { 200: json('The agent as changed', agentViewSchema) },
    errors: [...BODY_ERRORS, ...ADMIN_ERRORS, 404, 409],
  },
  'DELETE /v1/agents/{agentId}': {
    summary: 'Remove an agent; a parent of others only with force=true, which clears their parent',
    access: 'admin',
    params: agentParam,
    query: removeAgentQuerySchema,
    answers: { 204: { description: 'Removed', empty: true } },
    errors: [400, ...ADMIN_ERRORS, 404, 409],
  },
  'POST /v1/agents/{agentId}/approve': {
    summary: 'Approve a pending (or rejected) agent',
    access: 'admin',
    params: agentParam,
    answers: { 200: json('The agent', agentViewSchema) },
    errors: [400, ...ADMIN_ERRORS, 404],
  },
  'POST /v1/agents/{agentId}/reject': {
    summary: 'Reject an agent: its heartbeats are refused (403) until it is approved',
    access: 'admin',
    params: agentParam,
    answers: { 200: json('The agent', agentViewSchema) },
    errors: [400, ...ADMIN_ERRORS, 404],
  },
  'POST /v1/agents/{agentId}/rotate-token': {
    summary: 'A new token for the agent; the old one stops working at once',
    access: 'admin',
    params: agentParam,
    answers: { 200: json('The new token, shown this once', tokenAnswerSchema) },
    errors: [400, ...ADMIN_ERRORS, 404],
  },
  'PUT /v1/agents/{agentId}/maintenance': {
    summary: "Start (or move) the agent's own maintenance window",
    access: 'admin',
    params: agentParam,
    body: body(maintenanceSchema),
    answers: { 200: json('The agent', agentViewSchema) },
    errors: [...BODY_ERRORS, ...ADMIN_ERRORS, 404],
  },
  'DELETE /v1/agents/{agentId}/maintenance': {
    summary: "End the agent's own maintenance window",
    access: 'admin',
    params: agentParam,
    answers: { 200: json('The agent', agentViewSchema) },
    errors: [400, ...ADMIN_ERRORS, 404],
  },
  'GET /v1/alerts': {
    summary: 'Alerts, newest first (the open ones unless status says otherwise)',
    access: 'admin',
    query: alertListQuerySchema,
    answers: { 200: json('The alerts', v.object({ alerts: v.array(alertViewSchema) })) },
    errors: [400, ...ADMIN_ERRORS],
  },
  'POST /v1/alerts/{alertId}/ack': {
    summary: 'Acknowledge an alert: the first acknowledgement stands, reminders and escalation stop',
    access: 'admin',
    params: { alertId: alertIdSchema },
    body: { schema: ackSchema, optional: true },
    answers: { 200: json('The alert', alertViewSchema) },
    errors: [...BODY_ERRORS, ...ADMIN_ERRORS, 404],
  },
  'PUT /v1/groups/{group}/maintenance': {
    summary: 'A one-off maintenance window for a whole group, in place of the one it had',
    access: 'admin',
    params: { group: groupNameSchema },
    body: body(maintenanceSchema),
    answers: { 200: json("The group's windows as they now stand", groupMaintenanceAnswerSchema) },
    errors: [...BODY_ERRORS, ...ADMIN_ERRORS],
  },
  'DELETE /v1/groups/{group}/maintenance': {
    summary: "End a group's one-off window; the recurring ones of the config stay",
    access: 'admin',
    params: { group: groupNameSchema },
    answers: { 200: json("The group's windows as they now stand", groupMaintenanceAnswerSchema) },
    errors: [400, ...ADMIN_ERRORS],
  },
  'PUT /v1/clusters/{cluster}/maintenance': {
    summary: 'A one-off maintenance window for a whole cluster, in place of the one it had',
    access: 'admin',
    params: { cluster: nameSchema(64) },
    body: body(maintenanceSchema),
    answers: { 200: json("The cluster's windows as they now stand", clusterMaintenanceAnswerSchema) },
    errors: [...BODY_ERRORS, ...ADMIN_ERRORS],
  },
  'DELETE /v1/clusters/{cluster}/maintenance': {
    summary: "End a cluster's one-off window; the recurring ones of the config stay",
    access: 'admin',
    params: { cluster: nameSchema(64) },
    answers: { 200: json("The cluster's windows as they now stand", clusterMaintenanceAnswerSchema) },
    errors: [400, ...ADMIN_ERRORS],
  },
  'POST /v1/groups/{group}/enrollment-key': {
    summary: 'A new enrollment key for the group; the old one stops working',
    access: 'admin',
    params: { group: groupNameSchema },
    answers: { 201: json('The key, shown this once', v.object({ group: v.string(), key: v.string() })) },
    errors: [400, ...ADMIN_ERRORS],
  },
  'GET /metrics': {
    summary: "Local mode's figures in the Prometheus text format (hbw local only)",
    access: 'admin',
    localOnly: true,
    answers: { 200: text('The metrics, in the Prometheus text exposition format 0.0.4', 'text/plain') },
    errors: ADMIN_ERRORS,
  },
} as const satisfies Readonly<Record<string, Route>>;

export type RouteKey = keyof typeof API_ROUTES;

/** What route `K` answers on success, as its clients read it. */
export type Answer<K extends RouteKey> = {
  [S in keyof (typeof API_ROUTES)[K]['answers']]: (typeof API_ROUTES)[K]['answers'][S] extends {
    json: infer X extends Schema;
  }
    ? v.InferOutput<X>
    : never;
}[keyof (typeof API_ROUTES)[K]['answers']];

export type GroupMaintenanceAnswer = Answer<'PUT /v1/groups/{group}/maintenance'>;
export type ClusterMaintenanceAnswer = Answer<'PUT /v1/clusters/{cluster}/maintenance'>;
export type AgentPage = Answer<'GET /v1/agents'>;

/** A route's method and path. */
export function routeParts(key: RouteKey): { method: string; path: string } {
  const [method, path] = key.split(' ') as [string, string];
  return { method, path };
}

/**
 * The admin routes as IAM sees them, which the roles' policies grant (lib/admin-policies.ts): a
 * method and a path, each path parameter a `*`. API Gateway checks a signed call against
 * `execute-api:Invoke` on `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path as called>`,
 * whatever route serves it (there, one `/v1/{proxy+}`).
 */
export const ADMIN_API_ROUTES: readonly (readonly [string, string])[] = (
  Object.keys(API_ROUTES) as RouteKey[]
)
  .filter((key) => {
    const route: Route = API_ROUTES[key];
    return route.access === 'admin' && route.localOnly !== true;
  })
  .map((key) => {
    const { method, path } = routeParts(key);
    return [method, path.replace(/\{[^}]+\}/g, '*')] as const;
  });

/** The paths of the routes that are not admin routes: no admin token, no IAM in front. */
export const OPEN_PATHS: readonly string[] = [
  ...new Set(
    (Object.keys(API_ROUTES) as RouteKey[])
      .filter((key) => API_ROUTES[key].access !== 'admin')
      .map((key) => routeParts(key).path),
  ),
];
