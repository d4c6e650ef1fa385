import { scanLag } from '../../../lambda/domain/scan-lag';
import { TOKEN_KEY } from '../api';
import { byId, setAge, setText, show } from '../dom';
import { fmtDuration } from '../format';
import { app, scanTick, serverNow } from '../state';
import { clustersBelowQuorum, configuredClusters } from '../topology';

/** What every view shares: the header's counts, the error and behind banners, the toast. */

let toastTimer: ReturnType<typeof setTimeout> | undefined;

export function toast(text: string, bad = false): void {
  const node = byId('toast');
  node.classList.toggle('bad', bad);
  node.textContent = text;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    node.textContent = '';
  }, 8000);
}

export function setError(text: string): void {
  const box = byId('error');
  setText(byId('error-text'), text);
  show(byId('token-ask'), app.needToken);
  show(box, text !== '');
}

export function showTokenButton(): void {
  show(byId('token-open'), app.needToken || sessionStorage.getItem(TOKEN_KEY) !== null);
}

export function renderBehind(): void {
  const { status } = app;
  const box = byId('behind');
  if (!status) {
    show(box, false);
    return;
  }
  const tick = scanTick();
  let text = '';
  if (status.lastScanAt === null) {
    text = 'The watcher has not scanned yet: no agent is being judged. Is the scanner running?';
  } else {
    const lastScan = Date.parse(status.lastScanAt);
    // Judged as of the answer: until the next refresh the page cannot know of a newer scan.
    const judged = scanLag(lastScan, Date.parse(status.serverTime), tick.seconds);
    if (judged.behind) {
      const { ageMs } = scanLag(lastScan, serverNow(), tick.seconds);
      const age = ageMs < 10_000 ? `${(ageMs / 1000).toFixed(1)}s` : fmtDuration(ageMs);
      text =
        `The watcher is behind: its last scan was ${age} ago, more than three scan ` +
        `intervals (${judged.limitMs / 1000}s${tick.source === 'reported' ? '' : `, ${tick.source}`}). ` +
        'Agents are not being judged and no alert can open until it scans again.';
    }
  }
  setText(byId('behind-text'), text);
  show(box, text !== '');
}

export function renderChrome(): void {
  const { status, openAlerts } = app;
  if (!status) return;
  const pending = Object.values(status.groups).reduce((n, c) => n + (c.pending ?? 0), 0);
  const pendingBadge = byId('nav-pending-count');
  setText(pendingBadge, String(pending));
  show(pendingBadge, pending > 0);
  const alertsBadge = byId('nav-alerts-count');
  setText(alertsBadge, String(openAlerts.length));
  show(alertsBadge, openAlerts.length > 0);
  show(document.querySelector<HTMLElement>('nav a[data-view=clusters]')!, configuredClusters().length > 0);
  const below = clustersBelowQuorum().length;
  const clustersBadge = byId('nav-clusters-count');
  setText(clustersBadge, String(below));
  show(clustersBadge, below > 0);
  setText(byId('meta-version'), status.version);
  setAge(byId('meta-scan'), status.lastScanAt, 'never');
  showTokenButton();
  renderBehind();
}
