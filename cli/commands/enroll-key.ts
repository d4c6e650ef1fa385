import type { Answer } from '../../lambda/api/contract';
import type { Command } from '../command';

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
      .request<Answer<'POST /v1/groups/{group}/enrollment-key'>>(
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
