import { html } from 'htm/preact';
import type { AlertView } from '../../../lambda/api/contract';
import { openAck } from '../dialogs';
import { byId, draw, setText, show, syncOptions } from '../dom';
import { fmtTime, kindWords } from '../format';
import { refresh } from '../refresh';
import { app } from '../state';
import { configuredClusters, holderHref, subjectOf } from '../topology';
import { Age, clicked, Lines } from './parts';

/** The alerts view, and the rows of alerts an agent's page shows too. */

const NOTICE: Record<string, string> = {
  none: 'nothing to send',
  pending: 'pending (the next scan sends it)',
  sending: 'sending',
  failed: 'failed (retried on the next scan)',
  held: 'held (not sent while the hold lasts)',
  suppressed: 'suppressed (held, so never sent)',
};

function pagingLines(a: AlertView): string[] {
  const paged = a.channels.filter((c) => c !== 'console');
  if (paged.length === 0) return ['console only', 'recorded here, never sent'];
  const notice = (state: string | undefined, at: string | undefined) =>
    state === 'sent' ? `sent ${at ? fmtTime(at) : ''}`.trim() : (NOTICE[state ?? 'none'] ?? state ?? '-');
  const lines = [paged.join(' + '), `opening: ${notice(a.delivery?.opening, a.pagedAt ?? a.notifiedAt)}`];
  if (a.status === 'resolved' || (a.delivery?.recovery && a.delivery.recovery !== 'none')) {
    lines.push(`recovery: ${notice(a.delivery?.recovery, a.recoveryNotifiedAt)}`);
  }
  // A notice that reached some channels and not others: what it still owes those.
  const rests = [
    ['opening', a.delivery?.openingRest],
    ['recovery', a.delivery?.recoveryRest],
  ] as const;
  for (const [phase, rest] of rests) {
    if (rest) lines.push(`${phase} to ${rest.channels.join(' + ')}: ${notice(rest.state, undefined)}`);
  }
  for (const e of a.delivery?.escalations ?? []) {
    lines.push(`escalated to ${e.group} after ${e.after}: ${notice(e.state, e.sentAt)}`);
  }
  if (a.lastDeliveryError) lines.push(`last error: ${a.lastDeliveryError}`);
  return lines;
}

/** Why the page is held, and by whom, as `hbw alerts list` says it (`held: parent sw-01`), linked. */
function Held({ alert: a }: { alert: AlertView }) {
  const held = a.suppressed;
  return html`<div class="held" hidden=${!held} title=${held ? `held since ${fmtTime(held.since)}` : undefined}>
    <span>${held ? `held: ${held.reason} ` : ''}</span><a href=${held ? holderHref(held.reason, held.by) : undefined}>${held?.by ?? ''}</a>
  </div>`;
}

/** One alert's row: what and whom it is about, its state, its acknowledgement, its pages. */
function AlertRow({ alert: a }: { alert: AlertView }) {
  const subject = subjectOf(a);
  const open = a.status === 'open';
  const acked = a.acknowledgedAt
    ? [`by ${a.acknowledgedBy ?? '?'} ${fmtTime(a.acknowledgedAt)}`, ...(a.note ? [`“${a.note}”`] : [])]
    : open
      ? []
      : ['-'];
  return html`<tr data-key=${a.alertId}>
    <td data-label="severity"><span class=${`sev sev-${a.severity}`}>${a.severity}</span></td>
    <td data-label="alert">
      <div class="kind">${kindWords(a)}</div><a href=${subject.href}>${subject.text}</a><div class="muted detail">${a.detail}</div>
    </td>
    <td data-label="group">${a.group}</td>
    <td data-label="opened"><${Age} iso=${a.openedAt} /></td>
    <td data-label="status" class=${open ? 'bad' : undefined}>${
      open ? 'open' : `resolved ${fmtTime(a.resolvedAt)}${a.resolution ? ` (${a.resolution})` : ''}`
    }</td>
    <td data-label="acknowledged">
      <div class="ack-text"><${Lines} lines=${acked} /></div>
      <button type="button" data-act="ack" aria-label=${`Acknowledge ${a.kind} of ${subject.text}`}
        hidden=${!open || Boolean(a.acknowledgedAt)} onClick=${(e: Event) => openAck(a.alertId, clicked(e))}>Acknowledge…</button>
    </td>
    <td data-label="paging"><div class="lines"><${Lines} lines=${pagingLines(a)} /></div><${Held} alert=${a} /></td>
  </tr>`;
}

/** Draws `alerts` as the rows of the table body `body`. */
export function renderAlertRows(body: HTMLElement, alerts: readonly AlertView[]): void {
  draw(
    body,
    alerts.map((a) => html`<${AlertRow} key=${a.alertId} alert=${a} />`),
  );
}

export function alertQuery(): string {
  const q = new URLSearchParams({ status: byId<HTMLSelectElement>('a-status').value || 'open' });
  const group = byId<HTMLSelectElement>('a-group').value;
  if (group) q.set('group', group);
  return q.toString();
}

/** The alerts view's address: the API's query, and the cluster, which the page filters by itself. */
export function alertHash(): string {
  const q = new URLSearchParams(alertQuery());
  const cluster = byId<HTMLSelectElement>('a-cluster').value;
  if (cluster) q.set('cluster', cluster);
  return `#alerts?${q}`;
}

function currentAlerts(): AlertView[] | undefined {
  const query = alertQuery();
  const group = byId<HTMLSelectElement>('a-group').value;
  const cluster = byId<HTMLSelectElement>('a-cluster').value;
  const listed =
    byId<HTMLSelectElement>('a-status').value === 'open'
      ? app.openAlerts.filter((a) => !group || a.group === group)
      : app.alertList?.query === query
        ? app.alertList.alerts
        : undefined;
  return listed?.filter((a) => !cluster || a.cluster === cluster);
}

export function renderAlerts(): void {
  syncOptions(byId('a-group'), Object.keys(app.status?.groups ?? {}).sort(), 'all groups');
  const clusters = new Set(configuredClusters().map((c) => c.name));
  for (const a of [...app.openAlerts, ...(app.alertList?.alerts ?? [])])
    if (a.cluster) clusters.add(a.cluster);
  syncOptions(byId('a-cluster'), [...clusters].sort(), 'all clusters');
  show(byId('a-cluster-label'), byId<HTMLSelectElement>('a-cluster').options.length > 1);
  const alerts = currentAlerts();
  setText(
    byId('alerts-count'),
    alerts === undefined ? 'loading alerts…' : `${alerts.length} alert${alerts.length === 1 ? '' : 's'}`,
  );
  show(byId('alerts-empty'), alerts !== undefined && alerts.length === 0);
  renderAlertRows(byId('t-alerts-body'), alerts ?? []);
}

/** The alerts view's filters, wired once. */
export function wireAlerts(): void {
  for (const id of ['a-status', 'a-group', 'a-cluster']) {
    byId(id).addEventListener('change', () => {
      history.replaceState(null, '', alertHash());
      renderAlerts();
      void refresh();
    });
  }
  byId('a-filters').addEventListener('submit', (event) => event.preventDefault());
}
