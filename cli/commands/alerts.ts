import type { AlertView, Answer } from '../../lambda/api/contract';
import { ALERT_STATUS_FILTERS } from '../../lambda/domain/alert';
import { type Command, oneOf } from '../command';
import { age, table } from '../output';

/** One row of `hbw alerts list`: a held page says why and by whom (`held: parent sw-01`). */
export function alertRow(a: AlertView, now: number): string[] {
  const paging = a.channels.filter((c) => c !== 'console').join('+');
  let paged = 'console only';
  if (a.delivery?.opening === 'held' && a.suppressed)
    paged = `held: ${a.suppressed.reason} ${a.suppressed.by}`;
  else if (a.delivery) paged = `${paging} ${a.delivery.opening}`;
  return [
    a.alertId,
    a.kind === 'cluster_down' ? `cluster ${a.cluster}` : a.agentId,
    a.group,
    a.kind,
    a.severity,
    a.status,
    age(a.openedAt, now),
    a.acknowledgedAt ? `by ${a.acknowledgedBy ?? '?'}` : '-',
    paged,
  ];
}

export const alertCommands: Command[] = [
  {
    path: ['alerts', 'list'],
    summary: 'List alerts, newest first: open ones by default.',
    remote: true,
    options: {
      status: { type: 'string', default: 'open' },
      group: { type: 'string' },
      agent: { type: 'string' },
    },
    optionHelp: [
      '--status S          open (default), resolved or all',
      '--group NAME        only this group',
      '--agent ID          only this agent',
    ],
    example: 'hbw alerts list --status all --group production',
    async run(ctx) {
      const q = new URLSearchParams({
        status: oneOf(ctx.values.status, 'status', ALERT_STATUS_FILTERS) ?? 'open',
      });
      if (ctx.values.group) q.set('group', String(ctx.values.group));
      if (ctx.values.agent) q.set('agentId', String(ctx.values.agent));
      const { alerts } = await ctx.client().request<Answer<'GET /v1/alerts'>>('GET', `/v1/alerts?${q}`);
      if (ctx.json) {
        ctx.out(JSON.stringify({ alerts }, null, 2));
        return 0;
      }
      const now = Date.now();
      ctx.out(
        alerts.length === 0
          ? `no ${ctx.values.status === 'all' ? '' : `${ctx.values.status} `}alerts`
          : table(
              ['ALERT', 'AGENT', 'GROUP', 'KIND', 'SEVERITY', 'STATUS', 'OPENED', 'ACK', 'PAGED'],
              alerts.map((a) => alertRow(a, now)),
            ),
      );
      return 0;
    },
  },
  {
    path: ['alerts', 'ack'],
    summary: 'Acknowledge an alert: reminders stop, the acknowledgement is shown to everyone.',
    args: ['ALERT_ID'],
    remote: true,
    options: { by: { type: 'string' }, note: { type: 'string' } },
    optionHelp: [
      '--by NAME           who acknowledges (default: $USER)',
      '--note TEXT         what is being done',
    ],
    example: 'hbw alerts ack agent.1795422524408.web-01 --note "rebooting"',
    async run(ctx) {
      const by = (ctx.values.by as string | undefined) ?? ctx.env.USER;
      const alert = await ctx
        .client()
        .request<AlertView>('POST', `/v1/alerts/${encodeURIComponent(ctx.args[0]!)}/ack`, {
          by,
          note: ctx.values.note,
        });
      ctx.out(
        ctx.json
          ? JSON.stringify(alert, null, 2)
          : `acknowledged ${alert.alertId} (${alert.agentId}, ${alert.kind}) by ${alert.acknowledgedBy ?? 'someone'} at ${alert.acknowledgedAt}`,
      );
      return 0;
    },
  },
];
