import type { AlertView } from '../../../lambda/domain/alert';
import { openAck } from '../dialogs';
import { byId, h, row, setAge, setAttr, setLines, setText, show, sync, syncOptions } from '../dom';
import { fmtTime, kindWords } from '../format';
import { refresh } from '../refresh';
import { app } from '../state';
import { configuredClusters, holderHref, subjectOf } from '../topology';

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
  for (const e of a.delivery?.escalations ?? []) {
    lines.push(`escalated to ${e.group} after ${e.after}: ${notice(e.state, e.sentAt)}`);
  }
  if (a.lastDeliveryError) lines.push(`last error: ${a.lastDeliveryError}`);
  return lines;
}

/** Why the page is held, and by whom, as `hbw alerts list` says it (`held: parent sw-01`), linked. */
function renderHeld(node: HTMLElement, a: AlertView): void {
  const held = a.suppressed;
  show(node, held !== undefined);
  if (!held) return;
  setText(node.firstElementChild!, `held: ${held.reason} `);
  const link = node.querySelector('a')!;
  setText(link, held.by);
  setAttr(link, 'href', holderHref(held.reason, held.by));
  setAttr(node, 'title', `held since ${fmtTime(held.since)}`);
}

export function renderAlertRows(body: HTMLElement, alerts: readonly AlertView[]): void {
  sync(
    body,
    alerts,
    (a) => a.alertId,
    (a) => {
      const tr = row(['severity', 'alert', 'group', 'opened', 'status', 'acknowledged', 'paging']);
      tr.children[0]!.append(h('span', {}));
      tr.children[1]!.append(h('div', { class: 'kind' }), h('a', {}), h('div', { class: 'muted detail' }));
      tr.children[3]!.append(h('span', {}));
      const ack = h(
        'button',
        {
          type: 'button',
          'data-act': 'ack',
          'aria-label': `Acknowledge ${a.kind} of ${subjectOf(a).text}`,
        },
        'Acknowledge…',
      );
      ack.addEventListener('click', () => openAck(a.alertId, ack));
      tr.children[5]!.append(h('div', { class: 'ack-text' }), ack);
      tr.children[6]!.append(
        h('div', { class: 'lines' }),
        h('div', { class: 'held' }, h('span', {}), h('a', {})),
      );
      return tr;
    },
    (tr, a) => {
      const [sev, what, group, opened, state, acked, paging] = Array.from(tr.children) as HTMLElement[];
      const badge = sev!.firstElementChild as HTMLElement;
      setText(badge, a.severity);
      const cls = `sev sev-${a.severity}`;
      if (badge.className !== cls) badge.className = cls;
      setText(what!.querySelector('.kind')!, kindWords(a));
      const link = what!.querySelector('a')!;
      const subject = subjectOf(a);
      setText(link, subject.text);
      setAttr(link, 'href', subject.href);
      setText(what!.querySelector('.detail')!, a.detail);
      setText(group!, a.group);
      setAge(opened!.firstElementChild as HTMLElement, a.openedAt);
      setText(
        state!,
        a.status === 'open'
          ? 'open'
          : `resolved ${fmtTime(a.resolvedAt)}${a.resolution ? ` (${a.resolution})` : ''}`,
      );
      state!.classList.toggle('bad', a.status === 'open');
      const ackText = acked!.querySelector<HTMLElement>('.ack-text')!;
      setLines(
        ackText,
        a.acknowledgedAt
          ? [`by ${a.acknowledgedBy ?? '?'} ${fmtTime(a.acknowledgedAt)}`, ...(a.note ? [`“${a.note}”`] : [])]
          : a.status === 'open'
            ? []
            : ['-'],
      );
      show(acked!.querySelector<HTMLElement>('[data-act=ack]')!, a.status === 'open' && !a.acknowledgedAt);
      setLines(paging!.firstElementChild as HTMLElement, pagingLines(a));
      renderHeld(paging!.querySelector<HTMLElement>('.held')!, a);
    },
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
