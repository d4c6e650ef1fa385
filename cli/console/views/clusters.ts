import type { AgentView } from '../../../lambda/domain/agent';
import { clusterFinding } from '../../../lambda/domain/cluster';
import { enc } from '../api';
import { byId, type Child, h, setAttr, setText, show, stateBadge, sync } from '../dom';
import { channelsText, cmp, fmtTime, worstFirst } from '../format';
import { app, MEMBER_ROWS } from '../state';
import { configuredClusters } from '../topology';
import { renderWindows, syncMembers, windowsParagraph } from './parts';

/** The clusters view: each cluster's quorum as the watcher's own rule finds it, its members, its alert. */

export function renderClusters(): void {
  const clusters = configuredClusters();
  const none = byId('clusters-none');
  setText(
    none,
    !app.status
      ? ''
      : !app.status.config
        ? 'This watcher does not report its config in GET /v1/status, so the console cannot know its clusters.'
        : clusters.length === 0
          ? 'No cluster is configured. A cluster with a quorum is declared under "clusters" in the config; an agent joins it by its cluster.'
          : '',
  );
  show(none, none.textContent !== '');
  const members = new Map<string, AgentView[]>();
  for (const a of app.agents ?? []) {
    if (a.cluster === undefined) continue;
    const list = members.get(a.cluster);
    if (list) list.push(a);
    else members.set(a.cluster, [a]);
  }
  const cards = (app.agents ? clusters : []).map((cluster) => {
    const of = (members.get(cluster.name) ?? []).sort(worstFirst);
    return { cluster, members: of, finding: clusterFinding(cluster, of) };
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
      : !app.agents
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
      const channels = app.status?.config?.groups?.[cluster.group]?.channels;
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
      const alert = app.openAlerts.find((a) => a.kind === 'cluster_down' && a.cluster === cluster.name);
      const link = card.querySelector<HTMLElement>('.c-alert a')!;
      show(link, alert !== undefined);
      setText(card.querySelector('.c-alert span')!, alert ? '' : 'none');
      if (alert) {
        setText(link, `${alert.severity} cluster down, opened ${fmtTime(alert.openedAt)}`);
        setAttr(link, 'href', `#alerts?cluster=${enc(cluster.name)}`);
      }
      renderWindows(
        card.querySelector<HTMLElement>('.maint')!,
        app.status?.maintenance?.clusters[cluster.name],
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
