import type { AgentView, AlertView } from '../../lambda/api/contract';
import { STATE_RANK } from '../../lambda/domain/agent-states';
import { serverNow } from './state';
import type { ReportedWindow } from './types';

export function fmtTime(iso: string | undefined | null): string {
  if (!iso) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${two(Math.floor((s % 86_400) / 3600))}h`;
}

/** How long ago `iso` was by the watcher's clock: `3m 05s ago`. */
export const fmtAge = (iso: string | undefined | null) =>
  iso ? `${fmtDuration(serverNow() - Date.parse(iso))} ago` : '-';

/** A `datetime-local` input's value for `ms`, in UTC, and back. */
export const toInput = (ms: number) => new Date(ms).toISOString().slice(0, 16);
export const fromInput = (value: string) => Date.parse(`${value}${value.length === 16 ? ':00' : ''}Z`);

/** How long a window lasts, as the config writes it: `2h`, `1h30m`. */
export function windowSpan(w: ReportedWindow): string {
  const minutes = Math.round((Date.parse(w.until) - Date.parse(w.start)) / 60_000);
  const d = Math.floor(minutes / 1440);
  const hrs = Math.floor((minutes % 1440) / 60);
  const min = minutes % 60;
  return `${d ? `${d}d` : ''}${hrs ? `${hrs}h` : ''}${min ? `${min}m` : ''}` || '0m';
}

/** Whom `channels` page (`pages sms + email`, or `sms + email` with another `lead`), or that none does. */
export function channelsText(channels: readonly string[], lead = 'pages '): string {
  const paged = channels.filter((c) => c !== 'console');
  return paged.length === 0 ? 'console only (recorded, never sent)' : `${lead}${paged.join(' + ')}`;
}

export function skewText(a: AgentView): string {
  if (a.clockSkewSeconds === undefined) return '-';
  const s = `${a.clockSkewSeconds > 0 ? '+' : ''}${a.clockSkewSeconds}s`;
  return a.clockSkewWarning ? `${s} ⚠ skew` : s;
}

export const kindWords = (a: AlertView) => a.kind.replace(/_/g, ' ');

export const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const byState = (a: AgentView, b: AgentView) =>
  (STATE_RANK[a.state] ?? 9) - (STATE_RANK[b.state] ?? 9);

/** The worst state first, then by name. */
export const worstFirst = (a: AgentView, b: AgentView) => byState(a, b) || cmp(a.agentId, b.agentId);
