import * as v from 'valibot';
import type { AuditEntryView } from '../api/contract';
import type { AgentRecord } from './agent';
import type { AlertRecord } from './alert';
import type { FleetWindow, MaintenanceScope } from './maintenance';
import { PAGE_QUERY, type QueryOf } from './paging';
import { timestamp } from './requests';

// The audit trail: one entry for each admin change that landed, saying who made it, from where, and
// what the target looked like before and after. What an entry may show of a target is an allowlist
// (the projections below), so a field added to a record later stays out until it is named here.
//
// Secrets never enter it. The watcher's secrets are what lambda/domain/secrets.ts makes: the agents'
// tokens and the groups' enrollment keys, shown once and stored only as hashes. Neither the secret nor
// its hash is in any projection; rotate-token and enrollment-key entries say that the secret was
// replaced, and nothing of it. The admin token of local mode is never stored at all. Phone numbers and
// email addresses live in the config, which no admin route changes, so they never reach an entry.

export const AUDIT_ACTIONS = [
  'add',
  'set',
  'remove',
  'approve',
  'reject',
  'rotate-token',
  'maintenance-set',
  'maintenance-end',
  'acknowledge',
  'enrollment-key',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * Who made a call and from where, as the door in front of the service knows it: in the cloud the IAM
 * principal API Gateway authorized and the client's address; in local mode `local`.
 */
export interface Caller {
  readonly by: string;
  readonly sourceIp?: string;
}

/** The caller of a call made inside the local watcher's own process (and of local mode's door). */
export const LOCAL_CALLER: Caller = { by: 'local' };

/** A target's audited fields at one moment: plain JSON, times as RFC 3339 strings. */
export type AuditState = Readonly<Record<string, unknown>>;

/**
 * One entry as stored. `entryId` is the store's: `<at as RFC 3339>#<4 hex digits><96 random bits>`,
 * which sorts by time as text.
 */
export interface AuditEntry extends NewAuditEntry {
  readonly entryId: string;
}

/** An entry as the service makes it, before the store gives it its id. */
export interface NewAuditEntry {
  readonly action: AuditAction;
  readonly target: string;
  readonly at: number;
  readonly by: string;
  readonly sourceIp?: string;
  readonly before?: AuditState;
  readonly after?: AuditState;
}

const TARGET_KINDS = ['agent', 'group', 'cluster', 'alert'] as const;
type TargetKind = (typeof TARGET_KINDS)[number];

/** What an entry is about, kind and name: `agent:web-01`, `group:production`, `alert:<alertId>`. */
export const auditTarget = (kind: TargetKind | MaintenanceScope, name: string): string => `${kind}:${name}`;

const ENTRY_ID = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{4}[A-Za-z0-9_-]{16}$/;
const TARGET = /^(agent|group|cluster|alert):[A-Za-z0-9._:*-]{1,256}$/;
const TARGET_HINT = 'must be agent:<agentId>, group:<name>, cluster:<name> or alert:<alertId>';

export const auditTargetSchema = v.pipe(v.string('must be a string'), v.regex(TARGET, TARGET_HINT));

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** What an entry shows of an agent: what operators set, never its token hash or its heartbeats. */
export function agentAudit(agent: AgentRecord): AuditState {
  return {
    group: agent.group,
    cluster: agent.cluster,
    parent: agent.parent,
    probe: agent.probe,
    probeNetwork: agent.probeNetwork,
    agentless: agent.agentless,
    approval: agent.approval,
    maintenanceUntil: iso(agent.maintenanceUntil),
    maintenanceReason: agent.maintenanceReason,
  };
}

/** What an entry shows of a group's or cluster's one-off maintenance window. */
export function windowAudit(window: FleetWindow): AuditState {
  return { since: iso(window.since), until: iso(window.until), reason: window.reason };
}

/** What an entry shows of an alert: its acknowledgement. */
export function alertAudit(alert: AlertRecord): AuditState {
  return {
    status: alert.status,
    acknowledgedAt: iso(alert.acknowledgedAt),
    acknowledgedBy: alert.acknowledgedBy,
    note: alert.ackNote,
  };
}

/** Entries a page of `GET /v1/audit` reads when the caller gives no `limit`. */
export const AUDIT_PAGE_DEFAULT = 100;

/** The query of `GET /v1/audit`, as strings: an empty parameter is taken as absent. */
export const auditQuerySchema = v.object({
  since: v.optional(timestamp),
  target: v.optional(auditTargetSchema),
  ...PAGE_QUERY,
});
export type AuditQuery = QueryOf<typeof auditQuerySchema>;

/**
 * The cursor of `GET /v1/audit`: the entry its page ended after, with that entry's target (the key of
 * the table, and of its index, is the pair).
 */
export const auditCursorSchema = v.strictObject({
  after: v.pipe(v.string(), v.regex(ENTRY_ID)),
  target: v.pipe(v.string(), v.regex(TARGET)),
});
export type AuditCursor = v.InferOutput<typeof auditCursorSchema>;

/** An entry as the route answers it. */
export function auditEntryView(entry: AuditEntry): AuditEntryView {
  return {
    id: entry.entryId,
    action: entry.action,
    target: entry.target,
    at: new Date(entry.at).toISOString(),
    by: entry.by,
    sourceIp: entry.sourceIp,
    before: entry.before,
    after: entry.after,
  };
}
