import { setApproval } from '../actions';
import { enc } from '../api';
import { byId, h, row, setAge, setText, show, sync } from '../dom';
import { fmtTime } from '../format';
import { app } from '../state';

/** The pending view: agents waiting for approval, and the rejected ones. */

export function renderPending(): void {
  const loaded = app.pendingAgents !== undefined;
  const list = app.pendingAgents ?? [];
  show(byId('pending-empty'), loaded && list.length === 0);
  show(byId('pending-wrap'), list.length > 0);
  sync(
    byId('t-pending-body'),
    list,
    (a) => a.agentId,
    (a) => {
      const tr = row([
        'agent',
        'group',
        'cluster',
        'registered',
        'last heartbeat',
        'endpoint',
        'version',
        '',
      ]);
      tr.children[0]!.append(h('a', { href: `#agent/${enc(a.agentId)}` }, a.agentId));
      tr.children[4]!.append(h('span', {}));
      const approve = h('button', { type: 'button', class: 'primary', 'data-act': 'approve' }, 'Approve');
      approve.addEventListener('click', () => void setApproval(a.agentId, 'approve', approve));
      const reject = h('button', { type: 'button', class: 'danger', 'data-act': 'reject' }, 'Reject');
      reject.addEventListener('click', () => void setApproval(a.agentId, 'reject', reject));
      approve.setAttribute('aria-label', `Approve ${a.agentId}`);
      reject.setAttribute('aria-label', `Reject ${a.agentId}`);
      tr.children[7]!.append(h('div', { class: 'actions' }, approve, reject));
      return tr;
    },
    (tr, a) => {
      const cells = Array.from(tr.children) as HTMLElement[];
      setText(cells[1]!, a.group);
      setText(cells[2]!, a.cluster ?? '-');
      setText(cells[3]!, fmtTime(a.createdAt));
      setAge(cells[4]!.firstElementChild as HTMLElement, a.lastHeartbeatAt, 'never');
      setText(cells[5]!, a.endpoint ?? '-');
      cells[5]!.classList.add('url');
      setText(cells[6]!, a.version ?? '-');
    },
  );
  show(byId('rejected-section'), app.rejectedAgents.length > 0);
  sync(
    byId('t-rejected-body'),
    app.rejectedAgents,
    (a) => a.agentId,
    (a) => {
      const tr = row(['agent', 'group', 'last heartbeat', '']);
      tr.children[0]!.append(h('a', { href: `#agent/${enc(a.agentId)}` }, a.agentId));
      tr.children[2]!.append(h('span', {}));
      const approve = h(
        'button',
        { type: 'button', 'data-act': 'approve', 'aria-label': `Approve ${a.agentId}` },
        'Approve',
      );
      approve.addEventListener('click', () => void setApproval(a.agentId, 'approve', approve));
      tr.children[3]!.append(approve);
      return tr;
    },
    (tr, a) => {
      setText(tr.children[1]!, a.group);
      setAge(tr.children[2]!.firstElementChild as HTMLElement, a.lastHeartbeatAt, 'never');
    },
  );
}
