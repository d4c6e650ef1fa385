import type { AlertRecord } from './alert';
import { type BlindWindow, graceAfterOutage } from './blind';
import type { GroupSettings } from './config';

/**
 * What one scan found of an agent, for judging those behind it: `up` it beats, or its probe answers;
 * `unsure` it is silent and nothing has told yet whether its host is down; `down` its probe failed in
 * this scan, or an incident without proof of life stands for it; `unwatched` it is not watched
 * (pending, rejected, never heard from), which tells nothing.
 */
export type Health = 'up' | 'unsure' | 'down' | 'unwatched';

/** One agent as the topology sees it: the links, and what the scan found. */
export interface TopologyNode {
  readonly agentId: string;
  readonly parent?: string;
  readonly health: Health;
  /** It has missed at least one scan (late, failed or unreachable). */
  readonly silent: boolean;
  readonly lastHeartbeatAt?: number;
  /** When its last outage ended (its last alert resolved): those behind it get their full window from then. */
  readonly outageEndedAt?: number;
}

/** The agents of one scan, linked by `parent`, held in memory: no read per agent. */
export class Topology {
  private readonly nodes = new Map<string, TopologyNode>();
  private children: Map<string, string[]> | undefined;

  add(node: TopologyNode): void {
    this.nodes.set(node.agentId, node);
    this.children = undefined;
  }

  get(agentId: string): TopologyNode | undefined {
    return this.nodes.get(agentId);
  }

  /**
   * The ancestors of `agentId`, its parent first. A parent that is not an agent ends the chain, and so
   * does a loop (two operators' changes racing can make one): an agent is never its own ancestor.
   */
  ancestors(agentId: string): TopologyNode[] {
    const out: TopologyNode[] = [];
    const seen = new Set([agentId]);
    let next = this.nodes.get(agentId)?.parent;
    while (next !== undefined && !seen.has(next)) {
      const node = this.nodes.get(next);
      if (!node) break;
      out.push(node);
      seen.add(next);
      next = node.parent;
    }
    return out;
  }

  /** How many agents behind `agentId`, at any depth, are silent. */
  silentBehind(agentId: string): number {
    this.children ??= this.childIndex();
    let count = 0;
    const seen = new Set([agentId]);
    const queue = [...(this.children.get(agentId) ?? [])];
    while (queue.length > 0) {
      const id = queue.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      if (this.nodes.get(id)?.silent) count += 1;
      queue.push(...(this.children.get(id) ?? []));
    }
    return count;
  }

  private childIndex(): Map<string, string[]> {
    const index = new Map<string, string[]>();
    for (const node of this.nodes.values()) {
      if (node.parent === undefined) continue;
      const list = index.get(node.parent);
      if (list) list.push(node.agentId);
      else index.set(node.parent, [node.agentId]);
    }
    return index;
  }
}

/**
 * Whether an agent's silence is its parent's doing, and which ancestor's: the highest ancestor that
 * is down, or silent with no verdict yet (so which of them is noticed first does not decide who
 * pages). After an ancestor's outage ends, an agent silent since before that end is given one
 * heartbeat interval (of watched time) to be heard again before it is blamed: with the path back, a
 * live agent's next heartbeat is at most that far away.
 */
export function heldByAncestor(
  agent: Pick<TopologyNode, 'agentId' | 'lastHeartbeatAt'>,
  topology: Topology,
  settings: Pick<GroupSettings, 'heartbeatIntervalSeconds'>,
  blindWindows: readonly BlindWindow[],
  now: number,
): string | undefined {
  const ancestors = topology.ancestors(agent.agentId);
  const blaming = ancestors.filter((a) => a.health === 'down' || a.health === 'unsure');
  if (blaming.length > 0) return blaming.at(-1)!.agentId;
  for (const a of ancestors) {
    if (a.outageEndedAt === undefined) continue;
    const held = graceAfterOutage(
      agent.lastHeartbeatAt,
      a.outageEndedAt,
      settings.heartbeatIntervalSeconds,
      blindWindows,
      now,
    );
    if (held) return a.agentId;
  }
  return undefined;
}

/**
 * The loop that making `parent` the parent of `agentId` would close, as the chain of ids from
 * `agentId` back to itself, or `undefined`. `parentOf` looks up the parent of an agent as stored.
 */
export async function parentLoop(
  agentId: string,
  parent: string,
  parentOf: (id: string) => Promise<string | undefined>,
): Promise<string[] | undefined> {
  if (parent === agentId) return [agentId, agentId];
  const chain = [agentId, parent];
  const seen = new Set(chain);
  let next = await parentOf(parent);
  while (next !== undefined) {
    chain.push(next);
    if (next === agentId) return chain;
    // A loop that does not pass through `agentId` is not this change's doing.
    if (seen.has(next)) return undefined;
    seen.add(next);
    next = await parentOf(next);
  }
  return undefined;
}

/**
 * What a scan tells of an agent's own machine, for those behind it. A probe run in this scan decides;
 * otherwise an incident without proof of life (a critical alert) says down, and one whose probe
 * answered says up; an agent that beats is up; a silent one with nothing else known is unsure.
 */
export function healthOf(finding: {
  readonly watched: boolean;
  readonly agentless: boolean;
  readonly heardFrom: boolean;
  readonly missedScans: number;
  readonly probeOk: boolean | undefined;
  readonly standing: readonly Pick<AlertRecord, 'severity'>[];
}): Health {
  if (!finding.watched) return 'unwatched';
  if (finding.probeOk !== undefined) return finding.probeOk ? 'up' : 'down';
  if (finding.standing.some((a) => a.severity === 'critical')) return 'down';
  if (finding.standing.length > 0 || finding.agentless) return 'up';
  if (!finding.heardFrom) return 'unwatched';
  return finding.missedScans === 0 ? 'up' : 'unsure';
}
