import { html } from 'htm/preact';
import type { AgentView } from '../../../lambda/api/contract';
import { endMaintenance, setApproval } from '../actions';
import { enc } from '../api';
import { openMaintenance } from '../dialogs';
import { byId, draw, setAttr, setText, show, stateBadge } from '../dom';
import { fmtAge, fmtTime, skewText, worstFirst } from '../format';
import { app } from '../state';
import { renderAlertRows } from './alerts';
import { Members, Terms } from './parts';

/** The rows of an agent's record, as the agent page lists them. */
function recordFields(a: AgentView): [string, string][] {
  return [
    ['group', a.group],
    ['cluster', a.cluster ?? '-'],
    ['approval', a.approval],
    ['state', a.state],
    [
      'last heartbeat',
      a.lastHeartbeatAt ? `${fmtTime(a.lastHeartbeatAt)} (${fmtAge(a.lastHeartbeatAt)})` : 'never',
    ],
    ['missed scans', String(a.missedScans)],
    ['heartbeat interval', `${a.heartbeatIntervalSeconds}s`],
    [
      'clock skew',
      a.clockSkewSeconds === undefined
        ? '-'
        : `${skewText(a)}${a.clockSkewWarning ? ': more than 5 minutes apart, check NTP on the agent' : ''}`,
    ],
    ['endpoint in use', a.endpoint ?? '-'],
    ['agent version', a.version ?? '-'],
    ['last sentAt', a.lastSentAt ? fmtTime(a.lastSentAt) : '-'],
    ['seq', a.seq === undefined ? '-' : String(a.seq)],
    ['boot id', a.bootId ?? '-'],
    [
      'restarts',
      a.lastRestartAt ? `${a.restarts}, the last ${fmtTime(a.lastRestartAt)}` : String(a.restarts ?? 0),
    ],
    [
      'lost heartbeats',
      a.lostHeartbeats === undefined
        ? '-'
        : `${a.lostHeartbeats} this boot${a.lossLastHourPercent === undefined ? '' : `, ${a.lossLastHourPercent}% over the last hour`}`,
    ],
    ['away', a.awayUntil ? `until ${fmtTime(a.awayUntil)}: ${a.awayReason ?? 'no reason given'}` : '-'],
    [
      'maintenance',
      a.maintenanceUntil
        ? `until ${fmtTime(a.maintenanceUntil)}: ${a.maintenanceReason ?? 'no reason given'}`
        : '-',
    ],
    ['agentless', a.agentless ? 'yes (watched by its probe alone)' : 'no'],
    ['registered', fmtTime(a.createdAt)],
  ];
}

/** One agent's page: its record, its probe, its parent and children, its alert history. */

export function renderDetail(): void {
  setText(byId('d-title'), app.detailId);
  const d = app.detail?.agentId === app.detailId ? app.detail : undefined;
  const a = d?.agent ?? undefined;
  show(byId('d-missing'), d !== undefined && d.agent === null);
  show(byId('d-body'), a !== undefined);
  if (!a) return;
  stateBadge(byId('d-state'), a.state);
  show(byId('d-approve'), a.approval !== 'approved');
  show(byId('d-reject'), a.approval === 'pending');
  show(byId('d-maint'), a.approval === 'approved');
  show(byId('d-maint-end'), a.maintenanceUntil !== undefined);
  const fields = recordFields(a);
  const warn = (k: string) => k === 'clock skew' && a.clockSkewWarning === true;
  draw(byId('d-record'), html`<${Terms} rows=${fields} warn=${warn} />`);
  const p = a.probe;
  setText(byId('d-probe'), probeText(p));
  show(byId('d-parent-none'), !a.parent);
  show(byId('d-parent'), a.parent !== undefined);
  if (a.parent) {
    const link = byId('d-parent-link');
    setText(link, a.parent);
    setAttr(link, 'href', `#agent/${enc(a.parent)}`);
    const parent = d?.parent;
    stateBadge(byId('d-parent-state'), parent?.state ?? 'new', parent ? parent.state : 'no such agent');
  }
  const children = d?.children ?? [];
  setText(
    byId('d-children-text'),
    children.length === 0
      ? 'No agent sits behind it.'
      : `${children.length} agent${children.length === 1 ? ' sits' : 's sit'} behind it; while it is down, their pages are held:`,
  );
  draw(byId('d-children'), html`<${Members} members=${[...children].sort(worstFirst)} />`);
  const alerts = d?.alerts ?? [];
  show(byId('d-alerts-empty'), alerts.length === 0);
  show(byId('d-alerts-wrap'), alerts.length > 0);
  renderAlertRows(byId('t-d-alerts-body'), alerts);
}

/** The agent page's buttons, wired once. */
export function wireDetail(): void {
  const dApprove = byId<HTMLButtonElement>('d-approve');
  dApprove.addEventListener('click', () => void setApproval(app.detailId, 'approve', dApprove));
  const dReject = byId<HTMLButtonElement>('d-reject');
  dReject.addEventListener('click', () => void setApproval(app.detailId, 'reject', dReject));
  const dMaint = byId<HTMLButtonElement>('d-maint');
  dMaint.addEventListener('click', () => openMaintenance({ kind: 'agent', agentId: app.detailId }, dMaint));
  const dMaintEnd = byId<HTMLButtonElement>('d-maint-end');
  dMaintEnd.addEventListener('click', () => void endMaintenance(app.detailId, dMaintEnd));
}

/** What the agent's probe does, in the detail view's words. */
function probeText(p: AgentView['probe']): string {
  if (!p) return 'No probe: a late agent is judged by its heartbeats alone.';
  switch (p.type) {
    case 'tcp':
      return `TCP connect to ${p.host}:${p.port} when the agent is late`;
    case 'http':
      return `HTTP GET ${p.url} when the agent is late (any answer below 500 passes)`;
    case 'ec2':
      return `EC2 status of ${p.instanceId} when the agent is late (up when running with both status checks ok)`;
    case 'ssm':
      return `SSM Agent ping of ${p.instanceId} when the agent is late (up when Systems Manager says Online)`;
  }
}
