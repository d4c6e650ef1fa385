/** The environment variable that names each table: what the stack sets and the handlers read. */
export const TABLE_VARIABLES = {
  agents: 'AGENTS_TABLE',
  state: 'STATE_TABLE',
  alerts: 'ALERTS_TABLE',
  audit: 'AUDIT_TABLE',
} as const;

export type TableKey = keyof typeof TABLE_VARIABLES;
