import { createHash } from 'node:crypto';

/**
 * The operator console: one HTML document with its style and script inline, no file from anywhere
 * else (no CDN, no web font). Local mode serves it at `/`; `hbw console` serves it in front of a
 * deployed watcher. The script is cli/console/main.ts and the modules it imports, bundled for the
 * browser (scripts/console-bundle.cjs).
 */

export const CONSOLE_STYLE = `
:root{--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;--accent:#0969da;--ok:#1a7f37;
--warn:#9a6700;--bad:#cf222e;--info:#8250df;--warnbg:#fff8c5;--badbg:#ffebe9;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--card:#151b23;
--accent:#4493f8;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--info:#ab7df8;--warnbg:#2e2a1a;--badbg:#3a1d1d}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--accent)}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
h2{font-size:1.25rem;margin:.25rem 0 .75rem}h2:focus{outline:0}h3{font-size:1rem;margin:1.25rem 0 .5rem}.card h3{margin-top:0}
.skip{position:absolute;left:-9999px}.skip:focus{left:.5rem;top:.5rem;background:var(--bg);padding:.25rem .5rem;z-index:9}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.5rem 1rem;border-bottom:1px solid var(--line)}
.brand{font-weight:600;color:inherit;text-decoration:none;display:flex;gap:.4rem;align-items:center}
nav{display:flex;flex-wrap:wrap;gap:.15rem}
nav a{padding:.35rem .6rem;border-radius:6px;color:inherit;text-decoration:none}
nav a:hover{background:var(--card)}
nav a[aria-current=page]{background:var(--card);box-shadow:inset 0 -2px var(--accent);font-weight:600}
.n{display:inline-block;min-width:1.5em;margin-left:.25em;padding:0 .35em;border-radius:1em;background:var(--bad);color:#fff;font-size:12px;text-align:center}
#meta{margin-left:auto;color:var(--muted);font-size:13px;display:flex;gap:.75rem;align-items:center;flex-wrap:wrap}
main{padding:1rem;max-width:1440px;margin:0 auto}
button{font:inherit;padding:.3rem .7rem;border:1px solid var(--line);border-radius:6px;background:var(--card);color:inherit;cursor:pointer}
button:hover{border-color:var(--muted)}button:disabled{opacity:.6;cursor:progress}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button.danger{color:var(--bad)}
button.small{padding:.1rem .5rem;font-size:13px}
input,select,textarea{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.3rem .5rem;max-width:100%}
.muted{color:var(--muted)}.bad{color:var(--bad)}.warn{color:var(--warn)}
.box{border:1px solid;border-radius:8px;padding:.6rem .9rem;margin:0 0 1rem;display:flex;gap:.75rem;align-items:center;flex-wrap:wrap}
.box.bad{border-color:var(--bad);background:var(--badbg);color:inherit}.box.warn{border-color:var(--warn);background:var(--warnbg);color:inherit}
.box b{color:var(--bad)}.box.warn b{color:var(--warn)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,320px),1fr));gap:1rem;margin:0 0 1.25rem}
.card{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;background:var(--card)}
.card h3 a{color:inherit}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
dl.kv>div{display:contents}dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;overflow-wrap:anywhere}
dl.kv>div.warn dd{color:var(--warn);font-weight:600}
.counts{list-style:none;padding:0;margin:.25rem 0 .5rem;display:flex;flex-wrap:wrap;gap:.35rem}
.chip{display:inline-block;padding:.1rem .55rem;border-radius:1em;border:1px solid currentColor;text-decoration:none;font-size:13px}
.chip b{font-variant-numeric:tabular-nums}
li.zero .chip{color:var(--muted);border-color:var(--line)}
.st{display:inline-block;padding:0 .5em;border-radius:1em;border:1px solid currentColor;font-size:12px;white-space:nowrap}
.st-healthy{color:var(--ok)}.st-late{color:var(--warn)}.st-failed,.st-unreachable,.st-rejected{color:var(--bad)}
.st-maintenance{color:var(--info)}.st-away{color:var(--info)}.st-pending{color:var(--accent)}.st-new{color:var(--muted)}
.sev{font-weight:600;font-size:12px;text-transform:uppercase}.sev-critical{color:var(--bad)}.sev-warning{color:var(--warn)}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:0 0 .5rem}
.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:.1rem}
.filters input,.filters select{font-size:14px;color:var(--fg)}
.wrap{overflow-x:auto}
table.data{width:100%;border-collapse:collapse}
table.data th,table.data td{padding:.4rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
table.data th{font-size:12px;color:var(--muted);white-space:nowrap}
th button{all:unset;cursor:pointer}th button:focus-visible{outline:2px solid var(--accent)}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
td.num{font-variant-numeric:tabular-nums}.age{white-space:nowrap}
ul.plain{list-style:none;margin:0;padding:0}ul.plain li{padding:.15rem 0}
td.url{overflow-wrap:anywhere;font-size:13px}td.warn{font-weight:600}
.detail{font-size:13px}.kind{font-weight:600}
ul.members{list-style:none;padding:0;margin:.6rem 0 0;display:flex;flex-wrap:wrap;gap:.3rem .9rem}
ul.members li{display:flex;gap:.35rem;align-items:center}
.card h3 .st{margin-left:.4rem;vertical-align:middle}
#toast{position:fixed;bottom:1rem;left:50%;transform:translateX(-50%);max-width:calc(100vw - 2rem);z-index:5}
#toast:not(:empty){background:var(--fg);color:var(--bg);padding:.5rem 1rem;border-radius:8px}
#toast.bad:not(:empty){background:var(--bad);color:#fff}
dialog{border:1px solid var(--line);border-radius:10px;padding:1rem 1.25rem;width:min(30rem,calc(100vw - 2rem));background:var(--bg);color:var(--fg)}
dialog::backdrop{background:#0009}
dialog label{display:block;margin:.6rem 0;font-size:13px;color:var(--muted)}
dialog input,dialog select,dialog textarea{display:block;width:100%;margin-top:.2rem;font-size:14px;color:var(--fg)}
.err{color:var(--bad);min-height:1em}
.loading::after{content:"loading…";color:var(--muted)}
[hidden]{display:none!important}
@media (max-width:640px){
header{padding:.5rem .75rem}#meta{margin-left:0;width:100%}main{padding:.75rem}
table.data thead{position:absolute;left:-9999px}
table.data tr{display:block;border-bottom:1px solid var(--line);padding:.4rem 0}
table.data td{display:grid;grid-template-columns:7.5rem minmax(0,1fr);column-gap:.75rem;border:0;padding:.1rem 0;overflow-wrap:anywhere}
table.data td::before{content:attr(data-label);grid-column:1;grid-row:1/span 5;color:var(--muted);font-size:12px}
table.data td>*{grid-column:2;justify-self:start}
}
`;

const BODY = `
<a class="skip" href="#main">Skip to content</a>
<header>
<a class="brand" href="#overview"><svg width="18" height="18" viewBox="0 0 16 16" aria-hidden="true"><path d="M1 9h3l2-5 3 9 2-4h4" fill="none" stroke="#cf222e" stroke-width="2"/></svg>heartbeat-watcher</a>
<nav aria-label="Views">
<a href="#overview" data-view="overview">Overview</a>
<a href="#agents" data-view="agents">Agents</a>
<a href="#clusters" data-view="clusters" hidden>Clusters<span class="n" id="nav-clusters-count" hidden></span></a>
<a href="#pending" data-view="pending">Pending<span class="n" id="nav-pending-count" hidden></span></a>
<a href="#alerts" data-view="alerts">Alerts<span class="n" id="nav-alerts-count" hidden></span></a>
<a href="#audit" data-view="audit">Audit</a>
</nav>
<div id="meta"><span>watcher <span id="meta-version">…</span></span><span>last scan <span id="meta-scan">…</span></span>
<button type="button" class="small" id="token-open" hidden>Admin token</button></div>
</header>
<main id="main">
<div class="box bad" id="error" role="alert" hidden><span id="error-text"></span><button type="button" class="small" id="token-ask" hidden>Enter admin token</button></div>
<div class="box warn" id="behind" role="status" hidden><b>⚠</b><span id="behind-text"></span></div>

<section id="v-overview" class="loading" aria-labelledby="h-overview">
<h2 id="h-overview" tabindex="-1">Overview</h2>
<div class="cards">
<div class="card"><h3>Watcher</h3><dl class="kv">
<div><dt>version</dt><dd id="o-version">-</dd></div>
<div><dt>server time</dt><dd id="o-time">-</dd></div>
<div><dt>last scan</dt><dd><span id="o-scan">-</span></dd></div>
<div><dt>scan interval</dt><dd id="o-interval">-</dd></div>
<div><dt>agents</dt><dd id="o-agents">-</dd></div>
<div><dt>open alerts</dt><dd><a href="#alerts" id="o-alerts">-</a></dd></div>
<div id="o-clusters-row" hidden><dt>clusters</dt><dd><a href="#clusters" id="o-clusters">-</a></dd></div>
</dl></div>
<div class="card"><h3>Needs attention</h3><ul class="plain" id="o-attention"></ul>
<p class="muted" id="o-calm" hidden>Nothing: no open alert, no agent late or waiting for approval.</p></div>
</div>
<h3>Groups</h3>
<div class="cards" id="o-groups"></div>
<h3>Config in effect</h3>
<p class="muted" id="o-config-missing" hidden>This watcher does not report its config in <code>GET /v1/status</code>; see its <code>heartbeat-watcher.config.json</code>.</p>
<div id="o-config" hidden><dl class="kv" id="o-config-top"></dl>
<div class="wrap"><table class="data"><thead><tr><th>group</th><th>channels</th><th>heartbeat</th><th>scan</th><th>alert after</th><th>renotify</th><th>auto-approve</th></tr></thead>
<tbody id="o-config-groups"></tbody></table></div></div>
</section>

<section id="v-agents" hidden aria-labelledby="h-agents">
<h2 id="h-agents" tabindex="-1">Agents</h2>
<form class="filters" id="f-filters" role="search">
<label>Search<input type="search" id="f-q" placeholder="agent name" autocomplete="off"></label>
<label>Group<select id="f-group"><option value="">all groups</option></select></label>
<label>Cluster<select id="f-cluster"><option value="">all clusters</option></select></label>
<label>Parent<select id="f-parent"><option value="">any parent</option></select></label>
<label>State<select id="f-state"><option value="">all states</option></select></label>
<label>Sort<select id="f-sort">
<option value="agentId:1">agent</option><option value="state:1">state, worst first</option>
<option value="lastHeartbeatAt:-1">last heartbeat, oldest first</option><option value="lastHeartbeatAt:1">last heartbeat, newest first</option>
<option value="missedScans:-1">missed scans, most first</option><option value="lossLastHourPercent:-1">heartbeats lost, most first</option><option value="clockSkewSeconds:-1">clock skew, largest first</option>
<option value="group:1">group</option><option value="cluster:1">cluster</option><option value="parent:1">parent</option><option value="endpoint:1">endpoint</option><option value="version:1">version</option>
<option value="agentId:-1">agent, Z to A</option><option value="state:-1">state, best first</option><option value="missedScans:1">missed scans, fewest first</option>
<option value="clockSkewSeconds:1">clock skew, smallest first</option><option value="group:-1">group, Z to A</option><option value="cluster:-1">cluster, Z to A</option><option value="parent:-1">parent, Z to A</option>
<option value="endpoint:-1">endpoint, Z to A</option><option value="version:-1">version, Z to A</option>
</select></label>
</form>
<p class="muted" id="agents-count" aria-live="polite"></p>
<div class="wrap"><table class="data" id="t-agents"><thead><tr>
<th data-sort="agentId"><button type="button">agent</button></th><th data-sort="group"><button type="button">group</button></th>
<th data-sort="cluster"><button type="button">cluster</button></th><th data-sort="parent"><button type="button">parent</button></th><th data-sort="state"><button type="button">state</button></th>
<th data-sort="lastHeartbeatAt"><button type="button">last heartbeat</button></th><th data-sort="missedScans"><button type="button">missed</button></th>
<th data-sort="lossLastHourPercent"><button type="button">lost (1 h)</button></th>
<th data-sort="clockSkewSeconds"><button type="button">clock skew</button></th><th data-sort="endpoint"><button type="button">endpoint in use</button></th>
<th data-sort="version"><button type="button">version</button></th>
</tr></thead><tbody id="t-agents-body"></tbody></table></div>
<p class="muted" id="agents-empty" hidden>No agent matches.</p>
<p><button type="button" id="agents-more" hidden>Show more</button></p>
</section>

<section id="v-pending" hidden aria-labelledby="h-pending">
<h2 id="h-pending" tabindex="-1">Pending approval</h2>
<p class="muted">Agents that registered with an enrollment key wait here. Their heartbeats are recorded; nothing is monitored until you approve them.</p>
<p id="pending-empty" hidden>No agent is waiting for approval.</p>
<div class="wrap" id="pending-wrap" hidden><table class="data"><thead><tr><th>agent</th><th>group</th><th>cluster</th><th>registered</th><th>last heartbeat</th><th>endpoint</th><th>version</th><th><span class="skip">actions</span></th></tr></thead>
<tbody id="t-pending-body"></tbody></table></div>
<div id="rejected-section" hidden><h3>Rejected</h3><p class="muted">Their heartbeats are refused (403). Approve one to let it in after all.</p>
<div class="wrap"><table class="data"><thead><tr><th>agent</th><th>group</th><th>last heartbeat</th><th><span class="skip">actions</span></th></tr></thead>
<tbody id="t-rejected-body"></tbody></table></div></div>
</section>

<section id="v-alerts" hidden aria-labelledby="h-alerts">
<h2 id="h-alerts" tabindex="-1">Alerts</h2>
<form class="filters" id="a-filters">
<label>Status<select id="a-status"><option value="open">open</option><option value="resolved">resolved</option><option value="all">all</option></select></label>
<label>Group<select id="a-group"><option value="">all groups</option></select></label>
<label id="a-cluster-label">Cluster<select id="a-cluster"><option value="">all clusters</option></select></label>
</form>
<p class="muted" id="alerts-count" aria-live="polite"></p>
<div class="wrap"><table class="data"><thead><tr><th>severity</th><th>alert</th><th>group</th><th>opened</th><th>status</th><th>acknowledged</th><th>paging</th></tr></thead>
<tbody id="t-alerts-body"></tbody></table></div>
<p class="muted" id="alerts-empty" hidden>No alert here.</p>
</section>

<section id="v-audit" hidden aria-labelledby="h-audit">
<h2 id="h-audit" tabindex="-1">Audit trail</h2>
<p class="muted">Every change made through the admin API: who made it, from where, and the target before and after. Tokens and enrollment keys never appear here.</p>
<form class="filters" id="au-filters">
<label>Target<input id="au-target" placeholder="agent:web-01, group:production" spellcheck="false"></label>
<button type="submit">Filter</button>
</form>
<p class="muted" id="audit-count" aria-live="polite"></p>
<div class="wrap"><table class="data"><thead><tr><th>at</th><th>action</th><th>target</th><th>by</th><th>from</th><th>change</th></tr></thead>
<tbody id="t-audit-body"></tbody></table></div>
<p class="muted" id="audit-empty" hidden>No entry here.</p>
<p><button type="button" id="audit-more" hidden>Load more entries</button></p>
</section>

<section id="v-clusters" hidden aria-labelledby="h-clusters">
<h2 id="h-clusters" tabindex="-1">Clusters</h2>
<p class="muted">A cluster is up while at least its quorum of members is healthy or late. Below it, one <code>cluster_down</code> alert pages the cluster's group, and the members' own pages are held.</p>
<p id="clusters-none" hidden></p>
<p class="muted" id="clusters-count" aria-live="polite"></p>
<div class="cards" id="c-clusters"></div>
</section>

<section id="v-agent" hidden aria-labelledby="d-title">
<p><a href="#agents">← Agents</a></p>
<h2 tabindex="-1"><span id="d-title"></span> <span id="d-state"></span></h2>
<p id="d-missing" hidden>No such agent (it may have been removed).</p>
<div id="d-body" hidden>
<div class="actions">
<button type="button" class="primary" id="d-approve">Approve</button><button type="button" class="danger" id="d-reject">Reject</button>
<button type="button" id="d-maint">Maintenance…</button><button type="button" id="d-maint-end">End maintenance</button>
</div>
<h3>Record</h3><dl class="kv" id="d-record"></dl>
<h3>Probe</h3><p id="d-probe"></p>
<h3>Parent and children</h3>
<p id="d-parent-none">It sits behind no other agent.</p>
<p id="d-parent" hidden>Behind <a id="d-parent-link"></a> <span id="d-parent-state"></span>: while that one is down, this agent's pages are held.</p>
<p id="d-children-text"></p><ul class="members" id="d-children" aria-label="agents behind it"></ul>
<h3>Alert history</h3><p class="muted" id="d-alerts-empty">No alert, ever.</p>
<div class="wrap" id="d-alerts-wrap" hidden><table class="data"><thead><tr><th>severity</th><th>alert</th><th>group</th><th>opened</th><th>status</th><th>acknowledged</th><th>paging</th></tr></thead>
<tbody id="t-d-alerts-body"></tbody></table></div>
</div>
</section>
</main>
<div id="toast" role="status" aria-live="polite"></div>

<dialog id="dlg-ack" aria-labelledby="ack-title"><form>
<h2 id="ack-title">Acknowledge alert</h2><p id="ack-what"></p>
<label>By<input id="ack-by" maxlength="128" autocomplete="name"></label>
<label>Note<textarea id="ack-note" maxlength="1000" rows="3"></textarea></label>
<p class="err" role="alert"></p>
<div class="actions"><button type="submit" class="primary">Acknowledge</button><button type="button" data-close>Cancel</button></div>
</form></dialog>

<dialog id="dlg-maint" aria-labelledby="maint-title"><form>
<h2 id="maint-title">Maintenance</h2><p id="maint-what"></p>
<label>For<select id="maint-for"><option value="30">30 minutes</option><option value="60">1 hour</option><option value="120">2 hours</option>
<option value="240">4 hours</option><option value="480">8 hours</option><option value="1440">24 hours</option><option value="custom">until the time below</option></select></label>
<label>Until (UTC)<input type="datetime-local" id="maint-until" required></label>
<label>Reason<input id="maint-reason" maxlength="500" required placeholder="kernel update"></label>
<p class="err" role="alert"></p>
<div class="actions"><button type="submit" class="primary">Start maintenance</button><button type="button" data-close>Cancel</button></div>
</form></dialog>

<dialog id="dlg-token" aria-labelledby="token-title"><form>
<h2 id="token-title">Admin token</h2>
<p class="muted">Only a watcher bound beyond loopback asks for it (<code>HBW_ADMIN_TOKEN</code>). It stays in this tab (sessionStorage) and is sent to this watcher only. <code>hbw console</code> needs none.</p>
<label>Token<input type="password" id="token-input" autocomplete="off"></label>
<p class="err" role="alert"></p>
<div class="actions"><button type="submit" class="primary">Use it</button><button type="button" id="token-forget">Forget it</button><button type="button" data-close>Cancel</button></div>
</form></dialog>
`;

/** The release build writes the console's bundled script here (scripts/bundle.cjs). */
declare const __HBW_CONSOLE_SCRIPT__: string | undefined;

/** The console's script: as the release build bundled it, or bundled now when run from source. */
export const CONSOLE_SCRIPT: string =
  typeof __HBW_CONSOLE_SCRIPT__ === 'string'
    ? __HBW_CONSOLE_SCRIPT__
    : (
        require('../scripts/console-bundle.cjs') as typeof import('../scripts/console-bundle.cjs')
      ).buildConsoleScript();

export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>heartbeat-watcher</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${CONSOLE_STYLE}</style>
</head>
<body>${BODY}<script>${CONSOLE_SCRIPT}</script>
</body>
</html>
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M1 9h3l2-5 3 9 2-4h4" fill="none" stroke="#cf222e" stroke-width="2"/></svg>`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** A Content-Security-Policy that lets exactly the console's inline style and script run, and nothing from elsewhere. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(CONSOLE_SCRIPT)}`,
  `style-src ${sha256(CONSOLE_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');
