import type { AgentView } from '../../../lambda/domain/agent';
import { enc } from '../api';
import { h, setText, show, stateBadge, sync } from '../dom';
import { fmtTime, windowSpan } from '../format';
import type { ReportedMaintenance, ReportedWindow } from '../types';

/** Pieces more than one view shows. */

/** Shows agents as links to their pages, each with its state. */
export function syncMembers(list: HTMLElement, members: readonly AgentView[]): void {
  sync(
    list,
    members,
    (a) => a.agentId,
    (a) => h('li', {}, h('a', { href: `#agent/${enc(a.agentId)}` }, a.agentId), h('span', {})),
    (li, a) => stateBadge(li.lastElementChild as HTMLElement, a.state),
  );
}

/**
 * The windows of a group or cluster in `node` (a `.maint` paragraph): the one in effect, then the
 * next ones; hidden when it has none.
 */
export function renderWindows(node: HTMLElement, m: ReportedMaintenance | undefined): void {
  const now = m?.current;
  const next = m?.next ?? [];
  show(node, Boolean(now) || next.length > 0);
  const reason = (w: ReportedWindow) => (w.reason ? ` (${w.reason})` : '');
  setText(
    node.querySelector('.now')!,
    now ? `In maintenance until ${fmtTime(now.until)}${reason(now)}.` : '',
  );
  node.querySelector('.now')!.classList.toggle('st-maintenance', Boolean(now));
  setText(
    node.querySelector('.next')!,
    next.length > 0
      ? `Next: ${next.map((w) => `${fmtTime(w.start)} for ${windowSpan(w)}${reason(w)}`).join('; ')}.`
      : '',
  );
}

export const windowsParagraph = () =>
  h('p', { class: 'maint' }, h('span', { class: 'now' }), ' ', h('span', { class: 'muted next' }));
