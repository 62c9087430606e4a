// The dashboard the control centre serves at `/`: every region on one page with its live load curve, block and anchor
// progress, its meters' states and the evidence, and a proof check of any reading run in the browser (the bundled
// verifier: the browser trusts the manifests it is given and nothing else). One HTML page, no outside assets.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { browserBundle } from './bundle.ts';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>meterchain control centre</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 18px;display:flex;gap:24px;align-items:baseline}
header h1{font-size:18px;margin:0}
main{padding:14px 18px;display:grid;gap:14px}
.regions{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:14px}
section{background:#fff;border-radius:6px;padding:12px 14px;box-shadow:0 1px 2px #0002}
h2{font-size:16px;margin:0 0 6px}
.facts{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;color:#445}
.fault{color:#b00020;font-weight:600}
canvas{width:100%;height:140px;display:block;margin:8px 0;background:#fbfbfd}
table{border-collapse:collapse;width:100%;font-size:12px}
td,th{text-align:left;padding:2px 6px;border-bottom:1px solid #eee}
.ok{color:#0a7d32}.bad{color:#b00020}.state-behind{color:#b36b00}
button{font:inherit;padding:3px 10px}
input,select{font:inherit;padding:2px 4px}
#proof-result{margin-top:8px;font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap}
</style></head>
<body>
<header><h1>meterchain control centre</h1><span id="summary">loading…</span></header>
<main>
<div class="regions" id="regions"></div>
<section><h2>Evidence</h2><table id="evidence"><thead><tr><th>region</th><th>kind</th><th>height</th><th>detail</th></tr></thead><tbody></tbody></table></section>
<section><h2>Check a reading's proof in this browser</h2>
<form id="proof-form">region <select id="proof-region"></select> meter <input id="proof-meter" size="44"> seq <input id="proof-seq" size="8">
<button type="submit">check</button></form>
<div id="proof-result"></div></section>
</main>
<script src="/dashboard.js"></script>
<script>
const $ = (id) => document.getElementById(id);
const get = async (path) => { const r = await fetch(path); if (!r.ok) throw new Error(path + ': ' + r.status); return r.json(); };
const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const cards = {};
function card(region) {
  if (cards[region]) return cards[region];
  const s = document.createElement('section');
  s.className = 'region';
  s.dataset.region = region;
  s.innerHTML = '<h2></h2><div class="facts"></div><canvas width="760" height="280"></canvas><table class="meters"><thead><tr><th>meter</th><th>readings</th><th>last seq</th><th>state</th><th></th></tr></thead><tbody></tbody></table>';
  $('regions').appendChild(s);
  const opt = document.createElement('option');
  opt.value = opt.textContent = region;
  $('proof-region').appendChild(opt);
  return (cards[region] = s);
}
function plot(canvas, points) {
  const g = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height, pad = 30;
  g.clearRect(0, 0, w, h);
  g.strokeStyle = '#ccd'; g.lineWidth = 1; g.strokeRect(pad, 8, w - pad - 8, h - pad - 8);
  if (points.length === 0) return;
  const xs = points.map((p) => p.startMs), ys = points.map((p) => p.powerW);
  const x0 = Math.min(...xs), x1 = Math.max(...xs) || x0 + 1, y0 = 0, y1 = Math.max(...ys) * 1.1 || 1;
  const X = (x) => pad + ((x - x0) / Math.max(1, x1 - x0)) * (w - pad - 8);
  const Y = (y) => h - pad - ((y - y0) / (y1 - y0)) * (h - pad - 16);
  g.fillStyle = '#445'; g.font = '16px sans-serif';
  g.fillText(Math.round(y1 / 1000) + ' kW', 2, 22);
  g.strokeStyle = '#1565c0'; g.lineWidth = 3; g.beginPath();
  points.forEach((p, i) => (i === 0 ? g.moveTo(X(p.startMs), Y(p.powerW)) : g.lineTo(X(p.startMs), Y(p.powerW))));
  if (points.length === 1) g.lineTo(X(points[0].startMs) + 6, Y(points[0].powerW));
  g.stroke();
}
async function refresh() {
  const [regions, anchoring, evidence] = await Promise.all([get('/api/regions'), get('/api/anchoring'), get('/api/evidence')]);
  let readings = 0;
  for (const r of regions) {
    readings += r.readings;
    const s = card(r.region);
    const a = anchoring.find((x) => x.region === r.region) || {};
    s.querySelector('h2').textContent = r.region;
    s.querySelector('.facts').innerHTML =
      '<span>block <b class="height">' + r.height + '</b></span><span>anchored <b class="anchored">' + a.anchoredHeight + '</b></span>' +
      '<span>unanchored ' + a.unanchoredBlocks + '</span><span>readings ' + r.readings + '</span><span>members ' + r.members + '</span>' +
      (a.anchorLagMs ? '<span>anchor lag ' + Math.round(a.anchorLagMs.mean) + ' ms</span>' : '') +
      (r.fault ? '<span class="fault">stopped: ' + esc(r.fault) + '</span>' : '');
    const interval = r.roundMs;
    const load = await get('/api/regions/' + encodeURIComponent(r.region) + '/load?interval=' + interval);
    plot(s.querySelector('canvas'), load.intervals.slice(-300));
    s.dataset.points = load.intervals.length;
    const meters = await get('/api/regions/' + encodeURIComponent(r.region) + '/meters');
    s.querySelector('tbody').innerHTML = meters.map((m) => {
      const state = m.lastHeight >= r.height ? 'reporting' : 'behind';
      return '<tr><td class="meter">' + esc(m.meter) + '</td><td>' + m.readings + '</td><td>' + m.lastSeq + '</td><td class="state-' + state + '">' + state +
        '</td><td><button type="button" data-meter="' + esc(m.meter) + '" data-seq="' + m.lastSeq + '" data-region="' + esc(r.region) + '">proof</button></td></tr>';
    }).join('');
  }
  $('summary').textContent = regions.length + ' regions, ' + readings + ' readings verified';
  $('evidence').querySelector('tbody').innerHTML = evidence.map((e) => '<tr><td>' + esc(e.region) + '</td><td>' + esc(e.kind) + '</td><td>' + e.height + '</td><td>' + esc(e.detail) + '</td></tr>').join('');
  document.body.dataset.refreshed = String(Date.now());
}
async function checkProof(region, meter, seq) {
  const out = $('proof-result');
  out.className = ''; out.textContent = 'checking…';
  try {
    const [m, p] = await Promise.all([get('/api/regions/' + encodeURIComponent(region) + '/manifests'), get('/api/regions/' + encodeURIComponent(region) + '/meters/' + encodeURIComponent(meter) + '/readings/' + seq + '/proof')]);
    const v = window.meterchain.checkProof(m.map((x) => x.manifest), p.proof);
    out.className = v.ok ? 'ok' : 'bad';
    out.textContent = v.text + (v.manifests ? '\\nmanifest digest ' + v.manifests.join(', ') : '');
  } catch (e) { out.className = 'bad'; out.textContent = String(e.message || e); }
}
$('proof-form').addEventListener('submit', (e) => { e.preventDefault(); checkProof($('proof-region').value, $('proof-meter').value.trim(), $('proof-seq').value.trim()); });
$('regions').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-meter]');
  if (!b) return;
  $('proof-region').value = b.dataset.region; $('proof-meter').value = b.dataset.meter; $('proof-seq').value = b.dataset.seq;
  checkProof(b.dataset.region, b.dataset.meter, b.dataset.seq);
});
const loop = () => refresh().catch((e) => ($('summary').textContent = 'error: ' + e.message)).finally(() => setTimeout(loop, 2000));
loop();
</script>
</body></html>
`;

/** Serves `/` (the page) and `/dashboard.js` (the bundled proof check); anything else is not the dashboard's. */
export async function dashboard(_req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  if (path === '/' || path === '/dashboard') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(PAGE);
    return true;
  }
  if (path === '/dashboard.js') {
    const js = await browserBundle();
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600' });
    res.end(js);
    return true;
  }
  return false;
}
