import type { GroupMaintenanceAnswer } from '../../lambda/api/contract';
import { api, enc, messageOf, TOKEN_KEY } from './api';
import { byId, setText } from './dom';
import { fmtTime, fromInput, kindWords, toInput } from './format';
import { focusHeading, refresh } from './refresh';
import { app, serverNow, windowSet } from './state';
import { subjectOf } from './topology';
import { toast } from './views/chrome';

/** The dialogs: acknowledge an alert, start maintenance, the admin token. */

/** Where the operator's name is kept for the next acknowledgement. */
const BY_KEY = 'hbw.operator';

type MaintTarget = { kind: 'agent'; agentId: string } | { kind: 'group'; group: string };

let opener: HTMLElement | null = null;
let ackId = '';
let maintTarget: MaintTarget | undefined;

function openDialog(dialog: HTMLDialogElement, from: HTMLElement | null, first: HTMLElement): void {
  opener = from;
  for (const e of Array.from(dialog.querySelectorAll<HTMLElement>('.err'))) e.textContent = '';
  dialog.showModal();
  first.focus();
}

export function openAck(alertId: string, from: HTMLElement): void {
  const alert =
    app.openAlerts.find((a) => a.alertId === alertId) ??
    app.alertList?.alerts.find((a) => a.alertId === alertId) ??
    app.detail?.alerts.find((a) => a.alertId === alertId);
  ackId = alertId;
  setText(
    byId('ack-what'),
    alert
      ? `${alert.severity} ${kindWords(alert)} of ${subjectOf(alert).text} (${alert.group}), opened ${fmtTime(alert.openedAt)}`
      : alertId,
  );
  byId<HTMLInputElement>('ack-by').value = localStorage.getItem(BY_KEY) ?? '';
  byId<HTMLTextAreaElement>('ack-note').value = '';
  const by = byId<HTMLInputElement>('ack-by');
  openDialog(byId('dlg-ack'), from, by.value ? byId('ack-note') : by);
}

async function submitAck(): Promise<void> {
  const by = byId<HTMLInputElement>('ack-by').value.trim();
  const note = byId<HTMLTextAreaElement>('ack-note').value.trim();
  const body: Record<string, string> = {};
  if (by) body.by = by;
  if (note) body.note = note;
  if (by) localStorage.setItem(BY_KEY, by);
  await api('POST', `/v1/alerts/${enc(ackId)}/ack`, body);
  toast(`acknowledged ${ackId}`);
}

export function openMaintenance(target: MaintTarget, from: HTMLElement): void {
  maintTarget = target;
  setText(
    byId('maint-what'),
    target.kind === 'agent'
      ? `Agent ${target.agentId}: no alert opens while it lasts; an open one stays open, silently.`
      : `Group ${target.group}: every agent of it, those that join while it lasts too. No alert opens while it lasts; an open one stays open, silently.`,
  );
  setText(
    byId('maint-title'),
    target.kind === 'agent' ? 'Maintenance for an agent' : 'Maintenance for a group',
  );
  byId<HTMLSelectElement>('maint-for').value = '60';
  fillUntil();
  byId<HTMLInputElement>('maint-reason').value = '';
  openDialog(byId('dlg-maint'), from, byId('maint-for'));
}

function fillUntil(): void {
  const minutes = Number(byId<HTMLSelectElement>('maint-for').value);
  if (!Number.isFinite(minutes) || minutes <= 0) return;
  const until = Math.ceil((serverNow() + minutes * 60_000) / 60_000) * 60_000;
  byId<HTMLInputElement>('maint-until').value = toInput(until);
}

async function submitMaintenance(): Promise<void> {
  const target = maintTarget;
  if (!target) return;
  const until = fromInput(byId<HTMLInputElement>('maint-until').value);
  if (Number.isNaN(until)) throw new Error('until: pick a date and time (UTC)');
  if (until <= serverNow()) throw new Error('until: must be in the future (watcher time)');
  const reason = byId<HTMLInputElement>('maint-reason').value.trim();
  const body = { until: new Date(until).toISOString(), reason };
  if (target.kind === 'agent') {
    await api('PUT', `/v1/agents/${enc(target.agentId)}/maintenance`, body);
    toast(`${target.agentId} in maintenance until ${fmtTime(body.until)}`);
    return;
  }
  const set = await api<GroupMaintenanceAnswer>('PUT', `/v1/groups/${enc(target.group)}/maintenance`, body);
  windowSet(target.group, set.maintenance);
  toast(`group ${target.group} in maintenance until ${fmtTime(body.until)}`);
}

/** Wires a dialog's form: submit runs `action`, closes on success, shows the error otherwise. */
function wireDialog(dialog: HTMLDialogElement, action: () => Promise<void>): void {
  const form = dialog.querySelector('form')!;
  const error = dialog.querySelector<HTMLElement>('.err')!;
  const submit = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    action().then(
      () => {
        submit.disabled = false;
        dialog.close();
        void refresh();
      },
      (e: unknown) => {
        submit.disabled = false;
        error.textContent = messageOf(e);
        void refresh();
      },
    );
  });
  for (const close of Array.from(dialog.querySelectorAll<HTMLElement>('[data-close]'))) {
    close.addEventListener('click', () => dialog.close());
  }
  dialog.addEventListener('close', () => {
    if (opener?.isConnected) opener.focus();
    else focusHeading();
    opener = null;
  });
}

/** The dialogs' forms and the buttons that open the token dialog, wired once. */
export function wireDialogs(): void {
  wireDialog(byId('dlg-ack'), submitAck);
  wireDialog(byId('dlg-maint'), submitMaintenance);
  wireDialog(byId('dlg-token'), async () => {
    const token = byId<HTMLInputElement>('token-input').value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  });
  byId('maint-for').addEventListener('change', fillUntil);
  byId('maint-until').addEventListener('input', () => {
    byId<HTMLSelectElement>('maint-for').value = 'custom';
  });
  const openToken = (from: HTMLElement) => {
    byId<HTMLInputElement>('token-input').value = sessionStorage.getItem(TOKEN_KEY) ?? '';
    openDialog(byId('dlg-token'), from, byId('token-input'));
  };
  for (const id of ['token-open', 'token-ask']) {
    const button = byId(id);
    button.addEventListener('click', () => openToken(button));
  }
  byId('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    byId<HTMLDialogElement>('dlg-token').close();
    void refresh();
  });
}
