import { html } from 'htm/preact';
import type { AuditEntryView } from '../../../lambda/api/contract';
import { changeText } from '../../../lambda/domain/audit-change';
import { byId, draw, setText, show, wireMore } from '../dom';
import { fmtTime } from '../format';
import { refresh, refreshing } from '../refresh';
import { app, PAGE_ROWS } from '../state';

/** The audit view: the trail newest first, a page at a time, more by the button or by scrolling to it. */

const LABELS = ['at', 'action', 'target', 'by', 'from', 'change'];

/** A target's link: an agent's page for an agent, its own trail for any other. */
function targetCell(target: string) {
  return target.startsWith('agent:')
    ? html`<a href=${`#agent/${encodeURIComponent(target.slice('agent:'.length))}`}>${target}</a>`
    : target;
}

const EntryRow = ({ entry: e }: { entry: AuditEntryView }) =>
  html`<tr data-key=${e.id}>
    <td data-label=${LABELS[0]} title=${e.at}>${fmtTime(e.at)}</td>
    <td data-label=${LABELS[1]}>${e.action}</td>
    <td data-label=${LABELS[2]}>${targetCell(e.target)}</td>
    <td data-label=${LABELS[3]} class="by">${e.by}</td>
    <td data-label=${LABELS[4]}>${e.sourceIp ?? '-'}</td>
    <td data-label=${LABELS[5]} class="change">${changeText(e)}</td>
  </tr>`;

/** The query the view asks `GET /v1/audit` (without the cursor): its target filter, when set. */
export function auditQuery(): URLSearchParams {
  const q = new URLSearchParams({ limit: String(PAGE_ROWS) });
  const target = byId<HTMLInputElement>('au-target').value.trim();
  if (target) q.set('target', target);
  return q;
}

export function renderAudit(): void {
  const entries = app.audit?.query === auditQuery().toString() ? app.audit.entries : undefined;
  setText(
    byId('audit-count'),
    entries === undefined
      ? 'loading the trail…'
      : `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, newest first${app.audit?.cursor ? ', more to load' : ''}`,
  );
  show(byId('audit-empty'), entries !== undefined && entries.length === 0);
  show(byId('audit-more'), app.audit?.cursor !== undefined);
  draw(
    byId('t-audit-body'),
    (entries ?? []).map((e) => html`<${EntryRow} key=${e.id} entry=${e} />`),
  );
}

/** The audit view's filter and its "load more", wired once. */
export function wireAudit(): void {
  const target = byId<HTMLInputElement>('au-target');
  byId('au-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    if (target.value.trim()) q.set('target', target.value.trim());
    history.replaceState(null, '', `#audit${q.size ? `?${q}` : ''}`);
    app.auditPages = 1;
    renderAudit();
    void refresh();
  });
  // Scrolling to the end of the trail loads more, as the button does.
  wireMore(
    byId('audit-more'),
    () => {
      if (app.audit?.cursor === undefined) return;
      app.auditPages += 1;
      void refresh();
    },
    refreshing,
  );
}
