/** The operator console's first page: the status counts and the agents, refreshed every 5 s. */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>heartbeat-watcher</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1f24}
h1{font-size:1.2rem}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{padding:.25rem .6rem;border-bottom:1px solid #d0d7de;text-align:left}
.late{color:#9a6700}.failed,.unreachable,.rejected{color:#cf222e}.healthy{color:#1a7f37}
#err{color:#cf222e}
</style>
</head>
<body>
<h1>heartbeat-watcher</h1>
<p id="meta">loading&hellip;</p>
<p id="err" role="alert"></p>
<h2>Groups</h2>
<table id="groups"></table>
<h2>Agents</h2>
<table id="agents"></table>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
async function get(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(path + ': ' + res.status);
  return res.json();
}
async function refresh() {
  try {
    const [status, list] = await Promise.all([get('/v1/status'), get('/v1/agents')]);
    document.getElementById('meta').textContent = 'version ' + status.version + ' · ' + status.agents +
      ' agents · last scan ' + (status.lastScanAt ?? 'none yet') + ' · server time ' + status.serverTime;
    const states = ['healthy', 'late', 'failed', 'unreachable', 'maintenance', 'pending', 'new', 'rejected'];
    document.getElementById('groups').innerHTML = '<tr><th>group</th>' + states.map((s) => '<th>' + s + '</th>').join('') +
      '</tr>' + Object.entries(status.groups).map(([g, c]) => '<tr><td>' + esc(g) + '</td>' +
      states.map((s) => '<td>' + c[s] + '</td>').join('') + '</tr>').join('');
    document.getElementById('agents').innerHTML = '<tr><th>agent</th><th>group</th><th>state</th><th>last heartbeat</th>' +
      '<th>missed scans</th><th>clock skew</th></tr>' + list.agents.map((a) => '<tr><td>' + esc(a.agentId) + '</td><td>' +
      esc(a.group) + '</td><td class="' + esc(a.state) + '">' + esc(a.state) + '</td><td>' + esc(a.lastHeartbeatAt ?? '-') +
      '</td><td>' + a.missedScans + '</td><td>' + (a.clockSkewSeconds === undefined ? '-' : a.clockSkewSeconds + ' s' +
      (a.clockSkewWarning ? ' ⚠' : '')) + '</td></tr>').join('');
    document.getElementById('err').textContent = '';
  } catch (e) {
    document.getElementById('err').textContent = 'cannot reach the watcher: ' + e.message;
  }
}
refresh();
setInterval(refresh, 5000);
</script>
</body>
</html>
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M1 9h3l2-5 3 9 2-4h4" fill="none" stroke="#cf222e" stroke-width="2"/></svg>`;
