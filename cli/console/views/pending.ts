import { html } from 'htm/preact';
import type { AgentView } from '../../../lambda/api/contract';
import { setApproval } from '../actions';
import { byId, draw, show } from '../dom';
import { fmtTime } from '../format';
import { app } from '../state';
import { Age, AgentLink, clicked } from './parts';

/** The pending view: agents waiting for approval, and the rejected ones. */

export function renderPending(): void {
  const loaded = app.pendingAgents !== undefined;
  const list = app.pendingAgents ?? [];
  show(byId('pending-empty'), loaded && list.length === 0);
  show(byId('pending-wrap'), list.length > 0);
  draw(
    byId('t-pending-body'),
    list.map((a) => html`<${PendingRow} key=${a.agentId} agent=${a} />`),
  );
  show(byId('rejected-section'), app.rejectedAgents.length > 0);
  draw(
    byId('t-rejected-body'),
    app.rejectedAgents.map((a) => html`<${RejectedRow} key=${a.agentId} agent=${a} />`),
  );
}

function PendingRow({ agent: a }: { agent: AgentView }) {
  return html`<tr data-key=${a.agentId}>
    <td data-label="agent"><${AgentLink} agentId=${a.agentId} /></td>
    <td data-label="group">${a.group}</td>
    <td data-label="cluster">${a.cluster ?? '-'}</td>
    <td data-label="registered">${fmtTime(a.createdAt)}</td>
    <td data-label="last heartbeat"><${Age} iso=${a.lastHeartbeatAt} never="never" /></td>
    <td data-label="endpoint" class="url">${a.endpoint ?? '-'}</td>
    <td data-label="version">${a.version ?? '-'}</td>
    <td data-label="">
      <div class="actions">
        <button type="button" class="primary" data-act="approve" aria-label=${`Approve ${a.agentId}`}
          onClick=${(e: Event) => void setApproval(a.agentId, 'approve', clicked(e))}>Approve</button>
        <button type="button" class="danger" data-act="reject" aria-label=${`Reject ${a.agentId}`}
          onClick=${(e: Event) => void setApproval(a.agentId, 'reject', clicked(e))}>Reject</button>
      </div>
    </td>
  </tr>`;
}

function RejectedRow({ agent: a }: { agent: AgentView }) {
  return html`<tr data-key=${a.agentId}>
    <td data-label="agent"><${AgentLink} agentId=${a.agentId} /></td>
    <td data-label="group">${a.group}</td>
    <td data-label="last heartbeat"><${Age} iso=${a.lastHeartbeatAt} never="never" /></td>
    <td data-label="">
      <button type="button" data-act="approve" aria-label=${`Approve ${a.agentId}`}
        onClick=${(e: Event) => void setApproval(a.agentId, 'approve', clicked(e))}>Approve</button>
    </td>
  </tr>`;
}
