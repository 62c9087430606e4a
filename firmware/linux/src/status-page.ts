// The status page served at GET / on the metrics listener: one self-contained HTML file that polls /status.json every
// second and draws it. Kept in a module (not a file beside it) so the single-file node carries it.

export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>meterchain node</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2733; background: #f7f8fa; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; }
  h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
  .sub { color: #56606b; }
  table { border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px #0002; }
  th, td { padding: .25em .7em; text-align: left; border-bottom: 1px solid #e3e6ea; white-space: nowrap; }
  th { background: #eef1f5; font-weight: 600; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  code { font-size: .92em; }
  .state { display: inline-block; padding: 0 .5em; border-radius: .7em; color: #fff; font-size: .9em; }
  .self { background: #3b6fd8; } .active, .accepted { background: #2e8b57; } .silent, .not-enough-votes, .too-late, .unknown { background: #8a8f98; }
  .rejected, .flagged { background: #c0392b; }
  .grid { display: flex; flex-wrap: wrap; gap: 0 2.5em; }
  #error { color: #c0392b; }
</style>
</head>
<body>
<h1>meterchain node <span id="name"></span></h1>
<div class="sub" id="summary">loading…</div>
<div id="error"></div>

<h2>Cluster <span id="cluster"></span></h2>
<table id="members"><thead><tr><th>member</th><th>address</th><th>role</th><th>state</th><th>last round</th><th>accepted</th><th>rejected</th><th>not enough votes</th><th>evidence</th></tr></thead><tbody></tbody></table>

<div class="grid">
<div>
<h2>Recent rounds</h2>
<table id="rounds"><thead><tr><th>round</th><th>accepted</th><th>rejected</th><th>not enough votes</th><th>own reading</th></tr></thead><tbody></tbody></table>
</div>
<div>
<h2>Recent blocks</h2>
<table id="blocks"><thead><tr><th>height</th><th>hash</th><th>last round</th><th>submissions</th><th>own</th><th>view</th></tr></thead><tbody></tbody></table>
</div>
<div>
<h2>Own readings</h2>
<div class="sub" id="own-counts"></div>
<table id="own"><thead><tr><th>round</th><th>outcome</th><th>flags</th><th>block</th></tr></thead><tbody></tbody></table>
</div>
</div>

<h2>Device</h2>
<table id="device"><tbody></tbody></table>

<script>
'use strict';
// Cells are set as text, never as HTML: names come from the manifest and errors from devices.
function cell(row, value, cls) {
  const td = document.createElement('td');
  if (cls === 'state') {
    const s = document.createElement('span');
    s.className = 'state ' + value;
    s.textContent = value;
    td.appendChild(s);
  } else {
    td.textContent = value === null || value === undefined ? '–' : String(value);
    if (cls) td.className = cls;
  }
  row.appendChild(td);
}
function fill(id, rows, cells) {
  const body = document.querySelector('#' + id + ' tbody');
  body.replaceChildren(...rows.map((r) => { const tr = document.createElement('tr'); cells(tr, r); return tr; }));
}
function short(text) { return text.length > 14 ? text.slice(0, 8) + '…' + text.slice(-4) : text; }
function ago(ms, now) { return ms === null ? null : ((now - ms) / 1000).toFixed(1) + ' s ago'; }

function draw(s) {
  const n = s.node;
  document.getElementById('name').textContent = n.name ? n.name + ' (' + short(n.address) + ')' : n.address;
  document.getElementById('summary').textContent =
    'round ' + n.round + ' · height ' + n.height + ' · broker ' + (n.broker.connected ? 'connected' : 'DISCONNECTED') +
    (n.broker.queued ? ' (' + n.broker.queued + ' queued)' : '') + ' · up ' + Math.round((n.now - n.startedAt) / 1000) + ' s';
  document.getElementById('cluster').textContent = n.cluster + ' · epoch ' + n.epoch + ' · ' + n.members + ' members · rule ' + n.rule +
    ' · rounds of ' + n.roundMs + ' ms · a block every ' + n.blockRounds + ' rounds';
  fill('members', s.members, (tr, m) => {
    cell(tr, m.name || '–'); cell(tr, short(m.address)); cell(tr, m.role); cell(tr, m.state, 'state'); cell(tr, m.lastRound, 'n');
    cell(tr, m.accepted, 'n'); cell(tr, m.rejected, 'n'); cell(tr, m.notEnoughVotes, 'n'); cell(tr, m.evidence, 'n');
  });
  fill('rounds', s.rounds, (tr, r) => {
    cell(tr, r.round, 'n'); cell(tr, r.accepted, 'n'); cell(tr, r.rejected, 'n'); cell(tr, r.notEnoughVotes, 'n');
    if (r.own) cell(tr, r.own, 'state'); else cell(tr, null);
  });
  fill('blocks', s.blocks, (tr, b) => {
    cell(tr, b.height, 'n'); cell(tr, short(b.hash)); cell(tr, b.lastRound, 'n'); cell(tr, b.submissions, 'n'); cell(tr, b.own, 'n'); cell(tr, b.view, 'n');
  });
  const o = s.own;
  document.getElementById('own-counts').textContent = o.accepted + ' accepted · ' + o.rejected + ' rejected · ' + o.notEnoughVotes + ' not enough votes · ' + o.tooLate + ' too late';
  fill('own', o.recent, (tr, r) => {
    cell(tr, r.round, 'n'); cell(tr, r.outcome, 'state'); cell(tr, r.flags.join(' ') || 'none'); cell(tr, r.block, 'n');
  });
  const d = s.device;
  const ms = (v) => (v === null ? null : v.toFixed(1) + ' ms');
  fill('device', [
    ['samples taken', d.samples], ['gaps (sensor failed)', d.gaps], ['last sample', ago(d.lastSampleAt, n.now)],
    ['sample time: last / mean / max', [ms(d.sampleMs.last), ms(d.sampleMs.mean), ms(d.sampleMs.max)].join(' / ')],
    ['flags of the last sample', d.lastFlags.join(' ') || 'none'], ['last error', d.lastError ? d.lastError + ' (' + ago(d.lastErrorAt, n.now) + ')' : null],
    ['line counters', d.counters ? Object.entries(d.counters).map(([k, v]) => k + ' ' + v).join(' · ') : 'none kept'],
  ], (tr, [k, v]) => { const th = document.createElement('th'); th.textContent = k; tr.appendChild(th); cell(tr, v); });
}

async function poll() {
  try {
    const res = await fetch('status.json', { cache: 'no-store' });
    if (!res.ok) throw new Error('status.json: HTTP ' + res.status);
    draw(await res.json());
    document.getElementById('error').textContent = '';
  } catch (e) {
    document.getElementById('error').textContent = 'node not answering: ' + e.message;
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
`;
