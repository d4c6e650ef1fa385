import * as v from 'valibot';
import type {
  AgentPage,
  AgentView,
  AlertView,
  Answer,
  AuditAnswer,
  ClusterMaintenanceAnswer,
  GroupMaintenanceAnswer,
  StatusAnswer,
} from './api/contract';
import { groupBy } from './collections';
import type { AgentRecord, Findings } from './domain/agent';
import { agentView } from './domain/agent';
import { alertView } from './domain/alert';
import {
  AUDIT_PAGE_DEFAULT,
  type AuditAction,
  type AuditQuery,
  type AuditState,
  agentAudit,
  alertAudit,
  auditCursorSchema,
  auditEntryView,
  auditQuerySchema,
  auditTarget,
  type Caller,
  LOCAL_CALLER,
  windowAudit,
} from './domain/audit';
import { groupSettings, settingsFor, unknownProbeNetworkMessage, type WatcherConfig } from './domain/config';
import { formatDuration } from './domain/duration';
import { enrollmentSettings } from './domain/enrollment-settings';
import { ConflictError, HasChildrenError, NotFoundError, ValidationError } from './domain/errors';
import { type FleetSummary, statusCounts } from './domain/fleet-summary';
import { heartbeatSettings, scanTickSeconds } from './domain/heartbeat-settings';
import {
  fleetMaintenance,
  MAX_ONE_OFF_MS,
  MaintenanceCalendar,
  type MaintenanceScope,
  maintenanceView,
  type RecurringWindow,
} from './domain/maintenance';
import {
  AGENT_PAGE_DEFAULT,
  agentCursorSchema,
  approvalFor,
  cursorRefused,
  decodeCursor,
  encodeCursor,
} from './domain/paging';
import {
  type AgentListQuery,
  agentListQuerySchema,
  alertIdSchema,
  alertListQuerySchema,
} from './domain/queries';
import {
  ackSchema,
  addAgentSchema,
  changeAgentSchema,
  maintenanceSchema,
  removeAgentQuerySchema,
} from './domain/requests';
import { hashSecret, newSecret } from './domain/secrets';
import { smsDay } from './domain/sms-budget';
import { parentLoop } from './domain/topology';
import { agentIdSchema, groupNameSchema, parseOrThrow } from './domain/validation';
import { HeartbeatService, type HeartbeatServiceDeps } from './heartbeats';
import type { AgentChange, AgentStore, AlertStore, AuditStore, WatcherStateStore } from './ports';
import { createAgent, Registration } from './registration';

export interface WatcherServiceDeps extends Omit<HeartbeatServiceDeps, 'settings'> {
  readonly config: WatcherConfig;
  readonly agents: AgentStore;
  readonly alerts: AlertStore;
  readonly state: WatcherStateStore;
  readonly audit: AuditStore;
  /** The watcher's version, shown by `GET /v1/status`. */
  readonly version: string;
}

/**
 * The use cases, one method each, over the ports: the heartbeats ({@link HeartbeatService}), the
 * agents' enrollment and the operators' calls. Every door (Lambda, local server, CLI) calls these.
 * Each operator's change takes its `caller` (who and from where, as the door knows it; a call made in
 * the watcher's own process is `local`) and, once it has landed, is recorded in the audit trail by
 * {@link WatcherService.record}: a change refused (400, 404, 409) records nothing.
 */
export class WatcherService extends HeartbeatService {
  protected override readonly deps: WatcherServiceDeps & HeartbeatServiceDeps;

  private readonly registration: Registration;

  constructor(deps: WatcherServiceDeps) {
    const all = { ...deps, settings: heartbeatSettings(deps.config) };
    super(all);
    this.deps = all;
    this.registration = new Registration({
      keys: deps.state,
      agents: deps.agents,
      clock: deps.clock,
      settings: enrollmentSettings(deps.config),
      log: this.log,
    });
  }

  /** `POST /v1/register`: an agent enrolls itself with its group's enrollment key ({@link Registration}). */
  register(enrollmentKey: string | undefined, body: unknown): Promise<Answer<'POST /v1/register'>> {
    return this.registration.register(enrollmentKey, body);
  }

  /** `POST /v1/agents`: an operator adds a pre-approved agent, or an agentless entry watched by its probe. */
  async addAgent(body: unknown, caller: Caller = LOCAL_CALLER): Promise<Answer<'POST /v1/agents'>> {
    const input = parseOrThrow(addAgentSchema, body);
    groupSettings(this.deps.config, input.group);
    if (input.agentless && !input.probe) throw agentlessNeedsProbe();
    if (input.probeNetwork !== undefined) this.checkProbeNetwork(input.probeNetwork);
    if (input.parent !== undefined) await this.checkParent(input.agentId, input.parent);
    const token = input.agentless ? undefined : newSecret('hbw_');
    const agent: AgentRecord = {
      agentId: input.agentId,
      group: input.group,
      cluster: input.cluster,
      approval: 'approved',
      tokenHash: token === undefined ? undefined : hashSecret(token),
      createdAt: this.deps.clock.now(),
      agentless: input.agentless ? true : undefined,
      probe: input.probe,
      parent: input.parent,
      probeNetwork: input.probeNetwork,
    };
    await createAgent(this.deps.agents, agent);
    await this.record(caller, 'add', auditTarget('agent', agent.agentId), { after: agentAudit(agent) });
    return { agentId: input.agentId, token, approval: 'approved' as const };
  }

  async getAgent(agentId: string): Promise<AgentView> {
    const agent = await this.existing(agentId);
    return this.view(agent, await this.findings());
  }

  /**
   * `GET /v1/agents`: one page, of one Scan of at most `limit` agents; the store filters by group,
   * cluster, parent and the approval a wanted state implies, and the state rule keeps the rest. Sorted
   * by agent id within the page; `cursor` goes on to the next page (absent on the last).
   */
  async listAgents(query: AgentListQuery): Promise<AgentPage> {
    const wanted = parseOrThrow(agentListQuerySchema, query, { subject: 'query' });
    const page = await this.deps.agents.page({
      limit: wanted.limit ?? AGENT_PAGE_DEFAULT,
      after: wanted.cursor === undefined ? undefined : decodeCursor(wanted.cursor, agentCursorSchema).after,
      group: wanted.group,
      cluster: wanted.cluster,
      parent: wanted.parent,
      approval: approvalFor(wanted.state),
      now: this.deps.clock.now(),
    });
    const findings = await this.findings();
    const agents = page.agents
      .map((agent) => this.view(agent, findings))
      .filter((view) => wanted.state === undefined || view.state === wanted.state)
      .sort((a, b) => a.agentId.localeCompare(b.agentId));
    return page.after === undefined ? { agents } : { agents, cursor: encodeCursor({ after: page.after }) };
  }

  /**
   * `PATCH /v1/agents/{agentId}`: changes its group, cluster, parent or probe in place, in one
   * conditional write of those fields alone; its token, heartbeat and alerts stay as they are.
   */
  async changeAgent(agentId: string, body: unknown, caller: Caller = LOCAL_CALLER): Promise<AgentView> {
    checkId(agentId);
    const change = parseOrThrow(changeAgentSchema, body);
    const agent = await this.existing(agentId);
    if (change.group !== undefined) groupSettings(this.deps.config, change.group);
    if (change.probe === null && agent.agentless) throw agentlessNeedsProbe();
    if (typeof change.probeNetwork === 'string') this.checkProbeNetwork(change.probeNetwork);
    if (typeof change.parent === 'string') await this.checkParent(agentId, change.parent);
    const outcome = await this.deps.agents.change(agentId, change);
    if ('current' in outcome) {
      // The agent was removed meanwhile, or removed and added again as an agentless entry.
      if (outcome.current === undefined) throw notFound(agentId);
      throw agentlessNeedsProbe();
    }
    if (typeof change.parent === 'string') await this.undoIfLoop(agent, change, change.parent);
    await this.recordAgent(caller, 'set', agent, outcome.written);
    return this.view(outcome.written, await this.findings());
  }

  /** Refuses a probe network the config does not define. */
  private checkProbeNetwork(network: string): void {
    if (Object.hasOwn(this.deps.config.probeNetworks, network)) return;
    const known = Object.keys(this.deps.config.probeNetworks);
    throw new ValidationError(unknownProbeNetworkMessage('probeNetwork', network, known), 'probeNetwork');
  }

  /**
   * Refuses a parent that is not an agent, or that would close a loop. Each ancestor is read on its
   * own (a GetItem per step), which is fine for an operator's call.
   */
  private async checkParent(agentId: string, parent: string): Promise<void> {
    const first = parent === agentId ? undefined : await this.deps.agents.get(parent);
    if (parent !== agentId && !first) {
      throw new ValidationError(`parent: no agent ${parent}`, 'parent');
    }
    const loop = await parentLoop(agentId, parent, async (id) =>
      id === parent ? first?.parent : (await this.deps.agents.get(id))?.parent,
    );
    if (loop) {
      throw new ValidationError(`parent: ${parent} would make a loop: ${loop.join(' -> ')}`, 'parent');
    }
  }

  /**
   * Two changes racing can pass {@link checkParent} and close a loop together: A.parent = B and
   * B.parent = A at once, each checked against the other's old value. DynamoDB has no condition
   * across items outside a transaction (and dynalite has no TransactWriteItems), so the chain is read
   * again after the write. Of the changes that close a loop, the last to write reads every link of it
   * (the reads are strongly consistent), so a loop never stays: that change is undone, field by field,
   * by a write that lands only while the parent is still the one it set, and is answered 409. Until
   * then the scanner's topology walk stops at the loop (`Topology.ancestors`), so it holds no page.
   */
  private async undoIfLoop(before: AgentRecord, change: AgentChange, parent: string): Promise<void> {
    const loop = await parentLoop(
      before.agentId,
      parent,
      async (id) => (await this.deps.agents.get(id))?.parent,
    );
    if (!loop) return;
    const undo: { -readonly [K in keyof AgentChange]: AgentChange[K] } = {};
    if (change.group !== undefined) undo.group = before.group;
    if (change.cluster !== undefined) undo.cluster = before.cluster ?? null;
    if (change.probe !== undefined) undo.probe = before.probe ?? null;
    if (change.probeNetwork !== undefined) undo.probeNetwork = before.probeNetwork ?? null;
    undo.parent = before.parent ?? null;
    await this.deps.agents.change(before.agentId, undo, parent);
    throw new ConflictError(
      `parent: a change made at the same moment closes a loop with this one: ${loop.join(' -> ')}; nothing was changed, try again`,
      'parent',
    );
  }

  /**
   * `DELETE /v1/agents/{agentId}`: refused (409 has_children) while other agents name it as their
   * parent, unless `force`, which first clears their parent, each with a conditional write (a child
   * given another parent meanwhile keeps it). An agent that takes this one as parent between the
   * check and the removal is left with a parent that is not an agent, which the scanner ignores.
   */
  async removeAgent(
    agentId: string,
    query: { force?: string } = {},
    caller: Caller = LOCAL_CALLER,
  ): Promise<void> {
    const { force } = parseOrThrow(removeAgentQuerySchema, query, { subject: 'query' });
    const agent = await this.existing(agentId);
    const children = await this.deps.agents.childrenOf(agentId);
    if (children.length > 0 && force !== 'true') throw new HasChildrenError(agentId, children);
    for (const child of children) {
      // Each child whose parent this clears is a change of its own: a `set` of that child.
      if (await this.deps.agents.clearParent(child, agentId))
        await this.record(caller, 'set', auditTarget('agent', child), {
          before: { parent: agentId },
          after: { parent: undefined },
        });
    }
    if (!(await this.deps.agents.remove(agentId))) throw notFound(agentId);
    await this.record(caller, 'remove', auditTarget('agent', agentId), { before: agentAudit(agent) });
  }

  async approve(agentId: string, caller: Caller = LOCAL_CALLER): Promise<AgentView> {
    return this.setApproval(agentId, 'approved', caller);
  }

  async reject(agentId: string, caller: Caller = LOCAL_CALLER): Promise<AgentView> {
    return this.setApproval(agentId, 'rejected', caller);
  }

  private async setApproval(
    agentId: string,
    approval: 'approved' | 'rejected',
    caller: Caller,
  ): Promise<AgentView> {
    const before = await this.existing(agentId);
    const agent = await this.deps.agents.setApproval(agentId, approval);
    if (!agent) throw notFound(agentId);
    await this.recordAgent(caller, approval === 'approved' ? 'approve' : 'reject', before, agent);
    return this.view(agent, await this.findings());
  }

  /** A new token for the agent; the old one stops working at once. */
  async rotateToken(
    agentId: string,
    caller: Caller = LOCAL_CALLER,
  ): Promise<Answer<'POST /v1/agents/{agentId}/rotate-token'>> {
    const agent = await this.existing(agentId);
    if (agent.agentless) {
      throw new ValidationError(`agent ${agentId} is agentless and has no token`, 'agentId', 'agentless');
    }
    const token = newSecret('hbw_');
    if (!(await this.deps.agents.replaceTokenHash(agentId, hashSecret(token)))) throw notFound(agentId);
    // The token is the change, and a secret: the entry says it was replaced, and nothing of it.
    await this.recordAgent(caller, 'rotate-token', agent, agent);
    return { agentId, token };
  }

  async startMaintenance(agentId: string, body: unknown, caller: Caller = LOCAL_CALLER): Promise<AgentView> {
    checkId(agentId);
    const input = parseOrThrow(maintenanceSchema, body);
    checkUntil(input.until, this.deps.clock.now());
    const before = await this.existing(agentId);
    const agent = await this.deps.agents.setMaintenance(agentId, input.until, input.reason);
    if (!agent) throw notFound(agentId);
    await this.recordAgent(caller, 'maintenance-set', before, agent);
    return this.view(agent, await this.findings());
  }

  async endMaintenance(agentId: string, caller: Caller = LOCAL_CALLER): Promise<AgentView> {
    const before = await this.existing(agentId);
    const agent = await this.deps.agents.setMaintenance(agentId);
    if (!agent) throw notFound(agentId);
    await this.recordAgent(caller, 'maintenance-end', before, agent);
    return this.view(agent, await this.findings());
  }

  /**
   * `PUT /v1/groups/{group}/maintenance` and `PUT /v1/clusters/{cluster}/maintenance`: a one-off
   * window for the whole group or cluster, in place of the one it had, until `until` (within 30 days).
   * Answers the windows of the group or cluster as they now stand.
   */
  async startFleetMaintenance(
    scope: MaintenanceScope,
    name: string,
    body: unknown,
    caller: Caller = LOCAL_CALLER,
  ): Promise<FleetAnswer> {
    this.checkScope(scope, name);
    const input = parseOrThrow(maintenanceSchema, body);
    const now = this.deps.clock.now();
    checkUntil(input.until, now, MAX_ONE_OFF_MS);
    const before = await this.oneOffWindow(scope, name);
    const window = { scope, name, since: now, until: input.until, reason: input.reason };
    await this.deps.state.putFleetWindow(window);
    await this.record(caller, 'maintenance-set', auditTarget(scope, name), {
      before: before && windowAudit(before),
      after: windowAudit(window),
    });
    return this.fleetView(scope, name);
  }

  /**
   * `DELETE` of the same: ends the one-off window; the recurring ones of the config stay. Ending a
   * window that was not there changes nothing, and records nothing.
   */
  async endFleetMaintenance(
    scope: MaintenanceScope,
    name: string,
    caller: Caller = LOCAL_CALLER,
  ): Promise<FleetAnswer> {
    this.checkScope(scope, name);
    const before = await this.oneOffWindow(scope, name);
    if (await this.deps.state.endFleetWindow(scope, name))
      await this.record(caller, 'maintenance-end', auditTarget(scope, name), {
        before: before && windowAudit(before),
      });
    return this.fleetView(scope, name);
  }

  /** The one-off window stored for a group or a cluster, if any. */
  private async oneOffWindow(scope: MaintenanceScope, name: string) {
    const names = scope === 'group' ? { groups: [name], clusters: [] } : { groups: [], clusters: [name] };
    return (await this.deps.state.fleetWindows(names)).find((w) => w.scope === scope && w.name === name);
  }

  /** A group or a cluster of the config; an unknown one is a 400 naming the path's field. */
  private checkScope(scope: MaintenanceScope, name: string): void {
    parseOrThrow(v.object({ [scope]: groupNameSchema }), { [scope]: name }, { subject: 'path' });
    if (scope === 'group') groupSettings(this.deps.config, name);
    else if (!Object.hasOwn(this.deps.config.clusters, name)) {
      const known = Object.keys(this.deps.config.clusters);
      throw new ValidationError(
        `cluster: unknown cluster "${name}" (configured: ${known.length > 0 ? known.join(', ') : 'none'})`,
        'cluster',
        'unknown_cluster',
      );
    }
  }

  private async fleetView(scope: MaintenanceScope, name: string): Promise<FleetAnswer> {
    const { calendar } = await this.findings();
    const maintenance = maintenanceView(calendar.scope(scope, name));
    return scope === 'group' ? { group: name, maintenance } : { cluster: name, maintenance };
  }

  /** A new enrollment key for `group`; the old one stops working. */
  async newEnrollmentKey(
    group: string,
    caller: Caller = LOCAL_CALLER,
  ): Promise<Answer<'POST /v1/groups/{group}/enrollment-key'>> {
    parseOrThrow(v.object({ group: groupNameSchema }), { group }, { subject: 'path' });
    groupSettings(this.deps.config, group);
    const key = newSecret('hbwk_');
    await this.deps.state.putEnrollmentKeyHash(group, hashSecret(key), this.deps.clock.now());
    // The key is the change, and a secret: the entry says a new one was made, and nothing of it.
    await this.record(caller, 'enrollment-key', auditTarget('group', group), {});
    return { group, key };
  }

  /**
   * `GET /v1/status`: one read, of the scanner's progress, which holds what its last completed scan
   * found of the fleet. The counts, the open alerts, the one-off maintenance windows and the SMS
   * spent are as of that scan (`countsAt`); before any scan recorded them, the counts are `null`
   * and the groups all zero, so that no call reads the agents table.
   */
  async status(): Promise<StatusAnswer> {
    const now = this.deps.clock.now();
    const { config } = this.deps;
    const scanner = await this.deps.state.getScannerState();
    const { fleet, lastScanAt } = scanner;
    const counted = statusCounts(fleet ?? { groups: {} }, Object.keys(config.groups));
    const calendar = new MaintenanceCalendar(config, fleet?.windows ?? [], now);
    const smsBudget = fleet ? smsBudgetToday(config, fleet.sms, now) : {};
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    return {
      version: this.deps.version,
      serverTime: new Date(now).toISOString(),
      lastScanAt: iso(lastScanAt),
      /** The time of the scan the counts are from: null until a scan recorded them. */
      countsAt: fleet ? iso(lastScanAt) : null,
      agents: fleet ? counted.agents : null,
      openAlerts: fleet ? fleet.openAlerts : null,
      groups: counted.groups,
      ...(Object.keys(smsBudget).length > 0 ? { smsBudget } : {}),
      maintenance: fleetMaintenance(calendar, config),
      config: configInEffect(config),
    };
  }

  /** `GET /v1/alerts`: newest first, open ones from the open queue, others from the whole table. */
  async listAlerts(filter: { status?: string; group?: string; agentId?: string }): Promise<AlertView[]> {
    const wanted = parseOrThrow(alertListQuerySchema, filter, { subject: 'query' });
    const status = wanted.status ?? 'open';
    const alerts = [];
    if (status === 'open') alerts.push(...(await this.deps.alerts.listQueue('open')));
    else
      for await (const alert of this.deps.alerts.listAll())
        if (status === 'all' || alert.status === status) alerts.push(alert);
    return alerts
      .filter(
        (a) =>
          (wanted.group === undefined || a.group === wanted.group) &&
          (wanted.agentId === undefined || a.agentId === wanted.agentId),
      )
      .sort((a, b) => b.openedAt - a.openedAt || a.alertId.localeCompare(b.alertId))
      .map(alertView);
  }

  /** `POST /v1/alerts/{alertId}/ack`: the first acknowledgement stands; reminders stop. */
  async acknowledgeAlert(alertId: string, body: unknown, caller: Caller = LOCAL_CALLER): Promise<AlertView> {
    parseOrThrow(v.object({ alertId: alertIdSchema }), { alertId }, { subject: 'path' });
    const input = parseOrThrow(ackSchema, body);
    const before = await this.deps.alerts.get(alertId);
    const alert =
      before && (await this.deps.alerts.acknowledge(alertId, this.deps.clock.now(), input.by, input.note));
    if (!before || !alert) throw new NotFoundError(`no alert ${alertId}`);
    // An alert acknowledged before keeps that acknowledgement: this call changed nothing to record.
    if (before.acknowledgedAt === undefined)
      await this.record(caller, 'acknowledge', auditTarget('alert', alertId), {
        before: alertAudit(before),
        after: alertAudit(alert),
      });
    return alertView(alert);
  }

  /**
   * `GET /v1/audit`: one page of the trail, newest first, all of it or one target's, from `since`;
   * one Query of at most `limit` entries. A cursor is bound to its target: one of another target's
   * trail, or from before `since`, is not one this query gave, and is a 400 naming `cursor`.
   */
  async listAudit(query: AuditQuery): Promise<AuditAnswer> {
    const wanted = parseOrThrow(auditQuerySchema, query, { subject: 'query' });
    const after = wanted.cursor === undefined ? undefined : decodeCursor(wanted.cursor, auditCursorSchema);
    if (
      after !== undefined &&
      ((wanted.target !== undefined && after.target !== wanted.target) ||
        (wanted.since !== undefined && after.after < new Date(wanted.since).toISOString()))
    )
      throw cursorRefused();
    const page = await this.deps.audit.page({
      limit: wanted.limit ?? AUDIT_PAGE_DEFAULT,
      since: wanted.since,
      target: wanted.target,
      after,
      now: this.deps.clock.now(),
    });
    const entries = page.entries.map(auditEntryView);
    return page.after === undefined ? { entries } : { entries, cursor: encodeCursor(page.after) };
  }

  /** Records an agent's change, as the agent was before it and is after. */
  private recordAgent(caller: Caller, action: AuditAction, before: AgentRecord, after: AgentRecord) {
    return this.record(caller, action, auditTarget('agent', before.agentId), {
      before: agentAudit(before),
      after: agentAudit(after),
    });
  }

  /**
   * Adds a change that landed to the audit trail, kept `auditRetentionDays`. The change stands
   * whatever happens here, and its answer may carry a secret shown once (a new token), so an entry
   * that cannot be written does not fail the call: it is logged, whole, at error level, where the
   * function's log keeps it.
   */
  private async record(
    caller: Caller,
    action: AuditAction,
    target: string,
    change: { before?: AuditState; after?: AuditState },
  ): Promise<void> {
    const at = this.deps.clock.now();
    const { by, sourceIp } = caller;
    const entry = { action, target, at, by, sourceIp, ...change };
    const expiresAt = Math.floor(at / 1000) + this.deps.config.auditRetentionDays * 86_400;
    try {
      await this.deps.audit.record(entry, expiresAt);
    } catch (error) {
      this.log.error('audit entry not recorded', {
        entry: { ...entry, at: new Date(at).toISOString() },
        error,
      });
    }
  }

  /**
   * What the scanner knows besides the agent records (its blind windows, the open alerts), read once
   * per call, so that every view judges an agent by the same rule as the scanner.
   */
  private async findings() {
    const { config } = this.deps;
    const [scanner, open, windows] = await Promise.all([
      this.deps.state.getScannerState(),
      this.deps.alerts.listQueue('open'),
      this.deps.state.fleetWindows({
        groups: Object.keys(config.groups),
        clusters: Object.keys(config.clusters),
      }),
    ]);
    const byAgent = groupBy(open, (alert) => alert.agentId);
    const calendar = new MaintenanceCalendar(config, windows, this.deps.clock.now());
    return {
      calendar,
      of: (agent: AgentRecord): Findings => ({
        blindWindows: scanner.blindWindows,
        openAlerts: byAgent.get(agent.agentId) ?? [],
        maintenance: calendar.agent(agent),
      }),
    };
  }

  private async existing(agentId: string): Promise<AgentRecord> {
    const agent = await this.deps.agents.get(checkId(agentId));
    if (!agent) throw notFound(agentId);
    return agent;
  }

  private view(agent: AgentRecord, findings: { of(agent: AgentRecord): Findings }): AgentView {
    return agentView(
      agent,
      settingsFor(this.deps.config, agent.group),
      this.deps.clock.now(),
      findings.of(agent),
    );
  }
}

/** What a group's or a cluster's maintenance route answers. */
type FleetAnswer = GroupMaintenanceAnswer | ClusterMaintenanceAnswer;

/** The SMS each group with a budget spent in the current UTC day, as the last scan left it. */
function smsBudgetToday(config: WatcherConfig, spent: FleetSummary['sms'], now: number) {
  const day = smsDay(now);
  const out: NonNullable<StatusAnswer['smsBudget']> = {};
  for (const g of Object.values(config.groups)) {
    if (!g.smsBudget) continue;
    // Only a scan spends SMS: a day with no scan yet has spent none.
    const today = spent[g.name]?.day === day ? spent[g.name] : undefined;
    out[g.name] = {
      day,
      perDay: g.smsBudget.perDay,
      spentToday: today?.spent ?? 0,
      reachedAt: today?.reachedAt === undefined ? undefined : new Date(today.reachedAt).toISOString(),
    };
  }
  return out;
}

/** A recurring window as the config wrote it. */
const windowInEffect = (w: RecurringWindow) => ({
  cron: w.cron,
  duration: formatDuration(w.durationMs),
  timezone: w.timezone,
  reason: w.reason,
});

/** The settings the watcher runs with, as `GET /v1/status` shows them: no subscriber addresses. */
function configInEffect(config: WatcherConfig): StatusAnswer['config'] {
  return {
    scanTickSeconds: scanTickSeconds(config),
    stormFraction: config.stormFraction,
    stormMinAgents: config.stormMinAgents,
    resolvedAlertRetentionDays: config.resolvedAlertRetentionDays,
    auditRetentionDays: config.auditRetentionDays,
    groups: Object.fromEntries(
      Object.values(config.groups).map((g) => [
        g.name,
        {
          channels: [...g.channels],
          autoApprove: g.autoApprove,
          heartbeatIntervalSeconds: g.heartbeatIntervalSeconds,
          scanIntervalSeconds: g.scanIntervalSeconds,
          missedScansBeforeAlert: g.missedScansBeforeAlert,
          renotifyMinutes: g.renotifyMinutes,
          agentlessEveryNScans: g.agentlessEveryNScans,
          recoverAfterScans: g.recoverAfterScans,
          onRestart: g.onRestart,
          maintenance: g.maintenance.length > 0 ? g.maintenance.map(windowInEffect) : undefined,
          flapping: g.flapping && {
            changes: g.flapping.changes,
            window: formatDuration(g.flapping.windowMs),
            stableFor: formatDuration(g.flapping.stableForMs),
          },
          escalation:
            g.escalation.length > 0
              ? g.escalation.map((e) => ({ after: e.after, group: e.group }))
              : undefined,
          smsBudget: g.smsBudget,
        },
      ]),
    ),
    clusters: Object.fromEntries(
      Object.values(config.clusters).map((c) => [
        c.name,
        {
          group: c.group,
          minHealthy: c.minHealthy,
          memberPages: c.memberPages,
          maintenance: c.maintenance.length > 0 ? c.maintenance.map(windowInEffect) : undefined,
        },
      ]),
    ),
  };
}

/** The end of a maintenance window: in the future and, with `maxAheadMs`, at most that far ahead. */
function checkUntil(until: number, now: number, maxAheadMs?: number): void {
  if (until <= now) throw new ValidationError('until: must be in the future', 'until');
  if (maxAheadMs !== undefined && until > now + maxAheadMs)
    throw new ValidationError(`until: must be at most ${formatDuration(maxAheadMs)} ahead`, 'until');
}

function checkId(agentId: string): string {
  return parseOrThrow(v.object({ agentId: agentIdSchema }), { agentId }, { subject: 'path' }).agentId;
}

function agentlessNeedsProbe(): ValidationError {
  return new ValidationError(
    'probe: an agentless entry is watched by its probe alone, so it needs one',
    'probe',
  );
}

function notFound(agentId: string): NotFoundError {
  return new NotFoundError(`no agent ${agentId}`);
}
