import type { AgentRecord } from './agent';
import { type AlertRecord, alertId } from './alert';
import type { GroupSettings } from './config';

/** What a group does when one of its agents restarts: record it (the default), or page it too. */
export const ON_RESTART = ['record', 'page'] as const;
export type OnRestart = (typeof ON_RESTART)[number];

/** The last restart of an agent, as its heartbeat found it. Times are epoch milliseconds. */
export interface RestartRecord {
  /** When the watcher received the first heartbeat of the new boot. */
  readonly at: number;
  readonly fromBoot: string;
  readonly toBoot: string;
  /** From the last heartbeat of the old boot to the new boot's start, as the agent's clock tells it. */
  readonly downtimeSeconds?: number;
  /** The agent said goodbye before it (a planned restart). */
  readonly expected: boolean;
}

/** What a heartbeat tells of a restart. */
export interface BootClaim {
  readonly bootId?: string;
  readonly sentAt?: number;
  readonly bootedAt?: number;
  readonly at: number;
}

/**
 * Whether a heartbeat is the first of a new boot, as `stored` stands: a `bootId` other than the
 * stored one, and newer than the last heartbeat (by the agent's own `sentAt`, when both have one; a
 * heartbeat of the old boot delivered late is not a restart). Answers the restart, or `undefined`.
 */
export function restartOf(
  stored: Pick<AgentRecord, 'bootId' | 'lastSentAt' | 'awayUntil'>,
  heartbeat: BootClaim,
): RestartRecord | undefined {
  const { bootId, sentAt, bootedAt, at } = heartbeat;
  if (bootId === undefined || stored.bootId === undefined || bootId === stored.bootId) return undefined;
  if (sentAt !== undefined && stored.lastSentAt !== undefined && sentAt <= stored.lastSentAt)
    return undefined;
  const down =
    bootedAt !== undefined && stored.lastSentAt !== undefined && bootedAt >= stored.lastSentAt
      ? Math.round((bootedAt - stored.lastSentAt) / 1000)
      : undefined;
  return {
    at,
    fromBoot: stored.bootId,
    toBoot: bootId,
    ...(down === undefined ? {} : { downtimeSeconds: down }),
    expected: stored.awayUntil !== undefined,
  };
}

/** What a heartbeat of a known agent whose write was refused is, against the record as now stored. */
export type RefusedHeartbeat =
  /** The first heartbeat of a new boot. */
  | { readonly kind: 'restart'; readonly restart: RestartRecord }
  /** Newer than what is stored now, of its boot: the record changed since the write was judged. */
  | { readonly kind: 'again' }
  /** A replay, or a heartbeat older than the stored one: it changes nothing. */
  | { readonly kind: 'duplicate' };

/**
 * Judges a refused heartbeat (`seq`, `bootId`) against `stored`. A read that follows the refused write
 * may find another heartbeat landed since (a new boot's first, say), so a heartbeat newer than it is
 * written again rather than called a duplicate.
 */
export function judgeRefused(
  stored: Pick<AgentRecord, 'bootId' | 'seq' | 'lastSentAt' | 'awayUntil'>,
  heartbeat: BootClaim & { readonly seq?: number },
): RefusedHeartbeat {
  const restart = restartOf(stored, heartbeat);
  if (restart) return { kind: 'restart', restart };
  const { seq, bootId } = heartbeat;
  const newer =
    seq !== undefined && bootId !== undefined && bootId === stored.bootId && (stored.seq ?? -1) < seq;
  return newer ? { kind: 'again' } : { kind: 'duplicate' };
}

/** Whether the agent restarted since the scanner last recorded one of its restarts. */
export function unrecordedRestart(agent: Pick<AgentRecord, 'lastRestart' | 'restartRecordedAt'>) {
  const restart = agent.lastRestart;
  return restart !== undefined && restart.at > (agent.restartRecordedAt ?? -Infinity) ? restart : undefined;
}

/** The words of an `agent_restarted` alert. */
export function restartDetail(restart: RestartRecord): string {
  const down =
    restart.downtimeSeconds === undefined
      ? ''
      : `, down for ${restart.downtimeSeconds} s as the agent reports`;
  const planned = restart.expected ? ' after it said goodbye (a planned restart)' : '';
  return `Restarted${planned}: boot ${restart.fromBoot} ended, boot ${restart.toBoot} began${down}.`;
}

/**
 * The alert that records a restart: a warning, an event rather than an outage (the scan that records
 * it resolves it once its page, if any, is settled). It pages only where the group's `onRestart` is
 * `page` and the agent did not say goodbye first; a planned restart's page is suppressed from the
 * start, saying why.
 */
export function restartAlert(
  agent: Pick<AgentRecord, 'agentId' | 'group' | 'cluster'>,
  restart: RestartRecord,
  settings: Pick<GroupSettings, 'channels' | 'onRestart'>,
  paging: boolean,
  scanTime: number,
): AlertRecord {
  const pages = settings.onRestart === 'page' && paging;
  return {
    alertId: alertId('agent_restarted', agent.agentId, restart.at),
    agentId: agent.agentId,
    group: agent.group,
    cluster: agent.cluster,
    kind: 'agent_restarted',
    severity: 'warning',
    status: 'open',
    openedAt: scanTime,
    kindHistory: [{ kind: 'agent_restarted', at: scanTime }],
    incidentStart: restart.at,
    detail: restartDetail(restart),
    channels: settings.channels,
    openNotice: !pages ? 'none' : restart.expected ? 'suppressed' : 'pending',
    ...(pages && restart.expected
      ? { suppressed: { reason: 'goodbye' as const, by: agent.agentId, since: scanTime } }
      : {}),
    recoveryNotice: 'none',
  };
}
