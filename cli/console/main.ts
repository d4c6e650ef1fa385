import { wireDialogs } from './dialogs';
import { refresh, route, tick } from './refresh';
import { wireDetail } from './views/agent';
import { wireAgents } from './views/agents';
import { wireAlerts } from './views/alerts';
import { wireAudit } from './views/audit';

/**
 * The operator console, run in the browser: the page's script is this module and what it imports,
 * bundled by esbuild (scripts/console-bundle.cjs). It wires the page's controls once, then follows
 * the address.
 */

wireAgents();
wireAlerts();
wireAudit();
wireDetail();
wireDialogs();
window.addEventListener('hashchange', () => route());
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void refresh();
});
setInterval(tick, 1000);
route(true);
