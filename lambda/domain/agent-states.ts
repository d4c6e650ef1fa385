/**
 * The states an agent can be in, and the orders people read them in. Nothing but constants, so that
 * the browser's console imports them as the watcher does.
 */

export type Approval = 'approved' | 'pending' | 'rejected';

export const AGENT_STATES = [
  'new',
  'healthy',
  'late',
  'failed',
  'unreachable',
  'maintenance',
  'away',
  'pending',
  'rejected',
] as const;

export type AgentState = (typeof AGENT_STATES)[number];

/**
 * The states in the order a group's counts show them: those of agents that have been heard, in
 * their own order, then `new` (never heard) and `rejected` last.
 */
export const STATE_DISPLAY_ORDER: readonly AgentState[] = [
  ...AGENT_STATES.filter((state) => state !== 'new' && state !== 'rejected'),
  'new',
  'rejected',
];

/** How bad a state is, 0 the worst: sorting by it puts the agents that need a look first. */
export const STATE_RANK: Readonly<Record<AgentState, number>> = {
  unreachable: 0,
  failed: 1,
  late: 2,
  pending: 3,
  new: 4,
  maintenance: 5,
  away: 5,
  healthy: 6,
  rejected: 7,
};
