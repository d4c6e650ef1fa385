import * as v from 'valibot';
import { countByGroupAnd } from '../collections';
import { AGENT_STATES, type AgentState, zeroStateCounts } from './agent';
import type { AlertKind } from './alert';
import type { FleetWindow } from './maintenance';
import { groupNameSchema } from './validation';

/**
 * What a scan found of the whole fleet, stored with the scanner's progress in the write that
 * completes the scan, so that `GET /v1/status` reads one item and no agent. Every figure is as of
 * that scan: the agents by group and state, the alerts open after it, the one-off maintenance windows
 * it read, and the SMS each budgeted group had spent once its delivery was done (only a scan spends).
 */
export interface FleetSummary {
  /** Agents by group and state; a state with no agent is left out, to keep the item small. */
  readonly groups: Readonly<Record<string, Partial<Record<AgentState, number>>>>;
  readonly openAlerts: number;
  readonly windows: readonly FleetWindow[];
  readonly sms: Readonly<
    Record<string, { readonly day: string; readonly spent: number; readonly reachedAt?: number }>
  >;
}

/** Open alerts by group and kind; a kind with none is left out. */
export type OpenAlertCounts = Readonly<Record<string, Readonly<Partial<Record<AlertKind, number>>>>>;

/** Counts `alerts` by group and kind. */
export function countOpenAlerts(
  alerts: Iterable<{ readonly group: string; readonly kind: AlertKind }>,
): OpenAlertCounts {
  return countByGroupAnd(alerts, (alert) => alert.kind);
}

/** Agents by group and state, counted from what a scan found of each. */
export function countByGroup(
  agents: Iterable<{ readonly group: string; readonly state: AgentState }>,
): Record<string, Partial<Record<AgentState, number>>> {
  return countByGroupAnd(agents, (agent) => agent.state);
}

/**
 * The counts as `GET /v1/status` shows them: every configured group (and any other a scan found),
 * every state, zero where none; with the total.
 */
export function statusCounts(
  summary: Pick<FleetSummary, 'groups'>,
  configuredGroups: readonly string[],
): { agents: number; groups: Record<string, Record<AgentState, number>> } {
  const groups: Record<string, Record<AgentState, number>> = {};
  for (const name of configuredGroups) groups[name] = zeroStateCounts();
  let agents = 0;
  for (const [name, counts] of Object.entries(summary.groups)) {
    const row = groups[name] ?? zeroStateCounts();
    groups[name] = row;
    for (const state of AGENT_STATES) {
      row[state] += counts[state] ?? 0;
      agents += counts[state] ?? 0;
    }
  }
  return { agents, groups };
}

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const time = v.pipe(v.number(), v.integer());

const summarySchema = v.strictObject({
  groups: v.record(
    groupNameSchema,
    v.partial(
      v.strictObject(
        Object.fromEntries(AGENT_STATES.map((s) => [s, count])) as Record<AgentState, typeof count>,
      ),
    ),
  ),
  openAlerts: count,
  windows: v.array(
    v.strictObject({
      scope: v.picklist(['group', 'cluster']),
      name: groupNameSchema,
      since: time,
      until: time,
      reason: v.optional(v.string()),
    }),
  ),
  sms: v.record(
    groupNameSchema,
    v.strictObject({ day: v.pipe(v.string(), v.isoDate()), spent: count, reachedAt: v.optional(time) }),
  ),
});

/** A stored summary read back, or `undefined` when it is not one (hand-edited, another version's). */
export function parseFleetSummary(stored: unknown): FleetSummary | undefined {
  const parsed = v.safeParse(summarySchema, stored);
  return parsed.success ? parsed.output : undefined;
}
