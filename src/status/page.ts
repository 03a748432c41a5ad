/**
 * The status page (`GET /`): one self-contained HTML document (inline CSS and script, no CDN,
 * no build step) that polls `status` (the JSON document) every 2 s and redraws: the routing
 * table first (as HAProxy reports it), then problems, then resources, HAProxy and history.
 * Every value is inserted as text (textContent), never as markup.
 */

const CSS = String.raw`
:root{--bg:#f6f7f9;--fg:#1b1f24;--mut:#5b6470;--card:#fff;--line:#dde1e6;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--maint:#6e40c9}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mut:#8d96a0;--card:#161b22;--line:#30363d;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--maint:#a371f7}}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.75rem 1rem;border-bottom:1px solid var(--line);background:var(--card);position:sticky;top:0}
header h1{font-size:1.1rem;margin:0}main{padding:0 1rem 2rem;max-width:1100px;margin:auto}
h2{font-size:1rem;margin:1.4rem 0 .5rem}section{margin-bottom:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem;margin:.5rem 0;overflow-x:auto}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--mut);font-weight:600;font-size:.85rem}td.srv div{white-space:nowrap}
.b{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.78rem;font-weight:600;color:#fff;margin-right:.3rem}
.b.UP,.b.ok{background:var(--ok)}.b.DOWN,.b.bad,.b.rejected,.b.haproxy,.b.backend,.b.resource{background:var(--bad)}.b.MAINT,.b.DRAIN{background:var(--maint)}
.b.STARTING,.b.STOPPING,.b.skipped,.b.guard,.b.quarantined,.b.warn{background:var(--warn)}
.mut{color:var(--mut)}.prob{border-left:4px solid var(--bad)}.prob.skipped,.prob.guard,.prob.quarantined{border-left-color:var(--warn)}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}pre{white-space:pre-wrap;word-break:break-all;margin:.3rem 0;padding:.4rem;background:var(--bg);border-radius:4px;max-height:24rem;overflow:auto}
pre .add{color:var(--ok)}pre .del{color:var(--bad)}details summary{cursor:pointer;color:var(--mut)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.3rem 0}dt{color:var(--mut)}dd{margin:0;word-break:break-word}
#err{color:var(--bad)}@media (max-width:600px){th.opt,td.opt{display:none}main{padding:0 .5rem 2rem}}
`;

const SCRIPT = String.raw`
(function(){
  var $ = function(id){ return document.getElementById(id); };
  function h(tag, attrs){
    var el = document.createElement(tag);
    for (var k in (attrs || {})) { if (k === 'text') el.textContent = attrs[k]; else el.setAttribute(k, attrs[k]); }
    var add = function(c){
      if (c === null || c === undefined || c === false) return;
      if (Array.isArray(c)) { c.forEach(add); return; }
      el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    };
    for (var i = 2; i < arguments.length; i++) add(arguments[i]);
    return el;
  }
  function badge(text, cls){ return h('span', { 'class': 'b ' + (cls || text), text: text }); }
  function ago(t){
    if (!t) return '';
    var s = Math.round((Date.now() - Date.parse(t)) / 1000);
    var rel = s < 60 ? s + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : s < 86400 ? Math.round(s / 3600) + ' h ago' : Math.round(s / 86400) + ' d ago';
    return t.replace('T', ' ').replace(/\.\d+Z$/, 'Z') + ' (' + rel + ')';
  }
  function table(head, rows){
    var t = h('table', {}, h('thead', {}, h('tr', {}, head.map(function(x){ return h('th', { text: x }); }))));
    var body = h('tbody'); rows.forEach(function(r){ body.appendChild(r); }); t.appendChild(body); return t;
  }
  function tr(cells){ var r = h('tr'); cells.forEach(function(c){ r.appendChild(c && c.nodeType ? c : h('td', { text: c === undefined ? '' : String(c) })); }); return r; }
  function td(){ var el = h('td'); for (var i = 0; i < arguments.length; i++) if (arguments[i] !== null && arguments[i] !== undefined) el.appendChild(typeof arguments[i] === 'object' ? arguments[i] : document.createTextNode(String(arguments[i]))); return el; }
  function servers(list){
    var cell = h('td', { 'class': 'srv' });
    if (!list || !list.length) { cell.appendChild(h('span', { 'class': 'mut', text: 'no server (503)' })); return cell; }
    list.forEach(function(s){ cell.appendChild(h('div', {}, badge(s.status), s.name + ' ', h('code', { text: s.address }))); });
    return cell;
  }
  function diff(text){
    var pre = h('pre');
    text.split('\n').forEach(function(l){ pre.appendChild(h('span', { 'class': l[0] === '+' ? 'add' : l[0] === '-' ? 'del' : '', text: l + '\n' })); });
    return pre;
  }
  function dl(pairs){ var d = h('dl'); pairs.forEach(function(p){ if (p[1] === undefined || p[1] === '' || p[1] === null) return; d.appendChild(h('dt', { text: p[0] })); d.appendChild(typeof p[1] === 'object' ? h('dd', {}, p[1]) : h('dd', { text: String(p[1]) })); }); return d; }
  function command(label, c){
    if (!c) return null;
    return h('details', {}, h('summary', {}, label + ': ', badge(c.ok ? 'ok' : 'failed', c.ok ? 'ok' : 'bad'), ' ' + ago(c.at)), h('code', { text: c.command }), c.output ? h('pre', { text: c.output }) : null);
  }
  function routing(doc){
    var box = $('routing'); box.textContent = '';
    var ha = doc.haproxy;
    if (!ha) { box.appendChild(h('p', { 'class': 'mut', text: 'keyplate does not run HAProxy here ([haproxy] is not configured).' })); return; }
    var live = ha.live || {};
    if (!live.routing) { box.appendChild(h('p', { 'class': 'mut', text: 'Routing table unavailable: ' + (live.error || 'no answer from HAProxy') })); return; }
    var byName = {}; live.routing.backends.forEach(function(b){ byName[b.name] = b; });
    var routed = {};
    var rows = live.routing.routes.map(function(r){ routed[r.backend] = true; var b = byName[r.backend]; return tr([td(h('b', { text: r.host })), td(r.backend, r.exists ? null : badge('missing', 'bad')), servers(b && b.servers)]); });
    box.appendChild(h('div', { 'class': 'card' }, rows.length ? table(['Host', 'Backend', 'Servers'], rows) : h('p', { 'class': 'mut', text: 'No host is routed.' })));
    var rest = live.routing.backends.filter(function(b){ return !routed[b.name] && b.servers.length; });
    if (rest.length) box.appendChild(h('details', { 'class': 'card' }, h('summary', { text: rest.length + ' backend(s) with servers but no host in a map' }), table(['Backend', 'Servers'], rest.map(function(b){ return tr([td(b.name), servers(b.servers)]); }))));
  }
  function problems(doc){
    var box = $('problems'); box.textContent = '';
    $('nprob').textContent = doc.problems.length ? '(' + doc.problems.length + ')' : '';
    if (!doc.problems.length) { box.appendChild(h('p', { 'class': 'mut', text: 'None.' })); return; }
    doc.problems.forEach(function(p){
      box.appendChild(h('div', { 'class': 'card prob ' + p.kind }, badge(p.kind), p.resource ? h('span', { 'class': 'mut', text: p.resource + ' ' }) : null, p.item ? h('code', { text: p.item }) : null, h('div', { text: p.message }), p.since ? h('div', { 'class': 'mut', text: 'since ' + ago(p.since) }) : null));
    });
  }
  function resources(doc){
    var box = $('resources'); box.textContent = '';
    doc.resources.forEach(function(r){
      var c = r.cycle || {};
      var card = h('div', { 'class': 'card' }, h('h3', {}, badge(r.ok ? 'ok' : 'failing', r.ok ? 'ok' : 'bad'), r.name));
      card.appendChild(dl([['last render', ago(c.lastRenderAt) + (c.lastRenderMs !== undefined ? ' in ' + c.lastRenderMs + ' ms' : '')], ['last change', ago(c.lastChangeAt)], ['cycles', r.renders + ' ok, ' + r.failures + ' failed (since the resource was last (re)loaded)'], ['next retry', ago(r.nextRetryAt)], ['last error', r.lastError]]));
      if (c.rejected) card.appendChild(h('div', { 'class': 'card prob' }, badge('rejected'), (c.rejected.dst || '') + ' ' + ago(c.rejected.at), h('div', { text: c.rejected.message }), c.rejected.output ? h('pre', { text: c.rejected.output }) : null));
      (c.lastChange || []).forEach(function(f){ card.appendChild(h('details', {}, h('summary', { text: 'last change of ' + f.dst + (f.truncated ? ' (truncated)' : '') }), f.diff ? diff(f.diff) : h('p', { 'class': 'mut', text: f.note || '' }))); });
      card.appendChild(command('last check', c.lastCheck) || h('span'));
      card.appendChild(command('last reload', c.lastReload) || h('span'));
      card.appendChild(table(['Backend', 'Connected', 'Revision', 'Last event', 'Resumes / resyncs', 'Last error'], r.backends.map(function(b){ return tr([b.name + ' (' + b.kind + ')', td(badge(b.connected ? 'yes' : 'no', b.connected ? 'ok' : 'bad')), b.revision || '', ago(b.lastEventAt || b.lastSyncAt), b.resumes + ' / ' + b.resyncs, b.lastError || '']); })));
      box.appendChild(card);
    });
  }
  function haproxy(doc){
    var box = $('haproxy'); box.textContent = '';
    var ha = doc.haproxy; if (!ha) { box.appendChild(h('p', { 'class': 'mut', text: 'Not run by keyplate.' })); return; }
    var live = ha.live || {};
    var rl = ha.reloads.last, rt = ha.runtime.last;
    box.appendChild(h('div', { 'class': 'card' }, dl([
      ['state', h('span', {}, badge(ha.up ? 'up' : ha.state, ha.up ? 'ok' : 'bad'))], ['version', ha.version], ['master pid', ha.masterPid],
      ['worker pids', (live.workerPids || []).join(', ') + (live.oldWorkerPids && live.oldWorkerPids.length ? ' (draining: ' + live.oldWorkerPids.join(', ') + ')' : '')],
      ['reloads', ha.reloads.count + ' (' + ha.reloads.failures + ' failed)'], ['last reload', rl ? ago(rl.at) + (rl.ok ? '' : ' FAILED') + ': ' + rl.reason : ''],
      ['runtime API applies', ha.runtime.applies + ' (' + ha.runtime.commands + ' commands, ' + ha.runtime.failures + ' fell back to a reload)'],
      ['last runtime apply', rt ? ago(rt.at) + ': ' + rt.reason : ''], ['restarts', ha.restarts]])));
  }
  function history(doc){
    var box = $('history'); box.textContent = '';
    if (!doc.history.length) { box.appendChild(h('p', { 'class': 'mut', text: 'Nothing yet.' })); return; }
    box.appendChild(h('div', { 'class': 'card' }, table(['When', 'Resource', 'What'], doc.history.map(function(e){ return tr([ago(e.at), e.resource, td(badge(e.kind, e.kind === 'failed' ? 'bad' : e.kind === 'changed' ? 'ok' : 'warn'), e.message)]); }))));
  }
  function draw(doc){
    $('ver').textContent = 'keyplate ' + doc.keyplate.version + ' \u00b7 ' + doc.keyplate.node;
    var st = $('state'); st.textContent = ''; st.appendChild(badge(doc.ok ? 'ok' : 'problems', doc.ok ? 'ok' : 'bad'));
    $('at').textContent = 'updated ' + ago(doc.generatedAt);
    routing(doc); problems(doc); resources(doc); haproxy(doc); history(doc);
  }
  function poll(){
    fetch('status', { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function(r){ if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function(doc){ $('err').textContent = ''; draw(doc); })
      .catch(function(e){ $('err').textContent = 'cannot reach keyplate: ' + e.message; })
      .then(function(){ setTimeout(poll, 2000); });
  }
  poll();
})();
`;

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>keyplate status</title><style>${CSS}</style></head>
<body><header><h1>keyplate</h1><span id="state"></span><span id="ver" class="mut"></span><span id="at" class="mut"></span><span id="err"></span></header>
<main>
<section><h2>Routing (as HAProxy reports it)</h2><div id="routing"><p class="mut">Loading…</p></div></section>
<section><h2>Problems <span id="nprob"></span></h2><div id="problems"></div></section>
<section><h2>Resources</h2><div id="resources"></div></section>
<section><h2>HAProxy</h2><div id="haproxy"></div></section>
<section><h2>History</h2><div id="history"></div></section>
</main>
<script>${SCRIPT}</script>
</body></html>
`;
