import type { AgentView } from '../../lambda/domain/agent';
import type { AlertView } from '../../lambda/domain/alert';
import type { scanLag } from '../../lambda/domain/scan';

/** One group's settings as the console reads them from `GET /v1/status` `config.groups`, when reported. */
export interface ReportedGroupConfig {
  readonly channels?: readonly string[];
  readonly autoApprove?: boolean;
  readonly heartbeatIntervalSeconds?: number;
  readonly scanIntervalSeconds?: number;
  readonly missedScansBeforeAlert?: number;
  readonly renotifyMinutes?: number;
  readonly agentlessEveryNScans?: number;
}

/** The config in effect, as the console reads it from `GET /v1/status` `config`, when reported. */
export interface ReportedConfig {
  /** How often the scanner runs: the smallest scan interval of the top level and the groups. */
  readonly scanTickSeconds?: number;
  readonly stormFraction?: number;
  readonly stormMinAgents?: number;
  readonly resolvedAlertRetentionDays?: number;
  readonly groups?: Readonly<Record<string, ReportedGroupConfig>>;
}

/** `GET /v1/status`. */
export interface ConsoleStatus {
  readonly version: string;
  readonly serverTime: string;
  readonly lastScanAt: string | null;
  readonly agents: number;
  readonly openAlerts: number;
  readonly groups: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly config?: ReportedConfig;
}

/** The watcher's own rules the page applies, inlined from lambda/domain beside it (each self-contained). */
export interface ConsoleRules {
  readonly scanLag: typeof scanLag;
}

/**
 * The operator console, run in the browser. The page inlines this function's source
 * (`consoleApp.toString()`), so it must stay self-contained: no reference to anything outside it
 * but the browser's globals and `rules` (type imports are erased and fine).
 *
 * Every refresh updates the DOM in place (rows keyed by id, text set only when it changed), so
 * scroll position, focus and open dialogs survive it.
 */
export function consoleApp(rules: ConsoleRules): void {
  const REFRESH_MS = 5000;
  const PAGE_ROWS = 100;
  const GROUP_CONCURRENCY = 8;
  /** DESIGN.md's default scan interval, used when the watcher neither reports its own nor has been seen to scan twice. */
  const DEFAULT_SCAN_SECONDS = 30;
  const STATES = ['healthy', 'late', 'failed', 'unreachable', 'maintenance', 'pending', 'new'];
  const ALL_STATES = [...STATES, 'rejected'];
  const RANK: Record<string, number> = {
    unreachable: 0,
    failed: 1,
    late: 2,
    pending: 3,
    new: 4,
    maintenance: 5,
    healthy: 6,
    rejected: 7,
  };
  const TOKEN_KEY = 'hbw.adminToken';
  const BY_KEY = 'hbw.operator';
  const VIEWS = ['overview', 'agents', 'pending', 'alerts', 'agent'];
  const TITLES: Record<string, string> = {
    overview: 'Overview',
    agents: 'Agents',
    pending: 'Pending',
    alerts: 'Alerts',
    agent: 'Agent',
  };

  type ApiFailure = Error & { status: number; code: string };
  type Attrs = Record<string, string>;
  type Child = Node | string;
  type MaintTarget = { kind: 'agent'; agentId: string } | { kind: 'group'; group: string };

  // ---- small DOM helpers -------------------------------------------------------------------

  const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
    const found = document.getElementById(id);
    if (!found) throw new Error(`console page: no #${id}`);
    return found as T;
  };

  function h<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    attrs: Attrs = {},
    ...children: Child[]
  ): HTMLElementTagNameMap[K] {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  function setText(node: Element, text: string): void {
    if (node.textContent !== text) node.textContent = text;
  }

  function setAttr(node: Element, name: string, value: string | undefined): void {
    if (value === undefined) {
      if (node.hasAttribute(name)) node.removeAttribute(name);
    } else if (node.getAttribute(name) !== value) node.setAttribute(name, value);
  }

  function show(node: HTMLElement, visible: boolean): void {
    if (node.hidden === visible) node.hidden = !visible;
  }

  /** Replaces `node`'s children with one line each, only when the lines changed. */
  function setLines(node: HTMLElement, lines: readonly string[]): void {
    const joined = lines.join('\n');
    if (node.dataset.v === joined) return;
    node.dataset.v = joined;
    node.replaceChildren(...lines.map((line) => h('div', {}, line)));
  }

  /**
   * Makes `parent`'s children the rendering of `items`, in order, reusing the element of each key:
   * new keys are made, gone ones removed, and nothing is rebuilt that can be updated.
   */
  function sync<T>(
    parent: HTMLElement,
    items: readonly T[],
    key: (item: T) => string,
    make: (item: T) => HTMLElement,
    update: (node: HTMLElement, item: T) => void,
  ): void {
    const focused = document.activeElement;
    const old = new Map<string, HTMLElement>();
    for (const child of Array.from(parent.children) as HTMLElement[]) old.set(child.dataset.key ?? '', child);
    let previous: Element | null = null;
    for (const item of items) {
      const k = key(item);
      let node = old.get(k);
      if (node) old.delete(k);
      else {
        node = make(item);
        node.dataset.key = k;
      }
      update(node, item);
      const expected: Element | null = previous ? previous.nextElementSibling : parent.firstElementChild;
      if (expected !== node) parent.insertBefore(node, expected);
      previous = node;
    }
    for (const node of old.values()) node.remove();
    // Moving a row that holds the focus blurs it: give it back.
    if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) {
      focused.focus({ preventScroll: true });
    }
  }

  // ---- time ----------------------------------------------------------------------------------

  /** The watcher's clock minus this browser's, from the last status answer. */
  let offset = 0;
  /** Shows `rows` as the term and value pairs of the `<dl>` `list`; `warn` marks a row by its term. */
  function syncTerms(
    list: HTMLElement,
    rows: readonly (readonly [string, string])[],
    warn: (term: string) => boolean = () => false,
  ): void {
    sync(
      list,
      rows,
      (r) => r[0],
      () => h('div', {}, h('dt'), h('dd')),
      (node, [term, value]) => {
        setText(node.querySelector('dt')!, term);
        setText(node.querySelector('dd')!, value);
        node.classList.toggle('warn', warn(term));
      },
    );
  }

  const serverNow = () => Date.now() + offset;

  function fmtTime(iso: string | undefined | null): string {
    if (!iso) return '-';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  }

  function fmtDuration(ms: number): string {
    const s = Math.max(0, Math.floor(ms / 1000));
    const two = (n: number) => String(n).padStart(2, '0');
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
    if (s < 86_400) return `${Math.floor(s / 3600)}h ${two(Math.floor((s % 3600) / 60))}m`;
    return `${Math.floor(s / 86_400)}d ${two(Math.floor((s % 86_400) / 3600))}h`;
  }

  const fmtAge = (iso: string | undefined | null) =>
    iso ? `${fmtDuration(serverNow() - Date.parse(iso))} ago` : '-';

  /** An element whose text is the age of `iso`, kept ticking by `tick()`. */
  function setAge(node: HTMLElement, iso: string | undefined | null, never = '-'): void {
    setAttr(node, 'data-t', iso ?? undefined);
    setAttr(node, 'title', iso ? fmtTime(iso) : undefined);
    setText(node, iso ? fmtAge(iso) : never);
    node.classList.add('age');
  }

  const toInput = (ms: number) => new Date(ms).toISOString().slice(0, 16);
  const fromInput = (value: string) => Date.parse(`${value}${value.length === 16 ? ':00' : ''}Z`);

  // ---- the API ---------------------------------------------------------------------------------

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', 'x-hbw-console': '1' };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const fail = (status: number, code: string, message: string): ApiFailure =>
      Object.assign(new Error(message), { status, code });
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw fail(0, 'unreachable', 'no answer from the console server (is it still running?)');
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!res.ok) {
      const error = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw fail(res.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${res.status}`);
    }
    return data as T;
  }

  const enc = encodeURIComponent;
  const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

  // ---- state -------------------------------------------------------------------------------------

  let status: ConsoleStatus | undefined;
  let openAlerts: AlertView[] = [];
  let agents: AgentView[] | undefined;
  let pendingAgents: AgentView[] | undefined;
  let rejectedAgents: AgentView[] = [];
  let alertList: { query: string; alerts: AlertView[] } | undefined;
  let detail: { agentId: string; agent: AgentView | null; alerts: AlertView[] } | undefined;
  let view = 'overview';
  let detailId = '';
  let sortKey = 'agentId';
  let sortDir = 1;
  let limit = PAGE_ROWS;
  let observedTickSeconds: number | undefined;
  let painted = false;
  let refreshCount = 0;
  let busy = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let needToken = false;
  let toastTimer: ReturnType<typeof setTimeout> | undefined;

  // ---- chrome: header, banner, toast ---------------------------------------------------------

  function toast(text: string, bad = false): void {
    const node = byId('toast');
    node.classList.toggle('bad', bad);
    node.textContent = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      node.textContent = '';
    }, 8000);
  }

  function setError(text: string): void {
    const box = byId('error');
    setText(byId('error-text'), text);
    show(byId('token-ask'), needToken);
    show(box, text !== '');
  }

  /** Seconds between scans: reported by the watcher, else seen between two refreshes, else the default. */
  function scanTick(): { seconds: number; source: 'reported' | 'observed' | 'assumed' } {
    const reported = status?.config?.scanTickSeconds;
    if (reported) return { seconds: reported, source: 'reported' };
    if (observedTickSeconds) return { seconds: observedTickSeconds, source: 'observed' };
    return { seconds: DEFAULT_SCAN_SECONDS, source: 'assumed' };
  }

  function renderBehind(): void {
    const box = byId('behind');
    if (!status) {
      show(box, false);
      return;
    }
    const tick = scanTick();
    let text = '';
    if (status.lastScanAt === null) {
      text = 'The watcher has not scanned yet: no agent is being judged. Is the scanner running?';
    } else {
      const lastScan = Date.parse(status.lastScanAt);
      // Judged as of the answer: until the next refresh the page cannot know of a newer scan.
      const judged = rules.scanLag(lastScan, Date.parse(status.serverTime), tick.seconds);
      if (judged.behind) {
        const { ageMs } = rules.scanLag(lastScan, serverNow(), tick.seconds);
        const age = ageMs < 10_000 ? `${(ageMs / 1000).toFixed(1)}s` : fmtDuration(ageMs);
        text =
          `The watcher is behind: its last scan was ${age} ago, more than three scan ` +
          `intervals (${judged.limitMs / 1000}s${tick.source === 'reported' ? '' : `, ${tick.source}`}). ` +
          'Agents are not being judged and no alert can open until it scans again.';
      }
    }
    setText(byId('behind-text'), text);
    show(box, text !== '');
  }

  function renderChrome(): void {
    if (!status) return;
    const pending = Object.values(status.groups).reduce((n, c) => n + (c.pending ?? 0), 0);
    const pendingBadge = byId('nav-pending-count');
    setText(pendingBadge, String(pending));
    show(pendingBadge, pending > 0);
    const alertsBadge = byId('nav-alerts-count');
    setText(alertsBadge, String(openAlerts.length));
    show(alertsBadge, openAlerts.length > 0);
    setText(byId('meta-version'), status.version);
    setAge(byId('meta-scan'), status.lastScanAt, 'never');
    show(byId('token-open'), needToken || sessionStorage.getItem(TOKEN_KEY) !== null);
    renderBehind();
  }

  // ---- overview --------------------------------------------------------------------------------

  function renderOverview(): void {
    if (!status) return;
    const s = status;
    setText(byId('o-version'), s.version);
    setText(byId('o-time'), fmtTime(s.serverTime));
    setAge(byId('o-scan'), s.lastScanAt, 'never');
    const tick = scanTick();
    setText(
      byId('o-interval'),
      `${tick.seconds}s${tick.source === 'reported' ? '' : tick.source === 'observed' ? ' (seen between scans)' : ' (assumed: the watcher does not report it)'}`,
    );
    setText(byId('o-agents'), String(s.agents));
    setText(byId('o-alerts'), String(openAlerts.length));
    const openByGroup = new Map<string, number>();
    for (const a of openAlerts) openByGroup.set(a.group, (openByGroup.get(a.group) ?? 0) + 1);
    sync(
      byId('o-groups'),
      Object.keys(s.groups),
      (g) => g,
      (g) => {
        const maintain = h('button', { type: 'button', 'data-act': 'group-maint' }, 'Maintenance…');
        maintain.addEventListener('click', () => openMaintenance({ kind: 'group', group: g }, maintain));
        const end = h('button', { type: 'button', 'data-act': 'group-maint-end' }, 'End maintenance');
        end.addEventListener('click', () => void endGroupMaintenance(g, end));
        const counts = h('ul', { class: 'counts' });
        for (const state of ALL_STATES) {
          counts.append(
            h(
              'li',
              { 'data-state': state },
              h(
                'a',
                { class: `chip st-${state}`, href: `#agents?group=${enc(g)}&state=${state}` },
                h('b', {}, '0'),
                ` ${state}`,
              ),
            ),
          );
        }
        return h(
          'article',
          { class: 'card group', 'aria-label': `group ${g}` },
          h(
            'h3',
            {},
            h('a', { href: `#agents?group=${enc(g)}` }, g),
            ' ',
            h('span', { class: 'muted chan' }),
          ),
          counts,
          h(
            'p',
            {},
            h('a', { class: 'open-alerts', href: `#alerts?group=${enc(g)}` }),
            ' ',
            h('span', { class: 'muted cfg' }),
          ),
          h('div', { class: 'actions' }, maintain, end),
        );
      },
      (card, g) => {
        const counts = s.groups[g] ?? {};
        for (const li of Array.from(card.querySelectorAll<HTMLElement>('li[data-state]'))) {
          const state = li.dataset.state ?? '';
          const n = counts[state] ?? 0;
          setText(li.querySelector('b')!, String(n));
          li.classList.toggle('zero', n === 0);
          show(li, state !== 'rejected' || n > 0);
        }
        const open = openByGroup.get(g) ?? 0;
        const link = card.querySelector<HTMLElement>('.open-alerts')!;
        setText(link, `${open} open alert${open === 1 ? '' : 's'}`);
        link.classList.toggle('bad', open > 0);
        const cfg = s.config?.groups?.[g];
        setText(
          card.querySelector('.chan')!,
          cfg?.channels ? channelsText(cfg.channels) : channelsSeen(g) ? channelsText(channelsSeen(g)!) : '',
        );
        setText(
          card.querySelector('.cfg')!,
          cfg
            ? `heartbeat ${cfg.heartbeatIntervalSeconds}s · scan ${cfg.scanIntervalSeconds}s · alert after ${cfg.missedScansBeforeAlert} missed`
            : '',
        );
        show(card.querySelector<HTMLElement>('[data-act=group-maint-end]')!, (counts.maintenance ?? 0) > 0);
      },
    );
    renderAttention();
    renderConfig();
  }

  /** What an operator should look at first: open alerts nobody acknowledged, late agents, pending ones. */
  function renderAttention(): void {
    if (!status) return;
    const total = (state: string) =>
      Object.values(status?.groups ?? {}).reduce((n, counts) => n + (counts[state] ?? 0), 0);
    const unacked = openAlerts.filter((a) => !a.acknowledgedAt);
    type Item = { key: string; href: string; text: string; bad?: boolean };
    const items: Item[] = unacked.slice(0, 5).map((a) => ({
      key: `alert:${a.alertId}`,
      href:
        a.agentIds && a.agentIds.length > 0 ? `#alerts?group=${enc(a.group)}` : `#agent/${enc(a.agentId)}`,
      text: `${a.severity} ${a.kind.replace(/_/g, ' ')}: ${a.agentId} (${a.group}), ${fmtAge(a.openedAt)}`,
      bad: true,
    }));
    if (unacked.length > 5)
      items.push({ key: 'more', href: '#alerts', text: `${unacked.length - 5} more open alerts` });
    const acked = openAlerts.length - unacked.length;
    if (acked > 0) {
      items.push({
        key: 'acked',
        href: '#alerts',
        text: `${acked} open alert${acked === 1 ? '' : 's'} acknowledged`,
      });
    }
    for (const [state, words] of [
      ['unreachable', 'unreachable'],
      ['failed', 'failed'],
      ['late', 'late (no alert yet)'],
      ['pending', 'waiting for approval'],
    ] as const) {
      const n = total(state);
      if (n === 0) continue;
      items.push({
        key: state,
        href: state === 'pending' ? '#pending' : `#agents?state=${state}`,
        text: `${n} agent${n === 1 ? '' : 's'} ${words}`,
        bad: state !== 'pending' && state !== 'late',
      });
    }
    show(byId('o-calm'), items.length === 0);
    sync(
      byId('o-attention'),
      items,
      (i) => i.key,
      () => h('li', {}, h('a', {})),
      (li, i) => {
        const link = li.firstElementChild as HTMLAnchorElement;
        setAttr(link, 'href', i.href);
        setText(link, i.text);
        link.classList.toggle('bad', i.bad === true);
      },
    );
  }

  /** The channels of a group as its alerts recorded them, when the watcher does not report its config. */
  function channelsSeen(group: string): readonly string[] | undefined {
    return openAlerts.find((a) => a.group === group)?.channels;
  }

  function channelsText(channels: readonly string[]): string {
    const paged = channels.filter((c) => c !== 'console');
    return paged.length === 0 ? 'console only (recorded, never sent)' : `pages ${paged.join(' + ')}`;
  }

  function renderConfig(): void {
    const cfg = status?.config;
    show(byId('o-config-missing'), !cfg);
    show(byId('o-config'), !!cfg);
    if (!cfg) return;
    const rows: [string, string][] = [];
    if (cfg.scanTickSeconds !== undefined) rows.push(['scanner runs every', `${cfg.scanTickSeconds}s`]);
    if (cfg.stormFraction !== undefined)
      rows.push([
        'storm guard',
        `more than ${Math.round(cfg.stormFraction * 100)}% of agents, at least ${cfg.stormMinAgents ?? '?'}`,
      ]);
    if (cfg.resolvedAlertRetentionDays !== undefined)
      rows.push(['resolved alerts kept', `${cfg.resolvedAlertRetentionDays} days`]);
    syncTerms(byId('o-config-top'), rows);
    const cell = (v: unknown, unit = '') => (v === undefined ? '-' : `${String(v)}${unit}`);
    sync(
      byId('o-config-groups'),
      Object.entries(cfg.groups ?? {}),
      ([g]) => g,
      () => row(['group', 'channels', 'heartbeat', 'scan', 'alert after', 'renotify', 'auto-approve']),
      (tr, [g, c]) =>
        fill(tr, [
          g,
          c.channels ? c.channels.join(', ') : '-',
          cell(c.heartbeatIntervalSeconds, 's'),
          cell(c.scanIntervalSeconds, 's'),
          cell(c.missedScansBeforeAlert, ' missed'),
          c.renotifyMinutes ? `${c.renotifyMinutes} min` : 'never',
          c.autoApprove ? 'yes' : 'no',
        ]),
    );
  }

  /** A table row of plain cells, labelled for the phone layout. */
  function row(labels: readonly string[]): HTMLTableRowElement {
    return h('tr', {}, ...labels.map((label) => h('td', { 'data-label': label })));
  }

  function fill(tr: HTMLElement, values: readonly string[]): void {
    values.forEach((value, i) => {
      const td = tr.children[i];
      if (td) setText(td, value);
    });
  }

  // ---- agents ----------------------------------------------------------------------------------

  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const ageOf = (a: AgentView) =>
    a.lastHeartbeatAt ? -Date.parse(a.lastHeartbeatAt) : Number.POSITIVE_INFINITY;
  const SORTS: Record<string, (a: AgentView, b: AgentView) => number> = {
    agentId: (a, b) => cmp(a.agentId, b.agentId),
    group: (a, b) => cmp(a.group, b.group),
    cluster: (a, b) => cmp(a.cluster ?? '', b.cluster ?? ''),
    state: (a, b) => (RANK[a.state] ?? 9) - (RANK[b.state] ?? 9),
    lastHeartbeatAt: (a, b) => ageOf(a) - ageOf(b) || 0,
    missedScans: (a, b) => a.missedScans - b.missedScans,
    clockSkewSeconds: (a, b) => Math.abs(a.clockSkewSeconds ?? 0) - Math.abs(b.clockSkewSeconds ?? 0),
    endpoint: (a, b) => cmp(a.endpoint ?? '', b.endpoint ?? ''),
    version: (a, b) => cmp(a.version ?? '', b.version ?? ''),
  };

  function stateBadge(node: HTMLElement, state: string): void {
    setText(node, state);
    const cls = `st st-${state}`;
    if (node.className !== cls) node.className = cls;
  }

  function skewText(a: AgentView): string {
    if (a.clockSkewSeconds === undefined) return '-';
    const s = `${a.clockSkewSeconds > 0 ? '+' : ''}${a.clockSkewSeconds}s`;
    return a.clockSkewWarning ? `${s} ⚠ skew` : s;
  }

  function filteredAgents(): AgentView[] {
    const q = byId<HTMLInputElement>('f-q').value.trim().toLowerCase();
    const group = byId<HTMLSelectElement>('f-group').value;
    const cluster = byId<HTMLSelectElement>('f-cluster').value;
    const state = byId<HTMLSelectElement>('f-state').value;
    const compare = SORTS[sortKey] ?? SORTS.agentId!;
    return (agents ?? [])
      .filter(
        (a) =>
          (!q || a.agentId.toLowerCase().includes(q)) &&
          (!group || a.group === group) &&
          (!cluster || (cluster === '-' ? !a.cluster : a.cluster === cluster)) &&
          (!state || a.state === state),
      )
      .sort((a, b) => sortDir * compare(a, b) || cmp(a.agentId, b.agentId));
  }

  function syncOptions(select: HTMLSelectElement, values: readonly string[], all: string): void {
    const wanted = ['', ...values];
    const current = Array.from(select.options).map((o) => o.value);
    if (current.join('\n') === wanted.join('\n')) return;
    const chosen = select.value;
    select.replaceChildren(
      ...wanted.map((v) => h('option', { value: v }, v === '' ? all : v === '-' ? '(none)' : v)),
    );
    select.value = wanted.includes(chosen) ? chosen : '';
  }

  function renderAgents(): void {
    const groups = Object.keys(status?.groups ?? {});
    for (const a of agents ?? []) if (!groups.includes(a.group)) groups.push(a.group);
    syncOptions(byId('f-group'), groups.sort(), 'all groups');
    const clusters = [...new Set((agents ?? []).map((a) => a.cluster ?? '-'))].sort();
    syncOptions(byId('f-cluster'), clusters, 'all clusters');
    for (const th of Array.from(document.querySelectorAll<HTMLElement>('#t-agents th[data-sort]'))) {
      const key = th.dataset.sort ?? '';
      setAttr(th, 'aria-sort', key === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : undefined);
    }
    byId<HTMLSelectElement>('f-sort').value = `${sortKey}:${sortDir}`;
    if (!agents) {
      setText(byId('agents-count'), 'loading agents…');
      return;
    }
    const list = filteredAgents();
    const shown = list.slice(0, limit);
    setText(
      byId('agents-count'),
      `${list.length === agents.length ? `${agents.length}` : `${list.length} of ${agents.length}`} agents` +
        (shown.length < list.length ? ` (showing ${shown.length})` : ''),
    );
    const more = byId('agents-more');
    show(more, shown.length < list.length);
    setText(more, `Show ${Math.min(PAGE_ROWS, list.length - shown.length)} more`);
    show(byId('agents-empty'), list.length === 0);
    sync(
      byId('t-agents-body'),
      shown,
      (a) => a.agentId,
      () => {
        const tr = row([
          'agent',
          'group',
          'cluster',
          'state',
          'last heartbeat',
          'missed scans',
          'clock skew',
          'endpoint',
          'version',
        ]);
        tr.children[0]!.append(h('a', {}));
        tr.children[3]!.append(h('span', {}));
        tr.children[4]!.append(h('span', {}));
        tr.children[5]!.classList.add('num');
        return tr;
      },
      (tr, a) => {
        const [name, group, cluster, state, beat, missed, skew, endpoint, version] = Array.from(
          tr.children,
        ) as HTMLElement[];
        const link = name!.firstElementChild as HTMLAnchorElement;
        setText(link, a.agentId);
        setAttr(link, 'href', `#agent/${enc(a.agentId)}`);
        setText(group!, a.group);
        setText(cluster!, a.cluster ?? '-');
        stateBadge(state!.firstElementChild as HTMLElement, a.state);
        setAge(beat!.firstElementChild as HTMLElement, a.lastHeartbeatAt, 'never');
        setText(missed!, String(a.missedScans));
        setText(skew!, skewText(a));
        skew!.classList.toggle('warn', a.clockSkewWarning === true);
        setAttr(
          skew!,
          'title',
          a.clockSkewWarning ? 'more than 5 minutes apart: check NTP on the agent' : undefined,
        );
        setText(endpoint!, a.endpoint ?? '-');
        endpoint!.classList.add('url');
        setText(version!, a.version ?? '-');
      },
    );
  }

  function filtersToHash(): void {
    const q = new URLSearchParams();
    for (const [key, id] of [
      ['q', 'f-q'],
      ['group', 'f-group'],
      ['cluster', 'f-cluster'],
      ['state', 'f-state'],
    ] as const) {
      const value = byId<HTMLInputElement>(id).value;
      if (value) q.set(key, value);
    }
    const text = q.toString();
    history.replaceState(null, '', `#agents${text ? `?${text}` : ''}`);
  }

  // ---- pending ---------------------------------------------------------------------------------

  function renderPending(): void {
    const loaded = pendingAgents !== undefined;
    const list = pendingAgents ?? [];
    show(byId('pending-empty'), loaded && list.length === 0);
    show(byId('pending-wrap'), list.length > 0);
    sync(
      byId('t-pending-body'),
      list,
      (a) => a.agentId,
      (a) => {
        const tr = row([
          'agent',
          'group',
          'cluster',
          'registered',
          'last heartbeat',
          'endpoint',
          'version',
          '',
        ]);
        tr.children[0]!.append(h('a', { href: `#agent/${enc(a.agentId)}` }, a.agentId));
        tr.children[4]!.append(h('span', {}));
        const approve = h('button', { type: 'button', class: 'primary', 'data-act': 'approve' }, 'Approve');
        approve.addEventListener('click', () => void setApproval(a.agentId, 'approve', approve));
        const reject = h('button', { type: 'button', class: 'danger', 'data-act': 'reject' }, 'Reject');
        reject.addEventListener('click', () => void setApproval(a.agentId, 'reject', reject));
        approve.setAttribute('aria-label', `Approve ${a.agentId}`);
        reject.setAttribute('aria-label', `Reject ${a.agentId}`);
        tr.children[7]!.append(h('div', { class: 'actions' }, approve, reject));
        return tr;
      },
      (tr, a) => {
        const cells = Array.from(tr.children) as HTMLElement[];
        setText(cells[1]!, a.group);
        setText(cells[2]!, a.cluster ?? '-');
        setText(cells[3]!, fmtTime(a.createdAt));
        setAge(cells[4]!.firstElementChild as HTMLElement, a.lastHeartbeatAt, 'never');
        setText(cells[5]!, a.endpoint ?? '-');
        cells[5]!.classList.add('url');
        setText(cells[6]!, a.version ?? '-');
      },
    );
    show(byId('rejected-section'), rejectedAgents.length > 0);
    sync(
      byId('t-rejected-body'),
      rejectedAgents,
      (a) => a.agentId,
      (a) => {
        const tr = row(['agent', 'group', 'last heartbeat', '']);
        tr.children[0]!.append(h('a', { href: `#agent/${enc(a.agentId)}` }, a.agentId));
        tr.children[2]!.append(h('span', {}));
        const approve = h(
          'button',
          { type: 'button', 'data-act': 'approve', 'aria-label': `Approve ${a.agentId}` },
          'Approve',
        );
        approve.addEventListener('click', () => void setApproval(a.agentId, 'approve', approve));
        tr.children[3]!.append(approve);
        return tr;
      },
      (tr, a) => {
        setText(tr.children[1]!, a.group);
        setAge(tr.children[2]!.firstElementChild as HTMLElement, a.lastHeartbeatAt, 'never');
      },
    );
  }

  async function setApproval(agentId: string, action: 'approve' | 'reject', button: HTMLButtonElement) {
    button.disabled = true;
    try {
      await api('POST', `/v1/agents/${enc(agentId)}/${action}`);
      toast(
        `${agentId} ${action === 'approve' ? 'approved: it is monitored from now on' : 'rejected: its heartbeats are refused'}`,
      );
      pendingAgents = pendingAgents?.filter((a) => a.agentId !== agentId);
      rejectedAgents = rejectedAgents.filter((a) => a.agentId !== agentId || action === 'reject');
      renderView();
      if (!button.isConnected) focusHeading();
    } catch (e) {
      toast(`cannot ${action} ${agentId}: ${messageOf(e)}`, true);
    } finally {
      button.disabled = false;
    }
    await refresh();
  }

  // ---- alerts ----------------------------------------------------------------------------------

  const NOTICE: Record<string, string> = {
    none: 'nothing to send',
    pending: 'pending (the next scan sends it)',
    sending: 'sending',
    failed: 'failed (retried on the next scan)',
    held: 'held (suspected network event)',
    suppressed: 'suppressed (resolved while held)',
  };

  function pagingLines(a: AlertView): string[] {
    const paged = a.channels.filter((c) => c !== 'console');
    if (paged.length === 0) return ['console only', 'recorded here, never sent'];
    const notice = (state: string | undefined, at: string | undefined) =>
      state === 'sent' ? `sent ${at ? fmtTime(at) : ''}`.trim() : (NOTICE[state ?? 'none'] ?? state ?? '-');
    const lines = [paged.join(' + '), `opening: ${notice(a.delivery?.opening, a.notifiedAt)}`];
    if (a.status === 'resolved' || (a.delivery?.recovery && a.delivery.recovery !== 'none')) {
      lines.push(`recovery: ${notice(a.delivery?.recovery, a.recoveryNotifiedAt)}`);
    }
    if (a.lastDeliveryError) lines.push(`last error: ${a.lastDeliveryError}`);
    return lines;
  }

  function renderAlertRows(body: HTMLElement, alerts: readonly AlertView[]): void {
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
          { type: 'button', 'data-act': 'ack', 'aria-label': `Acknowledge ${a.kind} of ${a.agentId}` },
          'Acknowledge…',
        );
        ack.addEventListener('click', () => openAck(a.alertId, ack));
        tr.children[5]!.append(h('div', { class: 'ack-text' }), ack);
        tr.children[6]!.append(h('div', { class: 'lines' }));
        return tr;
      },
      (tr, a) => {
        const [sev, what, group, opened, state, acked, paging] = Array.from(tr.children) as HTMLElement[];
        const badge = sev!.firstElementChild as HTMLElement;
        setText(badge, a.severity);
        const cls = `sev sev-${a.severity}`;
        if (badge.className !== cls) badge.className = cls;
        setText(what!.querySelector('.kind')!, a.kind.replace(/_/g, ' '));
        const link = what!.querySelector('a')!;
        setText(link, a.agentIds && a.agentIds.length > 0 ? `${a.agentIds.length} agents` : a.agentId);
        setAttr(
          link,
          'href',
          a.agentIds && a.agentIds.length > 0 ? `#alerts?group=${enc(a.group)}` : `#agent/${enc(a.agentId)}`,
        );
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
            ? [
                `by ${a.acknowledgedBy ?? '?'} ${fmtTime(a.acknowledgedAt)}`,
                ...(a.note ? [`“${a.note}”`] : []),
              ]
            : a.status === 'open'
              ? []
              : ['-'],
        );
        show(acked!.querySelector<HTMLElement>('[data-act=ack]')!, a.status === 'open' && !a.acknowledgedAt);
        setLines(paging!.firstElementChild as HTMLElement, pagingLines(a));
      },
    );
  }

  function alertQuery(): string {
    const q = new URLSearchParams({ status: byId<HTMLSelectElement>('a-status').value || 'open' });
    const group = byId<HTMLSelectElement>('a-group').value;
    if (group) q.set('group', group);
    return q.toString();
  }

  function currentAlerts(): AlertView[] | undefined {
    const query = alertQuery();
    const group = byId<HTMLSelectElement>('a-group').value;
    if (byId<HTMLSelectElement>('a-status').value === 'open') {
      return openAlerts.filter((a) => !group || a.group === group);
    }
    return alertList?.query === query ? alertList.alerts : undefined;
  }

  function renderAlerts(): void {
    syncOptions(byId('a-group'), Object.keys(status?.groups ?? {}).sort(), 'all groups');
    const alerts = currentAlerts();
    setText(
      byId('alerts-count'),
      alerts === undefined ? 'loading alerts…' : `${alerts.length} alert${alerts.length === 1 ? '' : 's'}`,
    );
    show(byId('alerts-empty'), alerts !== undefined && alerts.length === 0);
    renderAlertRows(byId('t-alerts-body'), alerts ?? []);
  }

  // ---- one agent -------------------------------------------------------------------------------

  function renderDetail(): void {
    setText(byId('d-title'), detailId);
    const d = detail?.agentId === detailId ? detail : undefined;
    const a = d?.agent ?? undefined;
    show(byId('d-missing'), d !== undefined && d.agent === null);
    show(byId('d-body'), a !== undefined);
    if (!a) return;
    stateBadge(byId('d-state'), a.state);
    show(byId('d-approve'), a.approval !== 'approved');
    show(byId('d-reject'), a.approval === 'pending');
    show(byId('d-maint'), a.approval === 'approved');
    show(byId('d-maint-end'), a.maintenanceUntil !== undefined);
    const fields: [string, string][] = [
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
        'maintenance',
        a.maintenanceUntil
          ? `until ${fmtTime(a.maintenanceUntil)}: ${a.maintenanceReason ?? 'no reason given'}`
          : '-',
      ],
      ['agentless', a.agentless ? 'yes (watched by its probe alone)' : 'no'],
      ['registered', fmtTime(a.createdAt)],
    ];
    syncTerms(byId('d-record'), fields, (k) => k === 'clock skew' && a.clockSkewWarning === true);
    const p = a.probe;
    setText(
      byId('d-probe'),
      !p
        ? 'No probe: a late agent is judged by its heartbeats alone.'
        : p.type === 'tcp'
          ? `TCP connect to ${p.host}:${p.port} when the agent is late`
          : `HTTP GET ${p.url} when the agent is late (any answer below 500 passes)`,
    );
    const alerts = d?.alerts ?? [];
    show(byId('d-alerts-empty'), alerts.length === 0);
    show(byId('d-alerts-wrap'), alerts.length > 0);
    renderAlertRows(byId('t-d-alerts-body'), alerts);
  }

  // ---- dialogs ---------------------------------------------------------------------------------

  let opener: HTMLElement | null = null;
  let ackId = '';
  let maintTarget: MaintTarget | undefined;

  function openDialog(dialog: HTMLDialogElement, from: HTMLElement | null, first: HTMLElement): void {
    opener = from;
    for (const e of Array.from(dialog.querySelectorAll<HTMLElement>('.err'))) e.textContent = '';
    dialog.showModal();
    first.focus();
  }

  function openAck(alertId: string, from: HTMLElement): void {
    const alert =
      openAlerts.find((a) => a.alertId === alertId) ??
      alertList?.alerts.find((a) => a.alertId === alertId) ??
      detail?.alerts.find((a) => a.alertId === alertId);
    ackId = alertId;
    setText(
      byId('ack-what'),
      alert
        ? `${alert.severity} ${alert.kind.replace(/_/g, ' ')} of ${alert.agentId} (${alert.group}), opened ${fmtTime(alert.openedAt)}`
        : alertId,
    );
    byId<HTMLInputElement>('ack-by').value = localStorage.getItem(BY_KEY) ?? '';
    byId<HTMLTextAreaElement>('ack-note').value = '';
    const by = byId<HTMLInputElement>('ack-by');
    openDialog(byId('dlg-ack'), from, by.value ? byId('ack-note') : by);
  }

  async function submitAck(): Promise<void> {
    const by = byId<HTMLInputElement>('ack-by').value.trim();
    const note = byId<HTMLTextAreaElement>('ack-note').value.trim();
    const body: Record<string, string> = {};
    if (by) body.by = by;
    if (note) body.note = note;
    if (by) localStorage.setItem(BY_KEY, by);
    await api('POST', `/v1/alerts/${enc(ackId)}/ack`, body);
    toast(`acknowledged ${ackId}`);
  }

  function openMaintenance(target: MaintTarget, from: HTMLElement): void {
    maintTarget = target;
    const n = target.kind === 'group' ? (status?.groups[target.group] ?? {}) : {};
    const members = Object.entries(n)
      .filter(([state]) => state !== 'pending' && state !== 'rejected')
      .reduce((sum, [, count]) => sum + count, 0);
    setText(
      byId('maint-what'),
      target.kind === 'agent'
        ? `Agent ${target.agentId}: no alert opens while it lasts; an open one stays open, silently.`
        : `Every approved agent of group ${target.group} (${members}), one by one. No alert opens while it lasts.`,
    );
    setText(
      byId('maint-title'),
      target.kind === 'agent' ? 'Maintenance for an agent' : 'Maintenance for a group',
    );
    setText(byId('maint-progress'), '');
    byId<HTMLSelectElement>('maint-for').value = '60';
    fillUntil();
    byId<HTMLInputElement>('maint-reason').value = '';
    openDialog(byId('dlg-maint'), from, byId('maint-for'));
  }

  function fillUntil(): void {
    const minutes = Number(byId<HTMLSelectElement>('maint-for').value);
    if (!Number.isFinite(minutes) || minutes <= 0) return;
    const until = Math.ceil((serverNow() + minutes * 60_000) / 60_000) * 60_000;
    byId<HTMLInputElement>('maint-until').value = toInput(until);
  }

  /** Runs `work` over `items`, a few at a time; answers the failures. */
  async function each<T>(
    items: readonly T[],
    work: (item: T) => Promise<unknown>,
    progress: (done: number) => void,
  ): Promise<string[]> {
    const queue = [...items];
    const failures: string[] = [];
    let done = 0;
    const worker = async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        try {
          await work(item);
        } catch (e) {
          failures.push(messageOf(e));
        }
        done += 1;
        progress(done);
      }
    };
    await Promise.all(Array.from({ length: Math.min(GROUP_CONCURRENCY, queue.length) }, worker));
    return failures;
  }

  async function submitMaintenance(): Promise<void> {
    const target = maintTarget;
    if (!target) return;
    const until = fromInput(byId<HTMLInputElement>('maint-until').value);
    if (Number.isNaN(until)) throw new Error('until: pick a date and time (UTC)');
    if (until <= serverNow()) throw new Error('until: must be in the future (watcher time)');
    const reason = byId<HTMLInputElement>('maint-reason').value.trim();
    const body = { until: new Date(until).toISOString(), reason };
    if (target.kind === 'agent') {
      await api('PUT', `/v1/agents/${enc(target.agentId)}/maintenance`, body);
      toast(`${target.agentId} in maintenance until ${fmtTime(body.until)}`);
      return;
    }
    const progress = byId('maint-progress');
    setText(progress, 'finding the agents of the group…');
    const { agents: members } = await api<{ agents: AgentView[] }>(
      'GET',
      `/v1/agents?group=${enc(target.group)}`,
    );
    const approved = members.filter((a) => a.approval === 'approved');
    const failures = await each(
      approved,
      (a) => api('PUT', `/v1/agents/${enc(a.agentId)}/maintenance`, body),
      (done) => setText(progress, `${done} of ${approved.length} agents…`),
    );
    if (failures.length > 0) {
      throw new Error(
        `${approved.length - failures.length} of ${approved.length} agents in maintenance; ${failures.length} failed: ${failures.slice(0, 3).join('; ')}`,
      );
    }
    toast(`${approved.length} agents of ${target.group} in maintenance until ${fmtTime(body.until)}`);
  }

  async function endMaintenance(agentId: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await api('DELETE', `/v1/agents/${enc(agentId)}/maintenance`);
      toast(`maintenance of ${agentId} ended`);
    } catch (e) {
      toast(`cannot end the maintenance of ${agentId}: ${messageOf(e)}`, true);
    } finally {
      button.disabled = false;
    }
    await refresh();
  }

  async function endGroupMaintenance(group: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const { agents: members } = await api<{ agents: AgentView[] }>('GET', `/v1/agents?group=${enc(group)}`);
      const inside = members.filter((a) => a.maintenanceUntil !== undefined);
      const failures = await each(
        inside,
        (a) => api('DELETE', `/v1/agents/${enc(a.agentId)}/maintenance`),
        () => undefined,
      );
      toast(
        failures.length === 0
          ? `maintenance ended for ${inside.length} agents of ${group}`
          : `maintenance ended for ${inside.length - failures.length} of ${inside.length} agents of ${group}: ${failures[0]}`,
        failures.length > 0,
      );
    } catch (e) {
      toast(`cannot end the maintenance of ${group}: ${messageOf(e)}`, true);
    } finally {
      button.disabled = false;
    }
    await refresh();
  }

  /** Wires a dialog's form: submit runs `action`, closes on success, shows the error otherwise. */
  function wireDialog(dialog: HTMLDialogElement, action: () => Promise<void>): void {
    const form = dialog.querySelector('form')!;
    const error = dialog.querySelector<HTMLElement>('.err')!;
    const submit = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit.disabled = true;
      error.textContent = '';
      action().then(
        () => {
          submit.disabled = false;
          dialog.close();
          void refresh();
        },
        (e: unknown) => {
          submit.disabled = false;
          error.textContent = messageOf(e);
          void refresh();
        },
      );
    });
    for (const close of Array.from(dialog.querySelectorAll<HTMLElement>('[data-close]'))) {
      close.addEventListener('click', () => dialog.close());
    }
    dialog.addEventListener('close', () => {
      if (opener?.isConnected) opener.focus();
      else focusHeading();
      opener = null;
    });
  }

  // ---- views and refresh -----------------------------------------------------------------------

  function focusHeading(): void {
    document.querySelector<HTMLElement>(`#v-${view} h2`)?.focus({ preventScroll: false });
  }

  function renderView(): void {
    if (view === 'agents') renderAgents();
    else if (view === 'pending') renderPending();
    else if (view === 'alerts') renderAlerts();
    else if (view === 'agent') renderDetail();
  }

  async function loadView(): Promise<void> {
    if (view === 'agents') {
      agents = (await api<{ agents: AgentView[] }>('GET', '/v1/agents')).agents;
    } else if (view === 'pending') {
      // One read of the fleet serves both lists: each filter would read the whole table again.
      const all = (await api<{ agents: AgentView[] }>('GET', '/v1/agents')).agents;
      pendingAgents = all.filter((a) => a.state === 'pending');
      rejectedAgents = all.filter((a) => a.state === 'rejected');
    } else if (view === 'alerts') {
      if (byId<HTMLSelectElement>('a-status').value !== 'open') {
        const query = alertQuery();
        alertList = {
          query,
          alerts: (await api<{ alerts: AlertView[] }>('GET', `/v1/alerts?${query}`)).alerts,
        };
      }
    } else if (view === 'agent') {
      const agentId = detailId;
      const [agent, history] = await Promise.all([
        api<AgentView>('GET', `/v1/agents/${enc(agentId)}`).catch((e: ApiFailure) => {
          if (e.status === 404) return null;
          throw e;
        }),
        api<{ alerts: AlertView[] }>('GET', `/v1/alerts?status=all&agentId=${enc(agentId)}`),
      ]);
      if (agentId === detailId) detail = { agentId, agent, alerts: history.alerts };
    }
  }

  async function refresh(): Promise<void> {
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
        api<{ alerts: AlertView[] }>('GET', '/v1/alerts?status=open'),
      ]);
      offset = Date.parse(s.serverTime) - (sent + Date.now()) / 2;
      if (status?.lastScanAt && s.lastScanAt && s.lastScanAt !== status.lastScanAt) {
        const seconds = Math.round((Date.parse(s.lastScanAt) - Date.parse(status.lastScanAt)) / 1000);
        if (seconds > 0) observedTickSeconds = Math.min(observedTickSeconds ?? seconds, seconds);
      }
      status = s;
      openAlerts = open.alerts;
      needToken = false;
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
      needToken = failure.status === 401;
      setError(
        needToken
          ? 'This watcher needs its admin token (HBW_ADMIN_TOKEN) for admin calls.'
          : status
            ? `Cannot refresh: ${failure.message}. Showing what was last seen, ${fmtAge(status.serverTime)}.`
            : `The console cannot load: ${failure.message}`,
      );
      show(byId('token-open'), needToken || sessionStorage.getItem(TOKEN_KEY) !== null);
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

  function route(initial = false): void {
    const hash = location.hash.replace(/^#\/?/, '');
    const cut = hash.indexOf('?');
    const path = cut < 0 ? hash : hash.slice(0, cut);
    const params = new URLSearchParams(cut < 0 ? '' : hash.slice(cut + 1));
    if (path.startsWith('agent/')) {
      view = 'agent';
      detailId = decodeURIComponent(path.slice('agent/'.length));
    } else view = VIEWS.includes(path) && path !== 'agent' ? path : 'overview';
    if (view === 'agents') {
      byId<HTMLInputElement>('f-q').value = params.get('q') ?? '';
      for (const key of ['group', 'cluster', 'state']) {
        const select = byId<HTMLSelectElement>(`f-${key}`);
        const value = params.get(key) ?? '';
        if (value && !Array.from(select.options).some((o) => o.value === value)) {
          select.append(h('option', { value }, value));
        }
        select.value = value;
      }
      limit = PAGE_ROWS;
    }
    if (view === 'alerts') {
      byId<HTMLSelectElement>('a-status').value = params.get('status') ?? 'open';
      const group = byId<HTMLSelectElement>('a-group');
      const value = params.get('group') ?? '';
      if (value && !Array.from(group.options).some((o) => o.value === value)) {
        group.append(h('option', { value }, value));
      }
      group.value = value;
    }
    for (const name of VIEWS) show(byId(`v-${name}`), name === view);
    for (const link of Array.from(document.querySelectorAll<HTMLElement>('nav a[data-view]'))) {
      const current = link.dataset.view === view || (view === 'agent' && link.dataset.view === 'agents');
      setAttr(link, 'aria-current', current ? 'page' : undefined);
    }
    document.title = `${view === 'agent' ? detailId : TITLES[view]} · heartbeat-watcher`;
    renderView();
    if (!initial) focusHeading();
    void refresh();
  }

  function tick(): void {
    for (const node of Array.from(document.querySelectorAll<HTMLElement>('.age[data-t]'))) {
      setText(node, fmtAge(node.dataset.t));
    }
    renderBehind();
  }

  // ---- wiring ----------------------------------------------------------------------------------

  byId('f-q').addEventListener('input', () => {
    limit = PAGE_ROWS;
    filtersToHash();
    renderAgents();
  });
  for (const id of ['f-group', 'f-cluster', 'f-state']) {
    byId(id).addEventListener('change', () => {
      limit = PAGE_ROWS;
      filtersToHash();
      renderAgents();
    });
  }
  byId('f-filters').addEventListener('submit', (event) => event.preventDefault());
  syncOptions(byId('f-state'), ALL_STATES, 'all states');
  byId('f-sort').addEventListener('change', () => {
    const [key = 'agentId', dir = '1'] = byId<HTMLSelectElement>('f-sort').value.split(':');
    sortKey = key;
    sortDir = Number(dir) || 1;
    renderAgents();
  });
  for (const th of Array.from(document.querySelectorAll<HTMLElement>('#t-agents th[data-sort]'))) {
    th.querySelector('button')!.addEventListener('click', () => {
      const key = th.dataset.sort ?? 'agentId';
      sortDir = key === sortKey ? -sortDir : 1;
      sortKey = key;
      renderAgents();
    });
  }
  byId('agents-more').addEventListener('click', () => {
    limit += PAGE_ROWS;
    renderAgents();
  });
  for (const id of ['a-status', 'a-group']) {
    byId(id).addEventListener('change', () => {
      const q = alertQuery();
      history.replaceState(null, '', `#alerts?${q}`);
      renderAlerts();
      void refresh();
    });
  }
  byId('a-filters').addEventListener('submit', (event) => event.preventDefault());

  const dApprove = byId<HTMLButtonElement>('d-approve');
  dApprove.addEventListener('click', () => void setApproval(detailId, 'approve', dApprove));
  const dReject = byId<HTMLButtonElement>('d-reject');
  dReject.addEventListener('click', () => void setApproval(detailId, 'reject', dReject));
  const dMaint = byId<HTMLButtonElement>('d-maint');
  dMaint.addEventListener('click', () => openMaintenance({ kind: 'agent', agentId: detailId }, dMaint));
  const dMaintEnd = byId<HTMLButtonElement>('d-maint-end');
  dMaintEnd.addEventListener('click', () => void endMaintenance(detailId, dMaintEnd));

  wireDialog(byId('dlg-ack'), submitAck);
  wireDialog(byId('dlg-maint'), submitMaintenance);
  wireDialog(byId('dlg-token'), async () => {
    const token = byId<HTMLInputElement>('token-input').value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  });
  byId('maint-for').addEventListener('change', fillUntil);
  byId('maint-until').addEventListener('input', () => {
    byId<HTMLSelectElement>('maint-for').value = 'custom';
  });
  const openToken = (from: HTMLElement) => {
    byId<HTMLInputElement>('token-input').value = sessionStorage.getItem(TOKEN_KEY) ?? '';
    openDialog(byId('dlg-token'), from, byId('token-input'));
  };
  for (const id of ['token-open', 'token-ask']) {
    const button = byId(id);
    button.addEventListener('click', () => openToken(button));
  }
  byId('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    byId<HTMLDialogElement>('dlg-token').close();
    void refresh();
  });

  window.addEventListener('hashchange', () => route());
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void refresh();
  });
  setInterval(tick, 1000);
  route(true);
}
