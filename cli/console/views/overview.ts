import type { AgentState } from '../../../lambda/domain/agent-states';
import { STATE_DISPLAY_ORDER } from '../../../lambda/domain/agent-states';
import { endGroupMaintenance } from '../actions';
import { enc } from '../api';
import { openMaintenance } from '../dialogs';
import { byId, fill, h, row, setAge, setAttr, setText, show, sync, syncTerms } from '../dom';
import { channelsText, fmtAge, fmtTime, kindWords } from '../format';
import { app, groupWindows, scanTick } from '../state';
import { clustersBelowQuorum, configuredClusters, subjectOf } from '../topology';
import { renderWindows, windowsParagraph } from './parts';

/** The overview: the watcher, what needs attention, each group's counts and windows, the config in effect. */
export function renderOverview(): void {
  const { status: s, openAlerts } = app;
  if (!s) return;
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
      for (const st of STATE_DISPLAY_ORDER) {
        counts.append(
          h(
            'li',
            { 'data-state': st },
            h(
              'a',
              { class: `chip st-${st}`, href: `#agents?group=${enc(g)}&state=${st}` },
              h('b', {}, '0'),
              ` ${st}`,
            ),
          ),
        );
      }
      return h(
        'article',
        { class: 'card group', 'aria-label': `group ${g}` },
        h('h3', {}, h('a', { href: `#agents?group=${enc(g)}` }, g), ' ', h('span', { class: 'muted chan' })),
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
        const n = (counts as Readonly<Record<string, number>>)[state] ?? 0;
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
      show(card.querySelector<HTMLElement>('[data-act=group-maint-end]')!, Boolean(groupWindows(g)?.current));
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
  const { status, openAlerts } = app;
  if (!status) return;
  const total = (state: AgentState) =>
    Object.values(status.groups).reduce((n, counts) => n + (counts[state] ?? 0), 0);
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
  return app.openAlerts.find((a) => a.group === group)?.channels;
}

function renderConfig(): void {
  const cfg = app.status?.config;
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
