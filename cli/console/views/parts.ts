import { html } from 'htm/preact';
import type { AgentView } from '../../../lambda/api/contract';
import { enc } from '../api';
import { fmtAge, fmtTime, windowSpan } from '../format';
import type { ReportedMaintenance, ReportedWindow } from '../types';

/** Components more than one view shows. */

/** A badge in the colour of `state`, saying `text` (the state itself unless told). */
export const StateBadge = ({ state, text = state }: { state: string; text?: string }) =>
  html`<span class=${`st st-${state}`}>${text}</span>`;

/** The age of `iso` (`3m 05s ago`), kept ticking by the page's clock; `never` when there is none. */
export const Age = ({ iso, never = '-' }: { iso: string | undefined | null; never?: string }) =>
  html`<span class="age" data-t=${iso ?? undefined} title=${iso ? fmtTime(iso) : undefined}>${iso ? fmtAge(iso) : never}</span>`;

/** A link to the agent `agentId`'s page. */
export const AgentLink = ({ agentId }: { agentId: string }) =>
  html`<a href=${`#agent/${enc(agentId)}`}>${agentId}</a>`;

/** Agents as list items linking to their pages, each with its state. */
export const Members = ({ members }: { members: readonly AgentView[] }) =>
  members.map(
    (a) =>
      html`<li key=${a.agentId} data-key=${a.agentId}><${AgentLink} agentId=${a.agentId} /><${StateBadge} state=${a.state} /></li>`,
  );

/** The term and value pairs of a `<dl>`; `warn` marks a row by its term. */
export const Terms = ({
  rows,
  warn = () => false,
}: {
  rows: readonly (readonly [string, string])[];
  warn?: (term: string) => boolean;
}) =>
  rows.map(
    ([term, value]) =>
      html`<div key=${term} data-key=${term} class=${warn(term) ? 'warn' : undefined}><dt>${term}</dt><dd>${value}</dd></div>`,
  );

/** Text of several lines, one `<div>` each. */
export const Lines = ({ lines }: { lines: readonly string[] }) =>
  lines.map((line) => html`<div>${line}</div>`);

/** A table row of plain cells, labelled for the phone layout. */
export const PlainRow = ({
  id,
  labels,
  values,
}: {
  id: string;
  labels: readonly string[];
  values: readonly string[];
}) =>
  html`<tr data-key=${id}>${values.map((value, i) => html`<td data-label=${labels[i]}>${value}</td>`)}</tr>`;

/** The windows of a group or cluster: the one in effect, then the next ones; hidden when it has none. */
export function Windows({ m }: { m: ReportedMaintenance | undefined }) {
  const now = m?.current;
  const next = m?.next ?? [];
  const reason = (w: ReportedWindow) => (w.reason ? ` (${w.reason})` : '');
  return html`<p class="maint" hidden=${!now && next.length === 0}>
    <span class=${now ? 'now st-maintenance' : 'now'}>${now ? `In maintenance until ${fmtTime(now.until)}${reason(now)}.` : ''}</span>${' '}<span class="muted next">${
      next.length > 0
        ? `Next: ${next.map((w) => `${fmtTime(w.start)} for ${windowSpan(w)}${reason(w)}`).join('; ')}.`
        : ''
    }</span>
  </p>`;
}

/** The button a click handler was called for. */
export const clicked = (e: Event) => e.currentTarget as HTMLButtonElement;
