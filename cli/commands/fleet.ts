import type { AgentPage, AgentView, Answer } from '../../lambda/api/contract';
import { AGENT_STATES } from '../../lambda/domain/agent';
import { parseDuration } from '../../lambda/domain/duration';
import { AGENT_PAGE_MAX } from '../../lambda/domain/paging';
import type { AgentChangeInput } from '../../lambda/domain/requests';
import { ApiError, type WatcherClient } from '../client';
import { type Command, type CommandContext, oneOf, UsageError } from '../command';
import { age, table } from '../output';
import { followCursors } from '../pages';

const enc = encodeURIComponent;

/**
 * The state, and for an agent in maintenance or away when that ends, to the minute:
 * `maintenance to 2026-11-23T14:00Z`, `away to 2026-11-23T12:10Z`.
 */
export function stateCell(
  a: Pick<AgentView, 'state'> & Partial<Pick<AgentView, 'maintenanceUntil' | 'awayUntil'>>,
): string {
  const until = a.state === 'maintenance' ? a.maintenanceUntil : a.state === 'away' ? a.awayUntil : undefined;
  return until ? `${a.state} to ${until.slice(0, 16)}Z` : a.state;
}

function agentRows(agents: readonly AgentView[], now: number): string {
  return table(
    ['AGENT', 'GROUP', 'CLUSTER', 'STATE', 'LAST HEARTBEAT', 'MISSED', 'SKEW', 'ENDPOINT'],
    agents.map((a) => [
      a.agentId,
      a.group,
      a.cluster ?? '-',
      stateCell(a),
      age(a.lastHeartbeatAt, now),
      String(a.missedScans),
      a.clockSkewSeconds === undefined ? '-' : `${a.clockSkewSeconds}s${a.clockSkewWarning ? ' (!)' : ''}`,
      a.endpoint ?? '-',
    ]),
  );
}

function agentDetail(a: AgentView): string {
  const rows: [string, string | number | boolean | undefined][] = [
    ['agent', a.agentId],
    ['group', a.group],
    ['cluster', a.cluster],
    ['approval', a.approval],
    ['state', a.state],
    ['last heartbeat', a.lastHeartbeatAt],
    ['missed scans', a.missedScans],
    [
      'clock skew',
      a.clockSkewSeconds === undefined
        ? undefined
        : `${a.clockSkewSeconds} s${a.clockSkewWarning ? ' (more than 5 minutes: check NTP on the agent)' : ''}`,
    ],
    ['endpoint', a.endpoint],
    ['version', a.version],
    ['seq', a.seq],
    ['boot id', a.bootId],
    ['restarts', a.lastRestartAt ? `${a.restarts} (last ${a.lastRestartAt})` : a.restarts],
    [
      'lost heartbeats',
      a.lostHeartbeats === undefined
        ? undefined
        : `${a.lostHeartbeats} this boot${a.lossLastHourPercent === undefined ? '' : `; ${a.lossLastHourPercent}% over the last hour`}`,
    ],
    ['away until', a.awayUntil ? `${a.awayUntil} (${a.awayReason ?? 'no reason'})` : undefined],
    [
      'maintenance until',
      a.maintenanceUntil ? `${a.maintenanceUntil} (${a.maintenanceReason ?? 'no reason'})` : undefined,
    ],
    ['agentless', a.agentless],
    ['probe', a.probe ? JSON.stringify(a.probe) : undefined],
    ['parent', a.parent],
    ['heartbeat interval', `${a.heartbeatIntervalSeconds} s`],
    ['created', a.createdAt],
  ];
  return table(
    ['FIELD', 'VALUE'],
    rows.filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]),
  );
}

function printAgent(ctx: CommandContext, agent: AgentView, line?: string) {
  if (ctx.json) ctx.out(JSON.stringify(agent, null, 2));
  else ctx.out(line ? `${line}\n\n${agentDetail(agent)}` : agentDetail(agent));
}

/** The forms --probe takes, for its help and its errors. */
const PROBE_FORMS = 'tcp:HOST:PORT, an http(s):// URL, ec2:INSTANCE-ID or ssm:INSTANCE-ID';

/**
 * `tcp:host:port`, an http(s) URL, `ec2:i-…` or `ssm:i-…` (or `ssm:mi-…`), as typed after --probe.
 * The instance id is checked by the watcher, which names `probe.instanceId` when it is not one.
 */
export function parseProbe(text: string) {
  if (/^https?:\/\//i.test(text)) return { type: 'http' as const, url: text };
  const aws = /^(ec2|ssm):(.+)$/.exec(text);
  if (aws) return { type: aws[1] as 'ec2' | 'ssm', instanceId: aws[2]! };
  const m = /^tcp:(.+):(\d{1,5})$/.exec(text);
  if (!m) throw new UsageError(`--probe must be ${PROBE_FORMS}, not "${text}"`);
  return { type: 'tcp' as const, host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

/**
 * The body of `PATCH /v1/agents/{agentId}` from the options of `hbw agents set`: `--NAME VALUE` sets a
 * field, `--no-NAME` clears it (`null`); both at once, or no option at all, is bad usage.
 */
export function agentChange(values: Readonly<Record<string, unknown>>): AgentChangeInput {
  /** The option's value, `null` for its --no- form, `undefined` when neither was given. */
  const given = (name: 'cluster' | 'parent' | 'probe' | 'probe-network') => {
    const value = values[name];
    const cleared = values[`no-${name}`] === true;
    if (value !== undefined && cleared) throw new UsageError(`give --${name} or --no-${name}, not both`);
    return cleared ? null : typeof value === 'string' ? value : undefined;
  };
  const probe = given('probe');
  const fields = {
    group: typeof values.group === 'string' ? values.group : undefined,
    cluster: given('cluster'),
    parent: given('parent'),
    probe: typeof probe === 'string' ? parseProbe(probe) : probe,
    probeNetwork: given('probe-network'),
  };
  const change: AgentChangeInput = Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  );
  if (Object.keys(change).length === 0) {
    throw new UsageError(
      'give what to change: --group, --cluster or --no-cluster, --parent or --no-parent, --probe or --no-probe, --probe-network or --no-probe-network',
    );
  }
  return change;
}

/** The options every `maintenance` command takes, and their help. */
export const MAINTENANCE_OPTIONS = {
  until: { type: 'string' },
  for: { type: 'string' },
  reason: { type: 'string' },
  end: { type: 'boolean', default: false },
} as const;
export const MAINTENANCE_OPTION_HELP = [
  '--until TIME        end of the window, RFC 3339 (2026-11-23T18:00:00Z)',
  '--for DURATION      or its length from now: 30m, 2h, 1d',
  '--reason TEXT       why, shown to other operators',
  '--end               end the window now',
];

/**
 * The call a `maintenance` command makes to `path`: DELETE for `--end`, else PUT with the window's
 * end (`--until`, or `--for` from now) and reason.
 */
export function maintenanceCall<T>(ctx: CommandContext, path: string): Promise<T> {
  const { until, for: duration, reason, end } = ctx.values as Record<string, string | boolean | undefined>;
  if (end) {
    if (until || duration) throw new UsageError('--end takes no --until or --for');
    return ctx.client().request<T>('DELETE', path);
  }
  const body = {
    until: maintenanceUntil(until as string | undefined, duration as string | undefined, Date.now()),
    reason,
  };
  return ctx.client().request<T>('PUT', path, body);
}

/** `--until` as RFC 3339, or `--for` as a duration (90s, 30m, 2h, 1h30m, 1d) from `now`. */
export function maintenanceUntil(
  until: string | undefined,
  duration: string | undefined,
  now: number,
): string {
  if (until && duration) throw new UsageError('give --until or --for, not both');
  if (until) return until;
  if (!duration) throw new UsageError('give --until TIME or --for DURATION (or --end to end the window)');
  const ms = parseDuration(duration);
  if (!ms) throw new UsageError(`--for must be a duration such as 90s, 30m, 2h or 1d, not "${duration}"`);
  return new Date(now + ms).toISOString();
}

/**
 * Every agent the filters in `query` name, following each page's `cursor` (a page reads at most
 * {@link AGENT_PAGE_MAX} agents of the table, so a filtered page may be short, even empty); sorted by id.
 */
export async function everyAgent(
  client: Pick<WatcherClient, 'request'>,
  query: URLSearchParams,
): Promise<AgentView[]> {
  const agents = await followCursors('agents', (cursor) => {
    const q = new URLSearchParams(query);
    q.set('limit', String(AGENT_PAGE_MAX));
    if (cursor !== undefined) q.set('cursor', cursor);
    return client.request<AgentPage>('GET', `/v1/agents?${q}`);
  });
  return agents.sort((a, b) => a.agentId.localeCompare(b.agentId));
}

/** The `hbw agents ...` commands: the fleet, as an operator sees and changes it through the API. */
export const fleetCommands: Command[] = [
  {
    path: ['agents', 'list'],
    summary: 'List agents, with their state, last heartbeat, missed scans and clock skew.',
    remote: true,
    options: { group: { type: 'string' }, state: { type: 'string' }, cluster: { type: 'string' } },
    optionHelp: [
      '--group NAME        only this group',
      '--state STATE       only this state (healthy, late, failed, unreachable, maintenance, away, pending, new, rejected)',
      '--cluster NAME      only this cluster',
    ],
    example: 'hbw agents list --group production --state late',
    async run(ctx) {
      oneOf(ctx.values.state, 'state', AGENT_STATES);
      const q = new URLSearchParams();
      for (const k of ['group', 'state', 'cluster']) if (ctx.values[k]) q.set(k, String(ctx.values[k]));
      const agents = await everyAgent(ctx.client(), q);
      if (ctx.json) ctx.out(JSON.stringify({ agents }, null, 2));
      else ctx.out(agents.length ? agentRows(agents, Date.now()) : 'no agents');
      return 0;
    },
  },
  {
    path: ['agents', 'show'],
    summary: 'Show one agent in full.',
    args: ['AGENT_ID'],
    remote: true,
    example: 'hbw agents show web-01',
    async run(ctx) {
      printAgent(ctx, await ctx.client().request<AgentView>('GET', `/v1/agents/${enc(ctx.args[0]!)}`));
      return 0;
    },
  },
  {
    path: ['agents', 'add'],
    summary:
      'Add a pre-approved agent and print its token (shown once), or an agentless entry watched by a probe.',
    args: ['AGENT_ID'],
    remote: true,
    options: {
      group: { type: 'string' },
      cluster: { type: 'string' },
      probe: { type: 'string' },
      agentless: { type: 'boolean', default: false },
      parent: { type: 'string' },
      'probe-network': { type: 'string' },
    },
    optionHelp: [
      '--group NAME        the server group (required), e.g. production or test',
      '--cluster NAME      the cluster the agent belongs to',
      `--probe SPEC        ${PROBE_FORMS}, checked when the agent goes quiet`,
      '--agentless         no agent on the host: watch it by its probe alone (no token)',
      '--parent AGENT_ID   the agent it sits behind (a switch, a hypervisor): while that one is down,',
      '                    this one is held, not paged',
      "--probe-network NAME  run its tcp or http probe from this probe network (probeNetworks), not its group's",
    ],
    example: 'hbw agents add web-01 --group production --parent sw-01',
    async run(ctx) {
      if (!ctx.values.group) throw new UsageError('--group is required');
      if (ctx.values.agentless && !ctx.values.probe) {
        throw new UsageError(
          `--agentless needs --probe (${PROBE_FORMS}): with no agent, the probe alone watches the host`,
        );
      }
      const body = {
        agentId: ctx.args[0],
        group: ctx.values.group,
        cluster: ctx.values.cluster,
        probe: ctx.values.probe ? parseProbe(String(ctx.values.probe)) : undefined,
        agentless: ctx.values.agentless ? true : undefined,
        parent: ctx.values.parent,
        probeNetwork: ctx.values['probe-network'],
      };
      const added = await ctx.client().request<Answer<'POST /v1/agents'>>('POST', '/v1/agents', body);
      if (ctx.json) ctx.out(JSON.stringify(added, null, 2));
      else if (added.token) {
        ctx.out(
          `added ${added.agentId} to ${body.group} (approved)\n` +
            `token (shown once; keep it in the agent's token file, e.g. /etc/hbw/token):\n${added.token}`,
        );
      } else ctx.out(`added agentless ${added.agentId} to ${body.group}, watched by its probe`);
      return 0;
    },
  },
  ...(['approve', 'reject'] as const).map(
    (verb): Command => ({
      path: ['agents', verb],
      summary:
        verb === 'approve'
          ? 'Approve a pending (or rejected) agent: it is monitored from its next heartbeat.'
          : 'Reject an agent: its heartbeats are refused (403) until it is approved again.',
      args: ['AGENT_ID'],
      remote: true,
      example: `hbw agents ${verb} web-02`,
      async run(ctx) {
        const agent = await ctx
          .client()
          .request<AgentView>('POST', `/v1/agents/${enc(ctx.args[0]!)}/${verb}`);
        printAgent(ctx, agent, `${agent.agentId}: ${agent.approval}`);
        return 0;
      },
    }),
  ),
  {
    path: ['agents', 'set'],
    summary:
      'Change an agent in place: its group, cluster, parent, probe or probe network. Its token stays valid.',
    args: ['AGENT_ID'],
    remote: true,
    options: {
      group: { type: 'string' },
      cluster: { type: 'string' },
      'no-cluster': { type: 'boolean', default: false },
      parent: { type: 'string' },
      'no-parent': { type: 'boolean', default: false },
      probe: { type: 'string' },
      'no-probe': { type: 'boolean', default: false },
      'probe-network': { type: 'string' },
      'no-probe-network': { type: 'boolean', default: false },
    },
    optionHelp: [
      '--group NAME        move it to this group',
      '--cluster NAME      put it in this cluster (an agent that sends --cluster sets it again)',
      '--no-cluster        take it out of its cluster',
      '--parent AGENT_ID   the agent it sits behind: while that one is down, this one is held, not paged',
      '--no-parent         it sits behind no other agent',
      `--probe SPEC        ${PROBE_FORMS}, checked when the agent goes quiet`,
      '--no-probe          no probe (an agentless entry must keep its probe)',
      "--probe-network NAME  run its tcp or http probe from this probe network (probeNetworks), not its group's",
      "--no-probe-network  probe it from its group's network again",
    ],
    example: 'hbw agents set web-01 --group staging --parent sw-02',
    async run(ctx) {
      const body = agentChange(ctx.values);
      const agent = await ctx.client().request<AgentView>('PATCH', `/v1/agents/${enc(ctx.args[0]!)}`, body);
      printAgent(ctx, agent, `${agent.agentId}: changed ${Object.keys(body).join(', ')}`);
      return 0;
    },
  },
  {
    path: ['agents', 'remove'],
    summary: 'Remove an agent and its token (the parent of other agents only with --force).',
    args: ['AGENT_ID'],
    remote: true,
    options: { force: { type: 'boolean', default: false } },
    optionHelp: [
      '--force             remove it even when it is the parent of other agents: their parent is cleared',
    ],
    example: 'hbw agents remove web-01',
    async run(ctx) {
      const force = ctx.values.force ? '?force=true' : '';
      try {
        await ctx.client().request('DELETE', `/v1/agents/${enc(ctx.args[0]!)}${force}`);
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 'has_children')) throw error;
        ctx.err(`hbw: ${error.message} (hbw agents remove ${ctx.args[0]} --force)`);
        return 1;
      }
      ctx.out(ctx.json ? JSON.stringify({ agentId: ctx.args[0], removed: true }) : `removed ${ctx.args[0]}`);
      return 0;
    },
  },
  {
    path: ['agents', 'rotate-token'],
    summary: 'Give an agent a new token; the old one stops working at once.',
    args: ['AGENT_ID'],
    remote: true,
    example: 'hbw agents rotate-token web-01',
    async run(ctx) {
      const out = await ctx
        .client()
        .request<Answer<'POST /v1/agents/{agentId}/rotate-token'>>(
          'POST',
          `/v1/agents/${enc(ctx.args[0]!)}/rotate-token`,
        );
      ctx.out(
        ctx.json
          ? JSON.stringify(out, null, 2)
          : `new token for ${out.agentId} (shown once; the old one no longer works):\n${out.token}`,
      );
      return 0;
    },
  },
  {
    path: ['agents', 'maintenance'],
    summary: 'Start or end a maintenance window: no alert opens while it lasts.',
    args: ['AGENT_ID'],
    remote: true,
    options: MAINTENANCE_OPTIONS,
    optionHelp: MAINTENANCE_OPTION_HELP,
    example: 'hbw agents maintenance web-01 --for 2h --reason "kernel update"',
    async run(ctx) {
      const agent = await maintenanceCall<AgentView>(ctx, `/v1/agents/${enc(ctx.args[0]!)}/maintenance`);
      printAgent(
        ctx,
        agent,
        agent.maintenanceUntil
          ? `${agent.agentId}: in maintenance until ${agent.maintenanceUntil}`
          : `${agent.agentId}: maintenance ended`,
      );
      return 0;
    },
  },
];
