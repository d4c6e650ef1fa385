import type { AlertView } from '../../lambda/api/contract';
import type { ClusterQuorum } from '../../lambda/domain/cluster';
import { enc } from './api';
import { cmp } from './format';
import { app } from './state';

/** The clusters the watcher reports in its config, as the cluster rule takes them, by name. */
export function configuredClusters(): ClusterQuorum[] {
  return Object.entries(app.status?.config?.clusters ?? {})
    .map(([name, c]) => ({
      name,
      group: c.group,
      minHealthy: c.minHealthy,
      memberPages: c.memberPages !== false,
    }))
    .sort((a, b) => cmp(a.name, b.name));
}

/** The clusters below quorum by the watcher's own verdict: those with an open `cluster_down`. */
export function clustersBelowQuorum(): string[] {
  const names = app.openAlerts.filter((a) => a.kind === 'cluster_down').map((a) => a.cluster ?? a.agentId);
  return [...new Set(names)];
}

/** What an alert is about, in words and as a link: its agent, its cluster, or the agents of a network event. */
export function subjectOf(a: AlertView): { text: string; href: string } {
  if (a.kind === 'cluster_down') return { text: `cluster ${a.cluster ?? '?'}`, href: '#clusters' };
  if (a.agentIds && a.agentIds.length > 0) {
    return { text: `${a.agentIds.length} agents`, href: `#alerts?group=${enc(a.group)}` };
  }
  return { text: a.agentId, href: `#agent/${enc(a.agentId)}` };
}

/** Where the one holding a page is shown: an agent's page, the clusters, or its group's alerts (a storm). */
export function holderHref(reason: string, by: string): string {
  if (reason === 'cluster' || by.startsWith('cluster ')) return '#clusters';
  if (reason === 'storm') return `#alerts?group=${enc(by)}`;
  // A group's maintenance window holds its pages as `group production`.
  if (by.startsWith('group ')) return `#agents?group=${enc(by.slice('group '.length))}`;
  return `#agent/${enc(by)}`;
}
