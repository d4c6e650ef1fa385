import { html } from 'htm/preact';
import type { AgentState } from '../../../lambda/domain/agent-states';
import { STATE_DISPLAY_ORDER } from '../../../lambda/domain/agent-states';
import { endGroupMaintenance } from '../actions';
import { enc } from '../api';
import { openMaintenance } from '../dialogs';
import { byId, draw, setAge, setText, show } from '../dom';
import { channelsText, fmtAge, fmtTime, kindWords } from '../format';
import { app, groupWindows, scanTick } from '../state';
import { clustersBelowQuorum, configuredClusters, subjectOf } from '../topology';
import { clicked, PlainRow, Terms, Windows } from './parts';

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
  draw(
    byId('o-groups'),
    Object.keys(s.groups).map(
      (g) => html`<${GroupCard} key=${g} group=${g} open=${openByGroup.get(g) ?? 0} />`,
    ),
  );
  renderAttention();
  renderConfig();
}

/** A group's card: its counts by state, its open alerts, its channels and settings, its windows. */
function GroupCard({ group: g, open }: { group: string; open: number }) {
  const counts: Readonly<Record<string, number>> = app.status?.groups[g] ?? {};
  const cfg = app.status?.config?.groups?.[g];
  const seen = channelsSeen(g);
  const budget = app.status?.smsBudget?.[g];
  const windows = groupWindows(g);
  const channels = cfg?.channels ? channelsText(cfg.channels) : seen ? channelsText(seen) : '';
  const settings = cfg
    ? `heartbeat ${cfg.heartbeatIntervalSeconds}s · scan ${cfg.scanIntervalSeconds}s · alert after ${cfg.missedScansBeforeAlert} missed`
    : '';
  const sms = budget
    ? `SMS today ${budget.spentToday}/${budget.perDay}${budget.reachedAt ? ': budget reached, more in email and the console' : ''}`
    : '';
  const chip = (st: string) => {
    const n = counts[st] ?? 0;
    return html`<li key=${st} data-state=${st} class=${n === 0 ? 'zero' : undefined} hidden=${st === 'rejected' && n === 0}>
      <a class=${`chip st-${st}`} href=${`#agents?group=${enc(g)}&state=${st}`}><b>${n}</b> ${st}</a>
    </li>`;
  };
  return html`<article data-key=${g} class="card group" aria-label=${`group ${g}`}>
    <h3><a href=${`#agents?group=${enc(g)}`}>${g}</a> <span class="muted chan">${channels}</span></h3>
    <ul class="counts">${STATE_DISPLAY_ORDER.map(chip)}</ul>
    <p>
      <a class=${open > 0 ? 'open-alerts bad' : 'open-alerts'} href=${`#alerts?group=${enc(g)}`}>${`${open} open alert${open === 1 ? '' : 's'}`}</a>
      ${' '}<span class="muted cfg">${settings}</span>
    </p>
    <p class=${budget?.reachedAt !== undefined ? 'sms-budget bad' : 'sms-budget'} hidden=${budget === undefined}>${sms}</p>
    <${Windows} m=${windows} />
    <div class="actions">
      <button type="button" data-act="group-maint" onClick=${(e: MouseEvent) => openMaintenance({ kind: 'group', group: g }, clicked(e))}>Maintenance…</button>
      <button type="button" data-act="group-maint-end" hidden=${!windows?.current} onClick=${(e: MouseEvent) => void endGroupMaintenance(g, clicked(e))}>End maintenance</button>
    </div>
  </article>`;
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
  draw(
    byId('o-attention'),
    items.map(
      (i) =>
        html`<li key=${i.key} data-key=${i.key}><a href=${i.href} class=${i.bad ? 'bad' : undefined}>${i.text}</a></li>`,
    ),
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
  draw(byId('o-config-top'), html`<${Terms} rows=${rows} />`);
  const cell = (v: unknown, unit = '') => (v === undefined ? '-' : `${String(v)}${unit}`);
  const labels = ['group', 'channels', 'heartbeat', 'scan', 'alert after', 'renotify', 'auto-approve'];
  draw(
    byId('o-config-groups'),
    Object.entries(cfg.groups ?? {}).map(
      ([g, c]) =>
        html`<${PlainRow}
          key=${g}
          id=${g}
          labels=${labels}
          values=${[
            g,
            c.channels ? c.channels.join(', ') : '-',
            cell(c.heartbeatIntervalSeconds, 's'),
            cell(c.scanIntervalSeconds, 's'),
            cell(c.missedScansBeforeAlert, ' missed'),
            c.renotifyMinutes ? `${c.renotifyMinutes} min` : 'never',
            c.autoApprove ? 'yes' : 'no',
          ]}
        />`,
    ),
  );
}
