import type { AgentState } from './agent';
import type { RecurringWindow } from './maintenance';

/** A cluster's quorum as the config sets it: the group its alert pages, and how many must be up. */
export interface ClusterQuorum {
  readonly name: string;
  /** The group whose channels the cluster's own alert pages. */
  readonly group: string;
  /** Fewer members up than this is a `cluster_down`. */
  readonly minHealthy: number;
  /** Page a member's own failure while the quorum holds. @default true */
  readonly memberPages: boolean;
}

/** A cluster as the config sets it: its quorum and its maintenance windows. */
export interface ClusterSettings extends ClusterQuorum {
  /** Its recurring maintenance windows: its `cluster_down` and its members' alerts wait inside them. */
  readonly maintenance: readonly RecurringWindow[];
}

/** One member of a cluster as a scan found it. */
export interface ClusterMember {
  readonly agentId: string;
  readonly state: AgentState;
  /** The start of its incident, while it is down. */
  readonly incidentStart?: number;
}

export interface ClusterFinding {
  readonly cluster: ClusterQuorum;
  /** Approved members: watched, or in maintenance, or never heard from yet. */
  readonly total: number;
  /** Members healthy or late (not yet failed): the ones serving. */
  readonly up: number;
  readonly down: readonly string[];
  /** Fewer members up than `minHealthy`, and at least one of them down: not just not started yet. */
  readonly quorumLost: boolean;
  /**
   * When the quorum was lost, the same for every scanner that sees the same members down, and
   * unchanged as more members fail later: the incident start of the member whose failure took the
   * count of members up below `minHealthy`.
   */
  readonly since?: number;
}

/**
 * Whether a cluster has its quorum: at least `minHealthy` members up. A member in maintenance or never
 * heard from is a member that is not up; a pending or rejected agent is not a member. A cluster whose
 * members are not up but none has failed (all in maintenance, or none heard from yet) has not lost it.
 *
 * The console's Clusters view counts by it too.
 */
export function clusterFinding(cluster: ClusterQuorum, members: readonly ClusterMember[]): ClusterFinding {
  const counted = members.filter((m) => m.state !== 'pending' && m.state !== 'rejected');
  const up = counted.filter((m) => m.state === 'healthy' || m.state === 'late').length;
  const down = counted.filter((m) => m.state === 'failed' || m.state === 'unreachable');
  const quorumLost = up < cluster.minHealthy && down.length > 0;
  let since: number | undefined;
  if (quorumLost) {
    // Going back in time, the members down whose incidents started later were up then.
    const starts = down.map((m) => m.incidentStart ?? 0).sort((a, b) => a - b);
    since = starts.find((_, i) => up + (starts.length - 1 - i) < cluster.minHealthy);
  }
  return {
    cluster,
    total: counted.length,
    up,
    down: down.map((m) => m.agentId).sort(),
    quorumLost,
    since,
  };
}
