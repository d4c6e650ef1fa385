import { html } from 'htm/preact';
import type { AgentView } from '../../../lambda/api/contract';
import { STATE_DISPLAY_ORDER } from '../../../lambda/domain/agent-states';
import { byId, draw, setAttr, setText, show, syncOptions, wireMore } from '../dom';
import { byState, cmp, fmtTime, skewText } from '../format';
import { refresh, refreshing } from '../refresh';
import { app, LOSS_WARNING_PERCENT, PAGE_ROWS } from '../state';
import { Age, AgentLink, StateBadge } from './parts';

/** The agents view: the fleet a page at a time, filtered and sorted, more as the operator scrolls. */

const ageOf = (a: AgentView) =>
  a.lastHeartbeatAt ? -Date.parse(a.lastHeartbeatAt) : Number.POSITIVE_INFINITY;
const SORTS: Record<string, (a: AgentView, b: AgentView) => number> = {
  agentId: (a, b) => cmp(a.agentId, b.agentId),
  group: (a, b) => cmp(a.group, b.group),
  cluster: (a, b) => cmp(a.cluster ?? '', b.cluster ?? ''),
  parent: (a, b) => cmp(a.parent ?? '', b.parent ?? ''),
  state: byState,
  lastHeartbeatAt: (a, b) => ageOf(a) - ageOf(b) || 0,
  missedScans: (a, b) => a.missedScans - b.missedScans,
  lossLastHourPercent: (a, b) => (a.lossLastHourPercent ?? 0) - (b.lossLastHourPercent ?? 0),
  clockSkewSeconds: (a, b) => Math.abs(a.clockSkewSeconds ?? 0) - Math.abs(b.clockSkewSeconds ?? 0),
  endpoint: (a, b) => cmp(a.endpoint ?? '', b.endpoint ?? ''),
  version: (a, b) => cmp(a.version ?? '', b.version ?? ''),
};

function filteredAgents(): AgentView[] {
  const q = byId<HTMLInputElement>('f-q').value.trim().toLowerCase();
  const group = byId<HTMLSelectElement>('f-group').value;
  const cluster = byId<HTMLSelectElement>('f-cluster').value;
  const parent = byId<HTMLSelectElement>('f-parent').value;
  const state = byId<HTMLSelectElement>('f-state').value;
  const compare = SORTS[app.sortKey] ?? SORTS.agentId!;
  return (app.agents ?? [])
    .filter(
      (a) =>
        (!q || a.agentId.toLowerCase().includes(q)) &&
        (!group || a.group === group) &&
        (!cluster || (cluster === '-' ? !a.cluster : a.cluster === cluster)) &&
        (!parent || (parent === '-' ? !a.parent : a.parent === parent)) &&
        (!state || a.state === state),
    )
    .sort((a, b) => app.sortDir * compare(a, b) || cmp(a.agentId, b.agentId));
}

export function renderAgents(): void {
  const groups = Object.keys(app.status?.groups ?? {});
  for (const a of app.agents ?? []) if (!groups.includes(a.group)) groups.push(a.group);
  syncOptions(byId('f-group'), groups.sort(), 'all groups');
  const clusters = [...new Set((app.agents ?? []).map((a) => a.cluster ?? '-'))].sort();
  syncOptions(byId('f-cluster'), clusters, 'all clusters');
  const parents = [...new Set((app.agents ?? []).map((a) => a.parent ?? '-'))].sort();
  syncOptions(byId('f-parent'), parents, 'any parent');
  for (const th of Array.from(document.querySelectorAll<HTMLElement>('#t-agents th[data-sort]'))) {
    const key = th.dataset.sort ?? '';
    setAttr(
      th,
      'aria-sort',
      key === app.sortKey ? (app.sortDir > 0 ? 'ascending' : 'descending') : undefined,
    );
  }
  byId<HTMLSelectElement>('f-sort').value = `${app.sortKey}:${app.sortDir}`;
  if (!app.agents) {
    setText(byId('agents-count'), 'loading agents…');
    return;
  }
  const list = filteredAgents();
  const shown = list.slice(0, app.limit);
  setText(
    byId('agents-count'),
    `${list.length === app.agents.length ? `${app.agents.length}` : `${list.length} of ${app.agents.length}`} agents` +
      (shown.length < list.length ? ` (showing ${shown.length})` : '') +
      (app.agentsCursor === undefined ? '' : ', more to load'),
  );
  const more = byId('agents-more');
  show(more, shown.length < list.length || app.agentsCursor !== undefined);
  setText(
    more,
    shown.length < list.length
      ? `Show ${Math.min(PAGE_ROWS, list.length - shown.length)} more`
      : 'Load more agents',
  );
  show(byId('agents-empty'), list.length === 0);
  draw(
    byId('t-agents-body'),
    shown.map((a) => html`<${AgentRow} key=${a.agentId} agent=${a} />`),
  );
}

/** One agent's row. */
function AgentRow({ agent: a }: { agent: AgentView }) {
  // A network that loses this much is trouble before it is an outage.
  const lossy = (a.lossLastHourPercent ?? 0) >= LOSS_WARNING_PERCENT;
  // Away says until when, as the CLI's list does.
  const stateText = a.state === 'away' && a.awayUntil ? `away to ${fmtTime(a.awayUntil)}` : a.state;
  return html`<tr data-key=${a.agentId}>
    <td data-label="agent"><${AgentLink} agentId=${a.agentId} /></td>
    <td data-label="group">${a.group}</td>
    <td data-label="cluster">${a.cluster ?? '-'}</td>
    <td data-label="parent">${a.parent === undefined ? '-' : html`<${AgentLink} agentId=${a.parent} />`}</td>
    <td data-label="state">
<${StateBadge} state=${a.state} text=${stateText} />
    </td>
    <td data-label="last heartbeat"><${Age} iso=${a.lastHeartbeatAt} never="never" /></td>
    <td data-label="missed scans" class="num">${String(a.missedScans)}</td>
    <td
      data-label="heartbeats lost over the last hour"
      class=${lossy ? 'num warn' : 'num'}
      title=${lossy ? `${a.lostHeartbeats} lost this boot: check the network path` : undefined}
    >${a.lossLastHourPercent === undefined ? '-' : `${a.lossLastHourPercent}%`}</td>
    <td
      data-label="clock skew"
      class=${a.clockSkewWarning ? 'warn' : undefined}
      title=${a.clockSkewWarning ? 'more than 5 minutes apart: check NTP on the agent' : undefined}
    >${skewText(a)}</td>
    <td data-label="endpoint" class="url">${a.endpoint ?? '-'}</td>
    <td data-label="version">${a.version ?? '-'}</td>
  </tr>`;
}

function filtersToHash(): void {
  const q = new URLSearchParams();
  for (const [key, id] of [
    ['q', 'f-q'],
    ['group', 'f-group'],
    ['cluster', 'f-cluster'],
    ['parent', 'f-parent'],
    ['state', 'f-state'],
  ] as const) {
    const value = byId<HTMLInputElement>(id).value;
    if (value) q.set(key, value);
  }
  const text = q.toString();
  history.replaceState(null, '', `#agents${text ? `?${text}` : ''}`);
}

/** The agents view's filters, sort and paging, wired once. */
export function wireAgents(): void {
  byId('f-q').addEventListener('input', () => {
    app.limit = PAGE_ROWS;
    filtersToHash();
    renderAgents();
  });
  for (const id of ['f-group', 'f-cluster', 'f-parent', 'f-state']) {
    byId(id).addEventListener('change', () => {
      app.limit = PAGE_ROWS;
      // The watcher filters: read again from the first page.
      app.agentPages = 1;
      filtersToHash();
      renderAgents();
      void refresh();
    });
  }
  byId('f-filters').addEventListener('submit', (event) => event.preventDefault());
  syncOptions(byId('f-state'), STATE_DISPLAY_ORDER, 'all states');
  byId('f-sort').addEventListener('change', () => {
    const [key = 'agentId', dir = '1'] = byId<HTMLSelectElement>('f-sort').value.split(':');
    app.sortKey = key;
    app.sortDir = Number(dir) || 1;
    renderAgents();
  });
  for (const th of Array.from(document.querySelectorAll<HTMLElement>('#t-agents th[data-sort]'))) {
    th.querySelector('button')!.addEventListener('click', () => {
      const key = th.dataset.sort ?? 'agentId';
      app.sortDir = key === app.sortKey ? -app.sortDir : 1;
      app.sortKey = key;
      renderAgents();
    });
  }
  const more = byId('agents-more');
  const showMore = () => {
    if (filteredAgents().length > app.limit) {
      app.limit += PAGE_ROWS;
      renderAgents();
    } else if (app.agentsCursor !== undefined) {
      app.limit += PAGE_ROWS;
      app.agentPages += 1;
      void refresh();
    }
  };
  // Scrolling to the end of the list loads more, as the button does.
  wireMore(more, showMore, refreshing);
}
