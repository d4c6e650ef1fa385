import type { Command } from '../command';
import { table } from '../output';

interface StatusAnswer {
  version: string;
  serverTime: string;
  lastScanAt: string | null;
  agents: number;
  groups: Record<string, Record<string, number>>;
}

const STATES = ['healthy', 'late', 'failed', 'unreachable', 'maintenance', 'pending', 'new', 'rejected'];

export const statusCommand: Command = {
  path: ['status'],
  summary: 'Counts of agents by group and state, the time of the last scan, the watcher version.',
  remote: true,
  example: 'hbw status',
  async run(ctx) {
    const s = await ctx.client().request<StatusAnswer>('GET', '/v1/status');
    if (ctx.json) {
      ctx.out(JSON.stringify(s, null, 2));
      return 0;
    }
    ctx.out(
      `watcher ${s.version} at ${ctx.client().endpoint}: ${s.agents} agents, last scan ${s.lastScanAt ?? 'none yet'}\n\n` +
        table(
          ['GROUP', ...STATES.map((x) => x.toUpperCase())],
          Object.entries(s.groups).map(([g, counts]) => [g, ...STATES.map((x) => String(counts[x] ?? 0))]),
        ),
    );
    return 0;
  },
};

export const enrollKeyCommand: Command = {
  path: ['enroll-key'],
  summary:
    "Make a new enrollment key for a group (the old one stops working). Agents register with it and wait in 'pending'.",
  args: ['GROUP'],
  remote: true,
  example: 'hbw enroll-key test',
  async run(ctx) {
    const out = await ctx
      .client()
      .request<{ group: string; key: string }>(
        'POST',
        `/v1/groups/${encodeURIComponent(ctx.args[0]!)}/enrollment-key`,
      );
    ctx.out(
      ctx.json
        ? JSON.stringify(out, null, 2)
        : `enrollment key for ${out.group} (shown once; agents send it as bearer to POST /v1/register):\n${out.key}`,
    );
    return 0;
  },
};
