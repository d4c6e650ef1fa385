import type { AlertRecord } from './alert';
import type { ClusterFinding } from './cluster';

/** Why an alert's page is held. */
export const SUPPRESSION_REASONS = [
  'maintenance',
  'storm',
  'cluster',
  'parent',
  'flapping',
  'goodbye',
] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** A held page: why, by which agent, cluster or group, and since when. */
export interface Suppression {
  readonly reason: SuppressionReason;
  readonly by: string;
  readonly since: number;
}

/**
 * One rule that may hold an alert's page, as Alertmanager's muters do: it answers who holds it (an
 * agent, a cluster or a group), or `undefined` to let it go on. Every alert is still recorded; a
 * muter only decides whether its page waits.
 */
export interface Muter {
  readonly reason: SuppressionReason;
  holds(alert: AlertRecord): string | undefined;
  /**
   * For a muter that holds recoveries too: the id of the alert whose own recovery stands for the
   * recovery of `alert`, which it holds. Once that alert's page went out, the recovery it holds is
   * never sent (one recovery goes for all); until then it waits, and goes after all should that alert
   * resolve unpaged.
   */
  recoveredBy?(alert: AlertRecord): string | undefined;
}

const isAgentAlert = (alert: AlertRecord) => alert.kind !== 'network_event' && alert.kind !== 'cluster_down';

/**
 * An agent inside a maintenance window (its own, its group's or its cluster's), and a cluster's
 * `cluster_down` inside its cluster's window: no page until it ends. Each map gives whose window
 * holds it, by agent id and by cluster name: the agent (`web-01`), `group production`, `cluster db`.
 */
export function maintenanceMuter(
  agents: ReadonlyMap<string, string>,
  clusters: ReadonlyMap<string, string> = new Map(),
): Muter {
  return {
    reason: 'maintenance',
    holds(alert) {
      if (isAgentAlert(alert)) return agents.get(alert.agentId);
      return alert.kind === 'cluster_down' && alert.cluster !== undefined
        ? clusters.get(alert.cluster)
        : undefined;
    },
  };
}

/** While a suspected watcher-side or network event lasts, only its own `network_event` page goes out. */
export function stormMuter(active: boolean): Muter {
  return {
    reason: 'storm',
    holds: (alert) => (active && alert.kind !== 'network_event' ? alert.group : undefined),
  };
}

/**
 * A member of a configured cluster: held while its cluster has lost its quorum (the cluster's own
 * alert speaks for it), and always when the cluster does not page its members' own failures.
 * `afterQuorum` answers whether a member is still given time to be heard once the quorum is back
 * (see `heldAfterQuorum`): until then it is held too.
 */
export function clusterMuter(
  findings: ReadonlyMap<string, ClusterFinding>,
  afterQuorum: (agentId: string, finding: ClusterFinding) => boolean,
): Muter {
  return {
    reason: 'cluster',
    holds(alert) {
      if (!isAgentAlert(alert) || alert.cluster === undefined) return undefined;
      const finding = findings.get(alert.cluster);
      if (!finding) return undefined;
      const held = finding.quorumLost || !finding.cluster.memberPages || afterQuorum(alert.agentId, finding);
      return held ? alert.cluster : undefined;
    },
  };
}

/**
 * An agent behind an ancestor that is down: the ancestor's page speaks for it. A cluster's alert is
 * held likewise when every member down is behind a down ancestor: one outage, one page.
 * `heldBy` answers the ancestor that explains an agent's silence (see `heldByAncestor`).
 */
export function parentMuter(
  heldBy: (agentId: string) => string | undefined,
  findings: ReadonlyMap<string, ClusterFinding>,
): Muter {
  return {
    reason: 'parent',
    holds(alert) {
      if (isAgentAlert(alert)) return heldBy(alert.agentId);
      if (alert.kind !== 'cluster_down' || alert.cluster === undefined) return undefined;
      const down = findings.get(alert.cluster)?.down ?? alert.agentIds ?? [];
      const by = down.map(heldBy);
      return by.length > 0 && by.every((b) => b !== undefined) ? by[0] : undefined;
    },
  };
}

/**
 * An agent with an open `flapping` alert (`flapping` gives its id by agent id): that one alert pages,
 * once; the pages and recoveries of its own incidents are held until it resolves, so a flapping agent
 * sends one page and one recovery.
 */
export function flappingMuter(flapping: ReadonlyMap<string, string>): Muter {
  const holds = (alert: AlertRecord) =>
    isAgentAlert(alert) && alert.kind !== 'flapping' && flapping.has(alert.agentId)
      ? alert.agentId
      : undefined;
  return {
    reason: 'flapping',
    holds,
    recoveredBy: (alert) => (holds(alert) === undefined ? undefined : flapping.get(alert.agentId)),
  };
}

/** The first muter, in the order given, that holds `alert`; `undefined` when none does. */
export function mute(
  alert: AlertRecord,
  muters: readonly Muter[],
): { reason: SuppressionReason; by: string } | undefined {
  for (const muter of muters) {
    const by = muter.holds(alert);
    if (by !== undefined) return { reason: muter.reason, by };
  }
  return undefined;
}
