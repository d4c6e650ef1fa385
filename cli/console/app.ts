import type { AgentView } from '../../lambda/domain/agent';
import type { AlertView } from '../../lambda/domain/alert';
import type { clusterFinding } from '../../lambda/domain/cluster';
import type { scanLag } from '../../lambda/domain/scan';
import type { followCursors } from '../pages';

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

/** One cluster as the console reads it from `GET /v1/status` `config.clusters`, when reported. */
export interface ReportedCluster {
  readonly group: string;
  readonly minHealthy: number;
  readonly memberPages?: boolean;
}

/** The config in effect, as the console reads it from `GET /v1/status` `config`, when reported. */
export interface ReportedConfig {
  /** How often the scanner runs: the smallest scan interval of the top level and the groups. */
  readonly scanTickSeconds?: number;
  readonly stormFraction?: number;
  readonly stormMinAgents?: number;
  readonly resolvedAlertRetentionDays?: number;
  readonly groups?: Readonly<Record<string, ReportedGroupConfig>>;
  readonly clusters?: Readonly<Record<string, ReportedCluster>>;
}

/** A maintenance window as `GET /v1/status` reports it. */
export interface ReportedWindow {
  readonly start: string;
  readonly until: string;
  readonly reason?: string;
  readonly by: string;
}

/** A group's or cluster's windows: the one in effect (null outside one) and the next ones. */
export interface ReportedMaintenance {
  readonly current: ReportedWindow | null;
  readonly next: readonly ReportedWindow[];
}

/** `GET /v1/status`. */
export interface ConsoleStatus {
  readonly version: string;
  readonly serverTime: string;
  readonly lastScanAt: string | null;
  /** `null` until a scan counted the agents (`countsAt`). */
  readonly agents: number | null;
  readonly countsAt?: string | null;
  readonly openAlerts: number;
  readonly groups: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Groups with an SMS budget: what they spent in the current UTC day. */
  readonly smsBudget?: Readonly<
    Record<string, { readonly perDay: number; readonly spentToday: number; readonly reachedAt?: string }>
  >;
  /** Each group's and cluster's maintenance windows, when the watcher reports them. */
  readonly maintenance?: {
    readonly groups: Readonly<Record<string, ReportedMaintenance>>;
    readonly clusters: Readonly<Record<string, ReportedMaintenance>>;
  };
  readonly config?: ReportedConfig;
}

/** The watcher's own rules the page applies, inlined from lambda/domain beside it (each self-contained). */
export interface ConsoleRules {
  readonly scanLag: typeof scanLag;
  readonly clusterFinding: typeof clusterFinding;
  readonly followCursors: typeof followCursors;
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
  /** Members a cluster's card names; the agents view, filtered by the cluster, lists them all. */
  const MEMBER_ROWS = 50;
  /** The default scan interval, used when the watcher neither reports its own nor has been seen to scan twice. */
  const DEFAULT_SCAN_SECONDS = 30;
  /** The share of heartbeats lost over the last hour that the agents table flags. */
  const LOSS_WARNING_PERCENT = 5;
  const STATES = ['healthy', 'late', 'failed', 'unreachable', 'maintenance', 'away', 'pending', 'new'];
  const ALL_STATES = [...STATES, 'rejected'];
  const RANK: Record<string, number> = {
    unreachable: 0,
    failed: 1,
    late: 2,
    pending: 3,
    new: 4,
    maintenance: 5,
    away: 5,
    healthy: 6,
    rejected: 7,
  };
  const TOKEN_KEY = 'hbw.adminToken';
  const BY_KEY = 'hbw.operator';
  const VIEWS = ['overview', 'agents', 'clusters', 'pending', 'alerts', 'agent'];
  const TITLES: Record<string, string> = {
    overview: 'Overview',
    agents: 'Agents',
    clusters: 'Clusters',
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
  let detail:
    | {
        agentId: string;
        agent: AgentView | null;
        alerts: AlertView[];
        /** Its parent's view; `null` when the parent it names is no agent. */
        parent?: AgentView | null;
        children: AgentView[];
      }
    | undefined;
  let view = 'overview';
  let detailId = '';
  let sortKey = 'agentId';
  let sortDir = 1;
  let limit = PAGE_ROWS;
  /**
   * The agents view reads the fleet a page at a time (`GET /v1/agents?limit=`), filtered by the
   * watcher: `agentPages` pages are read on each refresh, one more as the operator scrolls to the end,
   * and `agentsCursor` is where the next one starts (undefined: none left).
   */
  let agentPages = 1;
  let agentsCursor: string | undefined;
  /**
   * A group's windows as its own PUT or DELETE answered them: `GET /v1/status` shows the windows the
   * last scan read, so these stand in until a newer scan (another `countsAt`) has read them too.
   */
  const windowsAnswered = new Map<string, { maintenance: ReportedMaintenance; countsAt?: string | null }>();
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
    show(document.querySelector<HTMLElement>('nav a[data-view=clusters]')!, configuredClusters().length > 0);
    const below = clustersBelowQuorum().length;
    const clustersBadge = byId('nav-clusters-count');
    setText(clustersBadge, String(below));
    show(clustersBadge, below > 0);
    setText(byId('meta-version'), status.version);
    setAge(byId('meta-scan'), status.lastScanAt, 'never');
    show(byId('token-open'), needToken || sessionStorage.getItem(TOKEN_KEY) !== null);
    renderBehind();
  }

  // ---- topology: clusters and what an alert speaks of ---------------------------------------

  /** The clusters the watcher reports in its config, as the cluster rule takes them, by name. */
  function configuredClusters(): Parameters<ConsoleRules['clusterFinding']>[0][] {
    return Object.entries(status?.config?.clusters ?? {})
      .map(([name, c]) => ({
        name,
        group: c.group,
        minHealthy: c.minHealthy,
        memberPages: c.memberPages !== false,
      }))
      .sort((a, b) => cmp(a.name, b.name));
  }

  /** The clusters below quorum by the watcher's own verdict: those with an open `cluster_down`. */
  function clustersBelowQuorum(): string[] {
    const names = openAlerts.filter((a) => a.kind === 'cluster_down').map((a) => a.cluster ?? a.agentId);
    return [...new Set(names)];
  }

  const kindWords = (a: AlertView) => a.kind.replace(/_/g, ' ');

  /** What an alert is about, in words and as a link: its agent, its cluster, or the agents of a network event. */
  function subjectOf(a: AlertView): { text: string; href: string } {
    if (a.kind === 'cluster_down') return { text: `cluster ${a.cluster ?? '?'}`, href: '#clusters' };
    if (a.agentIds && a.agentIds.length > 0) {
      return { text: `${a.agentIds.length} agents`, href: `#alerts?group=${enc(a.group)}` };
    }
    return { text: a.agentId, href: `#agent/${enc(a.agentId)}` };
  }

  /** Where the one holding a page is shown: an agent's page, the clusters, or its group's alerts (a storm). */
  function holderHref(reason: string, by: string): string {
    if (reason === 'cluster' || by.startsWith('cluster ')) return '#clusters';
    if (reason === 'storm') return `#alerts?group=${enc(by)}`;
    // A group's maintenance window holds its pages as `group production`.
    if (by.startsWith('group ')) return `#agents?group=${enc(by.slice('group '.length))}`;
    return `#agent/${enc(by)}`;
  }

  /** How long a window lasts, as the config writes it: `2h`, `1h30m`. */
  function windowSpan(w: ReportedWindow): string {
    const minutes = Math.round((Date.parse(w.until) - Date.parse(w.start)) / 60_000);
    const d = Math.floor(minutes / 1440);
    const hrs = Math.floor((minutes % 1440) / 60);
    const min = minutes % 60;
    return `${d ? `${d}d` : ''}${hrs ? `${hrs}h` : ''}${min ? `${min}m` : ''}` || '0m';
  }

  /**
   * The windows of a group or cluster in `node` (a `.maint` paragraph): the one in effect, then the
   * next ones; hidden when it has none.
   */
  function renderWindows(node: HTMLElement, m: ReportedMaintenance | undefined): void {
    const now = m?.current;
    const next = m?.next ?? [];
    show(node, Boolean(now) || next.length > 0);
    const reason = (w: ReportedWindow) => (w.reason ? ` (${w.reason})` : '');
    setText(
      node.querySelector('.now')!,
      now ? `In maintenance until ${fmtTime(now.until)}${reason(now)}.` : '',
    );
    node.querySelector('.now')!.classList.toggle('st-maintenance', Boolean(now));
    setText(
      node.querySelector('.next')!,
      next.length > 0
        ? `Next: ${next.map((w) => `${fmtTime(w.start)} for ${windowSpan(w)}${reason(w)}`).join('; ')}.`
        : '',
    );
  }

  const windowsParagraph = () =>
    h('p', { class: 'maint' }, h('span', { class: 'now' }), ' ', h('span', { class: 'muted next' }));

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
    setText(
      byId('o-agents'),
      s.agents === null ? 'not counted yet (the first scan counts them)' : String(s.agents),
    );
    setText(byId('o-alerts'), String(openAlerts.length));
    const clusters = configuredClusters().length;
    const below = clustersBelowQuorum().length;
    show(byId('o-clusters-row'), clusters > 0);
    setText(byId('o-clusters'), `${clusters} configured${below > 0 ? `, ${below} below quorum` : ''}`);
    byId('o-clusters').classList.toggle('bad', below > 0);
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
          h('p', { class: 'sms-budget' }),
          windowsParagraph(),
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
        show(
          card.querySelector<HTMLElement>('[data-act=group-maint-end]')!,
          Boolean(groupWindows(g)?.current),
        );
        const budget = s.smsBudget?.[g];
        const sms = card.querySelector<HTMLElement>('.sms-budget')!;
        show(sms, budget !== undefined);
        setText(
          sms,
          budget
            ? `SMS today ${budget.spentToday}/${budget.perDay}${budget.reachedAt ? ': budget reached, more in email and the console' : ''}`
            : '',
        );
        sms.classList.toggle('bad', budget?.reachedAt !== undefined);
        renderWindows(card.querySelector<HTMLElement>('.maint')!, groupWindows(g));
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
      href: subjectOf(a).href,
      text: `${a.severity} ${kindWords(a)}: ${subjectOf(a).text} (${a.group}), ${fmtAge(a.openedAt)}`,
      bad: true,
    }));
    const below = clustersBelowQuorum().length;
    if (below > 0) {
      items.unshift({
        key: 'clusters',
        href: '#clusters',
        text: `${below} cluster${below === 1 ? '' : 's'} below quorum`,
        bad: true,
      });
    }
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

  /** Whom `channels` page (`pages sms + email`, or `sms + email` with another `lead`), or that none does. */
  function channelsText(channels: readonly string[], lead = 'pages '): string {
    const paged = channels.filter((c) => c !== 'console');
    return paged.length === 0 ? 'console only (recorded, never sent)' : `${lead}${paged.join(' + ')}`;
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
  const byState = (a: AgentView, b: AgentView) => (RANK[a.state] ?? 9) - (RANK[b.state] ?? 9);
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

  /** A badge in the colour of `state`, saying `text` (the state itself unless told). */
  function stateBadge(node: HTMLElement, state: string, text = state): void {
    setText(node, text);
    const cls = `st st-${state}`;
    if (node.className !== cls) node.className = cls;
  }

  /** Makes `cell` a link to the agent `agentId`'s page, or a dash when there is none. */
  function agentLink(cell: HTMLElement, agentId: string | undefined): void {
    let link = cell.querySelector('a');
    if (agentId === undefined) {
      if (link || cell.textContent !== '-') cell.replaceChildren('-');
      return;
    }
    if (!link) {
      link = h('a', {});
      cell.replaceChildren(link);
    }
    setText(link, agentId);
    setAttr(link, 'href', `#agent/${enc(agentId)}`);
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
    const parent = byId<HTMLSelectElement>('f-parent').value;
    const state = byId<HTMLSelectElement>('f-state').value;
    const compare = SORTS[sortKey] ?? SORTS.agentId!;
    return (agents ?? [])
      .filter(
        (a) =>
          (!q || a.agentId.toLowerCase().includes(q)) &&
          (!group || a.group === group) &&
          (!cluster || (cluster === '-' ? !a.cluster : a.cluster === cluster)) &&
          (!parent || (parent === '-' ? !a.parent : a.parent === parent)) &&
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
    const parents = [...new Set((agents ?? []).map((a) => a.parent ?? '-'))].sort();
    syncOptions(byId('f-parent'), parents, 'any parent');
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
        (shown.length < list.length ? ` (showing ${shown.length})` : '') +
        (agentsCursor === undefined ? '' : ', more to load'),
    );
    const more = byId('agents-more');
    show(more, shown.length < list.length || agentsCursor !== undefined);
    setText(
      more,
      shown.length < list.length
        ? `Show ${Math.min(PAGE_ROWS, list.length - shown.length)} more`
        : 'Load more agents',
    );
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
          'parent',
          'state',
          'last heartbeat',
          'missed scans',
          'heartbeats lost over the last hour',
          'clock skew',
          'endpoint',
          'version',
        ]);
        tr.children[0]!.append(h('a', {}));
        tr.children[4]!.append(h('span', {}));
        tr.children[5]!.append(h('span', {}));
        tr.children[6]!.classList.add('num');
        tr.children[7]!.classList.add('num');
        return tr;
      },
      (tr, a) => {
        const [name, group, cluster, parent, state, beat, missed, lost, skew, endpoint, version] = Array.from(
          tr.children,
        ) as HTMLElement[];
        const link = name!.firstElementChild as HTMLAnchorElement;
        setText(link, a.agentId);
        setAttr(link, 'href', `#agent/${enc(a.agentId)}`);
        setText(group!, a.group);
        setText(cluster!, a.cluster ?? '-');
        agentLink(parent!, a.parent);
        // Away says until when, as the CLI's list does.
        stateBadge(
          state!.firstElementChild as HTMLElement,
          a.state,
          a.state === 'away' && a.awayUntil ? `away to ${fmtTime(a.awayUntil)}` : a.state,
        );
        setAge(beat!.firstElementChild as HTMLElement, a.lastHeartbeatAt, 'never');
        setText(missed!, String(a.missedScans));
        setText(lost!, a.lossLastHourPercent === undefined ? '-' : `${a.lossLastHourPercent}%`);
        // A network that loses this much is trouble before it is an outage.
        const lossy = (a.lossLastHourPercent ?? 0) >= LOSS_WARNING_PERCENT;
        lost!.classList.toggle('warn', lossy);
        setAttr(
          lost!,
          'title',
          lossy ? `${a.lostHeartbeats} lost this boot: check the network path` : undefined,
        );
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
      ['parent', 'f-parent'],
      ['state', 'f-state'],
    ] as const) {
      const value = byId<HTMLInputElement>(id).value;
      if (value) q.set(key, value);
    }
    const text = q.toString();
    history.replaceState(null, '', `#agents${text ? `?${text}` : ''}`);
  }

  /** The worst state first, then by name. */
  const worstFirst = (a: AgentView, b: AgentView) => byState(a, b) || cmp(a.agentId, b.agentId);

  /** Shows agents as links to their pages, each with its state. */
  function syncMembers(list: HTMLElement, members: readonly AgentView[]): void {
    sync(
      list,
      members,
      (a) => a.agentId,
      (a) => h('li', {}, h('a', { href: `#agent/${enc(a.agentId)}` }, a.agentId), h('span', {})),
      (li, a) => stateBadge(li.lastElementChild as HTMLElement, a.state),
    );
  }

  // ---- clusters --------------------------------------------------------------------------------

  function renderClusters(): void {
    const clusters = configuredClusters();
    const none = byId('clusters-none');
    setText(
      none,
      !status
        ? ''
        : !status.config
          ? 'This watcher does not report its config in GET /v1/status, so the console cannot know its clusters.'
          : clusters.length === 0
            ? 'No cluster is configured. A cluster with a quorum is declared under "clusters" in the config; an agent joins it by its cluster.'
            : '',
    );
    show(none, none.textContent !== '');
    const members = new Map<string, AgentView[]>();
    for (const a of agents ?? []) {
      if (a.cluster === undefined) continue;
      const list = members.get(a.cluster);
      if (list) list.push(a);
      else members.set(a.cluster, [a]);
    }
    const cards = (agents ? clusters : []).map((cluster) => {
      const of = (members.get(cluster.name) ?? []).sort(worstFirst);
      return { cluster, members: of, finding: rules.clusterFinding(cluster, of) };
    });
    // The clusters below quorum first: a cluster_down alert links here.
    cards.sort(
      (x, y) =>
        Number(y.finding.quorumLost) - Number(x.finding.quorumLost) || cmp(x.cluster.name, y.cluster.name),
    );
    const below = cards.filter((c) => c.finding.quorumLost).length;
    setText(
      byId('clusters-count'),
      clusters.length === 0
        ? ''
        : !agents
          ? 'loading members…'
          : `${clusters.length} cluster${clusters.length === 1 ? '' : 's'}${below > 0 ? `, ${below} below quorum` : ''}`,
    );
    const term = (label: string, cls: string, ...children: Child[]) =>
      h('div', {}, h('dt', {}, label), h('dd', { class: cls }, ...children));
    sync(
      byId('c-clusters'),
      cards,
      (c) => c.cluster.name,
      (c) =>
        h(
          'article',
          { class: 'card cluster', 'aria-label': `cluster ${c.cluster.name}` },
          h('h3', {}, c.cluster.name, h('span', {})),
          h(
            'dl',
            { class: 'kv' },
            term('members up', 'c-up'),
            term('quorum', 'c-quorum'),
            term('cluster_down pages', 'c-group'),
            term('member pages', 'c-member-pages'),
            term('open alert', 'c-alert', h('a', {}), h('span', {})),
          ),
          windowsParagraph(),
          h('ul', { class: 'members', 'aria-label': `members of ${c.cluster.name}` }),
          h('p', { class: 'c-more' }, h('a', { href: `#agents?cluster=${enc(c.cluster.name)}` })),
        ),
      (card, { cluster, members: of, finding }) => {
        const badge = card.querySelector<HTMLElement>('h3 span')!;
        if (finding.quorumLost) stateBadge(badge, 'failed', 'below quorum');
        else if (finding.total === 0) stateBadge(badge, 'new', 'no members');
        else stateBadge(badge, 'healthy', 'quorum held');
        const up = card.querySelector<HTMLElement>('.c-up')!;
        setText(up, `${finding.up} of ${finding.total}`);
        up.classList.toggle('bad', finding.quorumLost);
        setText(card.querySelector('.c-quorum')!, `at least ${cluster.minHealthy} up`);
        const channels = status?.config?.groups?.[cluster.group]?.channels;
        setText(
          card.querySelector('.c-group')!,
          `${cluster.group}${channels ? `: ${channelsText(channels, '')}` : ''}`,
        );
        setText(
          card.querySelector('.c-member-pages')!,
          cluster.memberPages
            ? 'sent while the quorum holds'
            : 'recorded, never sent: only the quorum loss pages',
        );
        const alert = openAlerts.find((a) => a.kind === 'cluster_down' && a.cluster === cluster.name);
        const link = card.querySelector<HTMLElement>('.c-alert a')!;
        show(link, alert !== undefined);
        setText(card.querySelector('.c-alert span')!, alert ? '' : 'none');
        if (alert) {
          setText(link, `${alert.severity} cluster down, opened ${fmtTime(alert.openedAt)}`);
          setAttr(link, 'href', `#alerts?cluster=${enc(cluster.name)}`);
        }
        renderWindows(
          card.querySelector<HTMLElement>('.maint')!,
          status?.maintenance?.clusters[cluster.name],
        );
        syncMembers(card.querySelector('ul')!, of.slice(0, MEMBER_ROWS));
        const more = card.querySelector<HTMLElement>('.c-more')!;
        show(more, of.length > MEMBER_ROWS);
        if (of.length > MEMBER_ROWS) {
          setText(more.firstElementChild!, `${of.length - MEMBER_ROWS} more: all ${of.length} members`);
        }
      },
    );
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
        renderHeld(paging!.querySelector<HTMLElement>('.held')!, a);
      },
    );
  }

  function alertQuery(): string {
    const q = new URLSearchParams({ status: byId<HTMLSelectElement>('a-status').value || 'open' });
    const group = byId<HTMLSelectElement>('a-group').value;
    if (group) q.set('group', group);
    return q.toString();
  }

  /** The alerts view's address: the API's query, and the cluster, which the page filters by itself. */
  function alertHash(): string {
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
        ? openAlerts.filter((a) => !group || a.group === group)
        : alertList?.query === query
          ? alertList.alerts
          : undefined;
    return listed?.filter((a) => !cluster || a.cluster === cluster);
  }

  function renderAlerts(): void {
    syncOptions(byId('a-group'), Object.keys(status?.groups ?? {}).sort(), 'all groups');
    const clusters = new Set(configuredClusters().map((c) => c.name));
    for (const a of [...openAlerts, ...(alertList?.alerts ?? [])]) if (a.cluster) clusters.add(a.cluster);
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
    syncMembers(byId('d-children'), [...children].sort(worstFirst));
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
        ? `${alert.severity} ${kindWords(alert)} of ${subjectOf(alert).text} (${alert.group}), opened ${fmtTime(alert.openedAt)}`
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
    setText(
      byId('maint-what'),
      target.kind === 'agent'
        ? `Agent ${target.agentId}: no alert opens while it lasts; an open one stays open, silently.`
        : `Group ${target.group}: every agent of it, those that join while it lasts too. No alert opens while it lasts; an open one stays open, silently.`,
    );
    setText(
      byId('maint-title'),
      target.kind === 'agent' ? 'Maintenance for an agent' : 'Maintenance for a group',
    );
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
    const set = await api<{ maintenance: ReportedMaintenance }>(
      'PUT',
      `/v1/groups/${enc(target.group)}/maintenance`,
      body,
    );
    windowSet(target.group, set.maintenance);
    toast(`group ${target.group} in maintenance until ${fmtTime(body.until)}`);
  }

  function windowSet(group: string, maintenance: ReportedMaintenance): void {
    windowsAnswered.set(group, { maintenance, countsAt: status?.countsAt });
  }

  /** A group's windows: as the console last set them, until a scan after that read them. */
  function groupWindows(group: string): ReportedMaintenance | undefined {
    const answered = windowsAnswered.get(group);
    if (answered && answered.countsAt === status?.countsAt) return answered.maintenance;
    windowsAnswered.delete(group);
    return status?.maintenance?.groups[group];
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

  /** Ends the group's one-off window; its recurring windows (the config's) and its agents' own stay. */
  async function endGroupMaintenance(group: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const { maintenance } = await api<{ maintenance: ReportedMaintenance }>(
        'DELETE',
        `/v1/groups/${enc(group)}/maintenance`,
      );
      windowSet(group, maintenance);
      toast(
        maintenance.current
          ? `the one-off window of ${group} ended; a recurring window of the config lasts until ${fmtTime(maintenance.current.until)}`
          : `maintenance of group ${group} ended`,
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
    else if (view === 'clusters') renderClusters();
    else if (view === 'pending') renderPending();
    else if (view === 'alerts') renderAlerts();
    else if (view === 'agent') renderDetail();
  }

  async function loadView(): Promise<void> {
    if (view === 'agents') {
      const query = agentsQuery();
      let pages = 0;
      agents = await rules.followCursors(async (cursor) => {
        const q = new URLSearchParams(query);
        if (cursor) q.set('cursor', cursor);
        const page = await api<{ agents: AgentView[]; cursor?: string }>('GET', `/v1/agents?${q}`);
        pages += 1;
        agentsCursor = page.cursor;
        // The pages read so far, and more while a page comes back empty (a filter kept none of what
        // it read), at most ten: each reads PAGE_ROWS items of the table, whatever it keeps.
        const enough = pages >= agentPages && (page.agents.length > 0 || pages >= agentPages + 9);
        return enough ? { agents: page.agents } : page;
      });
      agentPages = Math.max(agentPages, pages);
    } else if (view === 'clusters') {
      agents = await everyAgent();
    } else if (view === 'pending') {
      // One read of the fleet serves both lists: each filter would read the whole table again.
      const all = await everyAgent();
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
      const agentOrNull = (id: string) =>
        api<AgentView>('GET', `/v1/agents/${enc(id)}`).catch((e: ApiFailure) => {
          if (e.status === 404) return null;
          throw e;
        });
      const [agent, history, behind] = await Promise.all([
        agentOrNull(agentId),
        api<{ alerts: AlertView[] }>('GET', `/v1/alerts?status=all&agentId=${enc(agentId)}`),
        everyAgent(`&parent=${enc(agentId)}`),
      ]);
      const parent = agent?.parent === undefined ? undefined : await agentOrNull(agent.parent);
      // A watcher older than the parent filter answers every agent: keep those behind this one.
      const children = behind.filter((a) => a.parent === agentId);
      if (agentId === detailId) detail = { agentId, agent, alerts: history.alerts, parent, children };
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

  /**
   * Every agent `filter` (`&parent=sw-01`) names, in pages of 1,000: the clusters and pending views
   * list the whole fleet, an agent's page those behind it.
   */
  function everyAgent(filter = ''): Promise<AgentView[]> {
    return rules.followCursors((cursor) =>
      api<{ agents: AgentView[]; cursor?: string }>(
        'GET',
        `/v1/agents?limit=1000${filter}${cursor ? `&cursor=${enc(cursor)}` : ''}`,
      ),
    );
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

  /** Sets a filter as the address says, adding the option when the list does not have it (yet). */
  function choose(select: HTMLSelectElement, value: string): void {
    if (value && !Array.from(select.options).some((o) => o.value === value)) {
      select.append(h('option', { value }, value));
    }
    select.value = value;
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
      for (const key of ['group', 'cluster', 'parent', 'state']) {
        choose(byId(`f-${key}`), params.get(key) ?? '');
      }
      limit = PAGE_ROWS;
      agentPages = 1;
    }
    if (view === 'alerts') {
      byId<HTMLSelectElement>('a-status').value = params.get('status') ?? 'open';
      for (const key of ['group', 'cluster']) choose(byId(`a-${key}`), params.get(key) ?? '');
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
  for (const id of ['f-group', 'f-cluster', 'f-parent', 'f-state']) {
    byId(id).addEventListener('change', () => {
      limit = PAGE_ROWS;
      // The watcher filters: read again from the first page.
      agentPages = 1;
      filtersToHash();
      renderAgents();
      void refresh();
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
  const more = byId('agents-more');
  const showMore = () => {
    if (filteredAgents().length > limit) {
      limit += PAGE_ROWS;
      renderAgents();
    } else if (agentsCursor !== undefined) {
      limit += PAGE_ROWS;
      agentPages += 1;
      void refresh();
    }
  };
  more.addEventListener('click', showMore);
  // Scrolling to the end of the list loads more, as the button does.
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && !busy) showMore();
  }).observe(more);
  for (const id of ['a-status', 'a-group', 'a-cluster']) {
    byId(id).addEventListener('change', () => {
      history.replaceState(null, '', alertHash());
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
