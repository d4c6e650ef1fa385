import { html } from 'htm/preact';
import type { AgentView } from '../../../lambda/api/contract';
import { type ClusterFinding, type ClusterQuorum, clusterFinding } from '../../../lambda/domain/cluster';
import { enc } from '../api';
import { byId, draw, setText, show } from '../dom';
import { channelsText, cmp, fmtTime, worstFirst } from '../format';
import { app, MEMBER_ROWS } from '../state';
import { configuredClusters } from '../topology';
import { Members, StateBadge, Windows } from './parts';

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
  draw(
    byId('c-clusters'),
    cards.map((c) => html`<${ClusterCard} key=${c.cluster.name} ...${c} />`),
  );
}

/** A cluster's card: its quorum as the rule finds it, whom its alert pages, its windows, its members. */
function ClusterCard({
  cluster,
  members: of,
  finding,
}: {
  cluster: ClusterQuorum;
  members: readonly AgentView[];
  finding: ClusterFinding;
}) {
  const [badgeState, badgeText] = finding.quorumLost
    ? ['failed', 'below quorum']
    : finding.total === 0
      ? ['new', 'no members']
      : ['healthy', 'quorum held'];
  const channels = app.status?.config?.groups?.[cluster.group]?.channels;
  const alert = app.openAlerts.find((a) => a.kind === 'cluster_down' && a.cluster === cluster.name);
  const term = (label: string, cls: string, value: unknown) =>
    html`<div><dt>${label}</dt><dd class=${cls}>${value}</dd></div>`;
  return html`<article data-key=${cluster.name} class="card cluster" aria-label=${`cluster ${cluster.name}`}>
    <h3>${cluster.name}<${StateBadge} state=${badgeState} text=${badgeText} /></h3>
    <dl class="kv">
      ${term('members up', finding.quorumLost ? 'c-up bad' : 'c-up', `${finding.up} of ${finding.total}`)}
      ${term('quorum', 'c-quorum', `at least ${cluster.minHealthy} up`)}
      ${term('cluster_down pages', 'c-group', `${cluster.group}${channels ? `: ${channelsText(channels, '')}` : ''}`)}
      ${term(
        'member pages',
        'c-member-pages',
        cluster.memberPages
          ? 'sent while the quorum holds'
          : 'recorded, never sent: only the quorum loss pages',
      )}
      ${term(
        'open alert',
        'c-alert',
        html`<a hidden=${!alert} href=${alert ? `#alerts?cluster=${enc(cluster.name)}` : undefined}>${
          alert ? `${alert.severity} cluster down, opened ${fmtTime(alert.openedAt)}` : ''
        }</a><span>${alert ? '' : 'none'}</span>`,
      )}
    </dl>
    <${Windows} m=${app.status?.maintenance?.clusters[cluster.name]} />
    <ul class="members" aria-label=${`members of ${cluster.name}`}><${Members} members=${of.slice(0, MEMBER_ROWS)} /></ul>
    <p class="c-more" hidden=${of.length <= MEMBER_ROWS}>
      <a href=${`#agents?cluster=${enc(cluster.name)}`}>${
        of.length > MEMBER_ROWS ? `${of.length - MEMBER_ROWS} more: all ${of.length} members` : ''
      }</a>
    </p>
  </article>`;
}
