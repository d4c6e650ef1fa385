import type { AgentPage, AgentView, Answer, AuditAnswer } from '../../lambda/api/contract';
import { followCursors } from '../pages';
import { type ApiFailure, api, enc, everyAgent } from './api';
import { byId, choose, setAttr, setText, show } from './dom';
import { fmtAge } from './format';
import { app, PAGE_ROWS, REFRESH_MS, TITLES, VIEWS } from './state';
import type { ConsoleStatus } from './types';
import { renderDetail } from './views/agent';
import { renderAgents } from './views/agents';
import { alertQuery, renderAlerts } from './views/alerts';
import { auditQuery, renderAudit } from './views/audit';
import { renderBehind, renderChrome, setError, showTokenButton } from './views/chrome';
import { renderClusters } from './views/clusters';
import { renderOverview } from './views/overview';
import { renderPending } from './views/pending';

/** Reading the watcher and drawing the view the address names: every 5 s, after each action, on each route. */

let painted = false;
let refreshCount = 0;
let busy = false;
let again = false;
let timer: ReturnType<typeof setTimeout> | undefined;

/** A refresh is under way. */
export const refreshing = () => busy;

export function focusHeading(): void {
  document.querySelector<HTMLElement>(`#v-${app.view} h2`)?.focus({ preventScroll: false });
}

export function renderView(): void {
  if (app.view === 'agents') renderAgents();
  else if (app.view === 'clusters') renderClusters();
  else if (app.view === 'pending') renderPending();
  else if (app.view === 'alerts') renderAlerts();
  else if (app.view === 'audit') renderAudit();
  else if (app.view === 'agent') renderDetail();
}

async function loadView(): Promise<void> {
  if (app.view === 'agents') {
    const query = agentsQuery();
    let pages = 0;
    app.agents = await followCursors('agents', async (cursor) => {
      const q = new URLSearchParams(query);
      if (cursor) q.set('cursor', cursor);
      const page = await api<AgentPage>('GET', `/v1/agents?${q}`);
      pages += 1;
      app.agentsCursor = page.cursor;
      // The pages read so far, and more while a page comes back empty (a filter kept none of what
      // it read), at most ten: each reads PAGE_ROWS items of the table, whatever it keeps.
      const enough = pages >= app.agentPages && (page.agents.length > 0 || pages >= app.agentPages + 9);
      return enough ? { agents: page.agents } : page;
    });
    app.agentPages = Math.max(app.agentPages, pages);
  } else if (app.view === 'clusters') {
    app.agents = await everyAgent();
  } else if (app.view === 'pending') {
    // One read of the fleet serves both lists: each filter would read the whole table again.
    const all = await everyAgent();
    app.pendingAgents = all.filter((a) => a.state === 'pending');
    app.rejectedAgents = all.filter((a) => a.state === 'rejected');
  } else if (app.view === 'alerts') {
    if (byId<HTMLSelectElement>('a-status').value !== 'open') {
      const query = alertQuery();
      app.alertList = {
        query,
        alerts: (await api<Answer<'GET /v1/alerts'>>('GET', `/v1/alerts?${query}`)).alerts,
      };
    }
  } else if (app.view === 'audit') {
    const query = auditQuery();
    let pages = 0;
    let cursor: string | undefined;
    const entries = await followCursors('entries', async (after) => {
      const q = new URLSearchParams(query);
      if (after) q.set('cursor', after);
      const page = await api<AuditAnswer>('GET', `/v1/audit?${q}`);
      pages += 1;
      cursor = page.cursor;
      return pages >= app.auditPages ? { entries: page.entries } : page;
    });
    app.audit = { query: query.toString(), entries, cursor };
  } else if (app.view === 'agent') {
    const agentId = app.detailId;
    const agentOrNull = (id: string) =>
      api<AgentView>('GET', `/v1/agents/${enc(id)}`).catch((e: ApiFailure) => {
        if (e.status === 404) return null;
        throw e;
      });
    const [agent, history, behind] = await Promise.all([
      agentOrNull(agentId),
      api<Answer<'GET /v1/alerts'>>('GET', `/v1/alerts?status=all&agentId=${enc(agentId)}`),
      everyAgent(`&parent=${enc(agentId)}`),
    ]);
    const parent = agent?.parent === undefined ? undefined : await agentOrNull(agent.parent);
    // A watcher older than the parent filter answers every agent: keep those behind this one.
    const children = behind.filter((a) => a.parent === agentId);
    if (agentId === app.detailId) app.detail = { agentId, agent, alerts: history.alerts, parent, children };
  }
}

/** The agents view's filters the watcher applies (a page of at most PAGE_ROWS agents); the text search and "(none)" stay here. */
function agentsQuery(): URLSearchParams {
  const q = new URLSearchParams({ limit: String(PAGE_ROWS) });
  for (const key of ['group', 'cluster', 'parent', 'state']) {
    const value = byId<HTMLSelectElement>(`f-${key}`).value;
    if (value && value !== '-') q.set(key, value);
  }
  return q;
}

export async function refresh(): Promise<void> {
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  clearTimeout(timer);
  // Numbered, so a test (or a curious operator) can wait for a refresh that started after an action.
  const n = ++refreshCount;
  document.documentElement.dataset.refreshing = String(n);
  try {
    const sent = Date.now();
    const [s, open] = await Promise.all([
      api<ConsoleStatus>('GET', '/v1/status'),
      api<Answer<'GET /v1/alerts'>>('GET', '/v1/alerts?status=open'),
    ]);
    app.offset = Date.parse(s.serverTime) - (sent + Date.now()) / 2;
    if (app.status?.lastScanAt && s.lastScanAt && s.lastScanAt !== app.status.lastScanAt) {
      const seconds = Math.round((Date.parse(s.lastScanAt) - Date.parse(app.status.lastScanAt)) / 1000);
      if (seconds > 0) app.observedTickSeconds = Math.min(app.observedTickSeconds ?? seconds, seconds);
    }
    app.status = s;
    app.openAlerts = open.alerts;
    app.needToken = false;
    setError('');
    renderChrome();
    renderOverview();
    if (!painted) {
      painted = true;
      byId('v-overview').classList.remove('loading');
      performance.mark('hbw-overview');
      document.documentElement.dataset.ready = 'overview';
    }
    await loadView();
    renderView();
  } catch (e) {
    const failure = e as ApiFailure;
    app.needToken = failure.status === 401;
    setError(
      app.needToken
        ? 'This watcher needs its admin token (HBW_ADMIN_TOKEN) for admin calls.'
        : app.status
          ? `Cannot refresh: ${failure.message}. Showing what was last seen, ${fmtAge(app.status.serverTime)}.`
          : `The console cannot load: ${failure.message}`,
    );
    showTokenButton();
    renderView();
  } finally {
    document.documentElement.dataset.refreshed = String(n);
    busy = false;
    // A tab in the background asks nothing (every refresh reads the whole fleet); it catches up when shown.
    timer = setTimeout(() => {
      if (!document.hidden) void refresh();
    }, REFRESH_MS);
    if (again) {
      again = false;
      void refresh();
    }
  }
}

export function route(initial = false): void {
  const hash = location.hash.replace(/^#\/?/, '');
  const cut = hash.indexOf('?');
  const path = cut < 0 ? hash : hash.slice(0, cut);
  const params = new URLSearchParams(cut < 0 ? '' : hash.slice(cut + 1));
  if (path.startsWith('agent/')) {
    app.view = 'agent';
    app.detailId = decodeURIComponent(path.slice('agent/'.length));
  } else app.view = VIEWS.includes(path) && path !== 'agent' ? path : 'overview';
  if (app.view === 'agents') {
    byId<HTMLInputElement>('f-q').value = params.get('q') ?? '';
    for (const key of ['group', 'cluster', 'parent', 'state']) {
      choose(byId(`f-${key}`), params.get(key) ?? '');
    }
    app.limit = PAGE_ROWS;
    app.agentPages = 1;
  }
  if (app.view === 'audit') {
    byId<HTMLInputElement>('au-target').value = params.get('target') ?? '';
    app.auditPages = 1;
  }
  if (app.view === 'alerts') {
    byId<HTMLSelectElement>('a-status').value = params.get('status') ?? 'open';
    for (const key of ['group', 'cluster']) choose(byId(`a-${key}`), params.get(key) ?? '');
  }
  for (const name of VIEWS) show(byId(`v-${name}`), name === app.view);
  for (const link of Array.from(document.querySelectorAll<HTMLElement>('nav a[data-view]'))) {
    const current =
      link.dataset.view === app.view || (app.view === 'agent' && link.dataset.view === 'agents');
    setAttr(link, 'aria-current', current ? 'page' : undefined);
  }
  document.title = `${app.view === 'agent' ? app.detailId : TITLES[app.view]} · heartbeat-watcher`;
  renderView();
  if (!initial) focusHeading();
  void refresh();
}

export function tick(): void {
  for (const node of Array.from(document.querySelectorAll<HTMLElement>('.age[data-t]'))) {
    // The text node itself, which Preact keeps as its own: replacing it would leave Preact a stale one.
    const text = fmtAge(node.dataset.t);
    if (node.firstChild instanceof Text) {
      if (node.firstChild.data !== text) node.firstChild.data = text;
    } else setText(node, text);
  }
  renderBehind();
}
