import type { AuditAnswer, AuditEntryView } from '../../lambda/api/contract';
import { changeText } from '../../lambda/domain/audit-change';
import { AGENT_PAGE_MAX } from '../../lambda/domain/paging';
import { type Command, UsageError } from '../command';
import { table } from '../output';
import { followCursors } from '../pages';

function auditRows(entries: readonly AuditEntryView[]): string {
  return table(
    ['AT', 'ACTION', 'TARGET', 'BY', 'FROM', 'CHANGE'],
    entries.map((e) => [e.at, e.action, e.target, e.by, e.sourceIp ?? '-', changeText(e)]),
  );
}

/** `--limit`: a whole number of at least 1, the most entries to print. */
function limitOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < 1)
    throw new UsageError(`--limit must be a whole number of at least 1, not "${text}"`);
  return Number(text);
}

/** `hbw audit`: the audit trail, newest first, every page of `GET /v1/audit` up to `--limit`. */
export const auditCommand: Command = {
  path: ['audit'],
  summary: 'List the audit trail: who changed what, when and from where, newest first.',
  remote: true,
  options: { since: { type: 'string' }, target: { type: 'string' }, limit: { type: 'string' } },
  optionHelp: [
    '--since TIME        only entries at or after this RFC 3339 time (2026-11-23T00:00:00Z)',
    '--target T          only this target: agent:ID, group:NAME, cluster:NAME or alert:ID',
    '--limit N           at most N entries, the newest (default: all)',
  ],
  example: 'hbw audit --target agent:web-01 --since 2026-11-01T00:00:00Z',
  async run(ctx) {
    const max = limitOf(ctx.values.limit);
    const q = new URLSearchParams();
    for (const k of ['since', 'target']) if (ctx.values[k]) q.set(k, String(ctx.values[k]));
    q.set('limit', String(Math.min(max ?? AGENT_PAGE_MAX, AGENT_PAGE_MAX)));
    const client = ctx.client();
    const entries = await followCursors(
      'entries',
      (cursor) => {
        const page = new URLSearchParams(q);
        if (cursor !== undefined) page.set('cursor', cursor);
        return client.request<AuditAnswer>('GET', `/v1/audit?${page}`);
      },
      max,
    );
    if (ctx.json) ctx.out(JSON.stringify({ entries }, null, 2));
    else ctx.out(entries.length ? auditRows(entries) : 'no audit entries');
    return 0;
  },
};
