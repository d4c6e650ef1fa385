import type { AgentRecord } from '../../lambda/domain/agent';

/** The instant the domain-rule tests take as their reference. */
export const T0 = Date.parse('2026-11-23T12:00:00.000Z');

/** An approved production agent, `web-01`, registered an hour before T0, whose last heartbeat was at T0. */
export function agent(overrides: Partial<AgentRecord> = {}): AgentRecord {
  return {
    agentId: 'web-01',
    group: 'production',
    approval: 'approved',
    createdAt: T0 - 3_600_000,
    lastHeartbeatAt: T0,
    ...overrides,
  };
}
