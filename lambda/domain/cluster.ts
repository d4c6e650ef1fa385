import type { AgentState } from './agent';
import { type BlindWindow, graceAfterOutage } from './blind';
import type { GroupSettings } from './config';
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
  /** When its last incident ended (its alert resolved), once it is up again. */
  readonly outageEndedAt?: number;
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
  /**
   * While the quorum holds, when it came back, if the return of members ended its loss: the end of
   * the incident of the member whose return took the count of members up to `minHealthy`.
   */
  readonly quorumBackAt?: number;
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
  const upMembers = counted.filter((m) => m.state === 'healthy' || m.state === 'late');
  const up = upMembers.length;
  const down = counted.filter((m) => m.state === 'failed' || m.state === 'unreachable');
  const quorumLost = up < cluster.minHealthy && down.length > 0;
  let since: number | undefined;
  let quorumBackAt: number | undefined;
  if (quorumLost) {
    // Going back in time, the members down whose incidents started later were up then.
    const starts = down.map((m) => m.incidentStart ?? 0).sort((a, b) => a - b);
    since = starts.find((_, i) => up + (starts.length - 1 - i) < cluster.minHealthy);
  } else if (up >= cluster.minHealthy) {
    // Going back in time, the members up whose incidents ended later were down then, and the members
    // down whose incidents started later were up: the latest end before which too few were up.
    const ends = upMembers.flatMap((m) => (m.outageEndedAt === undefined ? [] : [m.outageEndedAt]));
    const upBefore = (at: number) =>
      upMembers.filter((m) => m.outageEndedAt === undefined || m.outageEndedAt < at).length +
      down.filter((m) => (m.incidentStart ?? 0) >= at).length;
    quorumBackAt = ends.sort((a, b) => b - a).find((at) => upBefore(at) < cluster.minHealthy);
  }
  return {
    cluster,
    total: counted.length,
    up,
    down: down.map((m) => m.agentId).sort(),
    quorumLost,
    since,
    quorumBackAt,
  };
}

/**
 * Whether a member of a cluster whose quorum is back is still given time to be heard before it is
 * paged (`graceAfterOutage` from the quorum's return), as the agents behind a parent that comes back
 * are (`heldByAncestor`).
 */
export function heldAfterQuorum(
  finding: Pick<ClusterFinding, 'quorumBackAt'>,
  member: { readonly lastHeartbeatAt?: number },
  settings: Pick<GroupSettings, 'heartbeatIntervalSeconds'>,
  blindWindows: readonly BlindWindow[],
  now: number,
): boolean {
  const back = finding.quorumBackAt;
  if (back === undefined) return false;
  return graceAfterOutage(member.lastHeartbeatAt, back, settings.heartbeatIntervalSeconds, blindWindows, now);
}
