import type { GroupMaintenanceAnswer } from '../../lambda/api/contract';
import { api, enc, messageOf } from './api';
import { fmtTime } from './format';
import { focusHeading, refresh, renderView } from './refresh';
import { app, windowSet } from './state';
import { toast } from './views/chrome';

/** What the operator's buttons do: approve or reject an agent, end a maintenance window. */

/** Runs `work` with `button` disabled, says what could not be done (`failure: why`) if it fails, then refreshes. */
async function act(button: HTMLButtonElement, failure: string, work: () => Promise<void>): Promise<void> {
  button.disabled = true;
  try {
    await work();
  } catch (e) {
    toast(`${failure}: ${messageOf(e)}`, true);
  } finally {
    button.disabled = false;
  }
  await refresh();
}

export function setApproval(agentId: string, action: 'approve' | 'reject', button: HTMLButtonElement) {
  return act(button, `cannot ${action} ${agentId}`, async () => {
    await api('POST', `/v1/agents/${enc(agentId)}/${action}`);
    toast(
      `${agentId} ${action === 'approve' ? 'approved: it is monitored from now on' : 'rejected: its heartbeats are refused'}`,
    );
    app.pendingAgents = app.pendingAgents?.filter((a) => a.agentId !== agentId);
    app.rejectedAgents = app.rejectedAgents.filter((a) => a.agentId !== agentId || action === 'reject');
    renderView();
    if (!button.isConnected) focusHeading();
  });
}

export function endMaintenance(agentId: string, button: HTMLButtonElement): Promise<void> {
  return act(button, `cannot end the maintenance of ${agentId}`, async () => {
    await api('DELETE', `/v1/agents/${enc(agentId)}/maintenance`);
    toast(`maintenance of ${agentId} ended`);
  });
}

/** Ends the group's one-off window; its recurring windows (the config's) and its agents' own stay. */
export function endGroupMaintenance(group: string, button: HTMLButtonElement): Promise<void> {
  return act(button, `cannot end the maintenance of ${group}`, async () => {
    const { maintenance } = await api<GroupMaintenanceAnswer>(
      'DELETE',
      `/v1/groups/${enc(group)}/maintenance`,
    );
    windowSet(group, maintenance);
    toast(
      maintenance.current
        ? `the one-off window of ${group} ended; a recurring window of the config lasts until ${fmtTime(maintenance.current.until)}`
        : `maintenance of group ${group} ended`,
    );
  });
}
