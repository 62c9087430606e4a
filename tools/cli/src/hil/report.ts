// The reports a lab files: JUnit XML for its CI, and one self-contained HTML page (no script, no outside file) with
// each scenario's verdict, its faults on a timeline, the readings with their quality flags plotted against time,
// and the communication counters.
import { qualityNames } from '@meterchain/core';
import { EXPECTED_OUTCOME, describeFault, faultWindow } from './faults.ts';
import type { ClassedReading } from './judge.ts';
import type { ScenarioResult } from './run.ts';

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junitXml(results: ScenarioResult[]): string {
  const failures = results.filter((r) => !r.verdict.pass).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = results.reduce((s, r) => s + r.durationMs, 0);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="meterchain hil" tests="${results.length}" failures="${failures}" time="${seconds(total)}">`];
  lines.push(`  <testsuite name="meterchain hil" tests="${results.length}" failures="${failures}" errors="0" time="${seconds(total)}">`);
  for (const r of results) {
    lines.push(`    <testcase classname="hil.${esc(r.profile)}.${esc(r.link)}" name="${esc(r.scenario.name)}" time="${seconds(r.durationMs)}">`);
    const failed = r.verdict.criteria.filter((c) => !c.ok);
    if (failed.length > 0) {
      lines.push(`      <failure message="${esc(failed.map((c) => c.name).join('; '))}">${esc(failed.map((c) => `${c.name}: ${c.detail}`).join('\n'))}</failure>`);
    }
    lines.push(`      <system-out>${esc([`device: ${r.device}`, `truth: ${r.verdict.truth}`, ...r.verdict.criteria.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`)].join('\n'))}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

const COLOURS = { exact: '#1a7f37', flagged: '#bf8700', wrong: '#cf222e', fault: '#d0d7de', gap: '#ffd8d3' };

/** The plotted channel's value of a reading, or null. */
function plotted(r: ClassedReading, id: string): number | null {
  const c = r.channels.find((x) => x.id === id);
  return c && c.value !== null ? c.value * Math.pow(10, c.scale) : null;
}

/** An SVG plot: fault windows as grey bands, gaps as red bands, readings as dots coloured by class. */
function plot(r: ScenarioResult): string {
  const width = 900;
  const height = 220;
  const left = 70;
  const right = 10;
  const top = 28;
  const bottom = 30;
  const first = r.verdict.readings[0];
  const id = r.scenario.plot ?? first?.channels[0]?.id ?? '';
  const unit = first?.channels.find((c) => c.id === id)?.unit ?? '';
  const values = r.verdict.readings.map((x) => plotted(x, id)).filter((v): v is number => v !== null);
  const span = Math.max(r.endMs, r.durationMs, 1);
  let lo = values.length ? Math.min(...values) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (hi - lo < 1e-9) {
    lo -= Math.max(1, Math.abs(lo) * 0.01);
    hi += Math.max(1, Math.abs(hi) * 0.01);
  }
  const x = (t: number) => left + ((width - left - right) * Math.max(0, Math.min(t, span))) / span;
  const y = (v: number) => top + ((height - top - bottom) * (hi - v)) / (hi - lo);
  const parts: string[] = [`<svg class="plot" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(id)} against time">`];
  parts.push(`<rect x="${left}" y="${top}" width="${width - left - right}" height="${height - top - bottom}" fill="#fff" stroke="#8c959f"/>`);
  r.scenario.faults.forEach((f, i) => {
    const w = faultWindow(f, r.endMs);
    const x0 = x(w.from);
    const x1 = Math.max(x(w.to), x0 + 2);
    parts.push(`<rect class="fault-band" x="${x0.toFixed(1)}" y="${top}" width="${(x1 - x0).toFixed(1)}" height="${height - top - bottom}" fill="${COLOURS.fault}" opacity="0.6"><title>${esc(describeFault(f))}</title></rect>`);
    parts.push(`<text x="${x0.toFixed(1)}" y="${12 + (i % 2) * 12}" font-size="11">${esc(f.kind)}</text>`);
  });
  for (const g of r.gaps) {
    const at = r.timeline.find((e) => e.what === `gap reported: slots ${g.fromSlot}-${g.toSlot}`)?.t ?? 0;
    const x0 = x(g.fromSlot * r.scenario.periodMs);
    const x1 = Math.max(x((g.toSlot + 1) * r.scenario.periodMs), x0 + 2);
    parts.push(`<rect class="gap-band" x="${x0.toFixed(1)}" y="${height - bottom - 8}" width="${(x1 - x0).toFixed(1)}" height="8" fill="${COLOURS.gap}" stroke="${COLOURS.wrong}"><title>gap: slots ${g.fromSlot}-${g.toSlot}, reported at ${at} ms (${esc(g.reason)})</title></rect>`);
  }
  for (const reading of r.verdict.readings) {
    const v = plotted(reading, id);
    const flags = qualityNames(reading.quality).join(' ') || 'no flags';
    if (v === null) {
      // A reading without the plotted channel: a hollow mark on the axis, so every reading shows.
      parts.push(`<circle class="reading ${reading.class} missing" cx="${x(reading.t).toFixed(1)}" cy="${height - bottom - 4}" r="4" fill="none" stroke="${COLOURS[reading.class]}" stroke-width="2"><title>slot ${reading.slot} at ${reading.t} ms: ${esc(id)} missing, ${esc(flags)}</title></circle>`);
      continue;
    }
    parts.push(`<circle class="reading ${reading.class}" cx="${x(reading.t).toFixed(1)}" cy="${y(v).toFixed(1)}" r="4" fill="${COLOURS[reading.class]}"><title>slot ${reading.slot} at ${reading.t} ms: ${v} ${esc(unit)}, ${esc(flags)}${reading.why ? ` (${esc(reading.why)})` : ''}</title></circle>`);
  }
  parts.push(`<text x="4" y="${top + 10}" font-size="11">${esc(Number(hi.toPrecision(8)).toString())}</text>`);
  parts.push(`<text x="4" y="${height - bottom}" font-size="11">${esc(Number(lo.toPrecision(8)).toString())}</text>`);
  parts.push(`<text x="${left}" y="${height - 8}" font-size="11">0 s</text><text x="${width - right - 40}" y="${height - 8}" font-size="11">${(span / 1000).toFixed(1)} s</text>`);
  parts.push(`<text x="${left + 200}" y="${height - 8}" font-size="11">${esc(id)} (${esc(unit)}) against time</text>`);
  parts.push('</svg>');
  return parts.join('');
}

function table(head: string[], rows: string[][], cls: string): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function counters(r: ScenarioResult): string {
  const rows: string[][] = [];
  const add = (side: string, obj: object | null) => {
    if (!obj) return;
    for (const [k, v] of Object.entries(obj)) rows.push([esc(side), esc(k), String(v)]);
  };
  add('node (bus)', r.counters.node);
  add('proxy (line)', r.counters.proxy);
  add('device (simulator)', r.counters.device);
  return table(['where', 'counter', 'count'], rows, 'counters');
}

function section(r: ScenarioResult, index: number): string {
  const verdict = r.verdict.pass ? 'PASS' : 'FAIL';
  const faults = r.scenario.faults.length === 0
    ? '<p>No fault injected: the clean baseline.</p>'
    : table(['fault', 'expected outcome'], r.scenario.faults.map((f) => [esc(describeFault(f)), esc(EXPECTED_OUTCOME[f.kind])]), 'faults');
  const timeline = table(['at (ms)', 'event'], r.timeline.map((e) => [String(e.t), esc(e.what)]), 'timeline');
  const criteria = table(['', 'criterion', 'detail'], r.verdict.criteria.map((c) => [c.ok ? 'ok' : '<b>FAIL</b>', esc(c.name), esc(c.detail)]), 'criteria');
  return `<section id="scenario-${index}" class="scenario verdict-${verdict.toLowerCase()}">
<h2>${esc(r.scenario.name)} <span class="verdict">${verdict}</span></h2>
<p>${esc(r.scenario.summary)}</p>
<p class="meta">Device: ${esc(r.device)} · profile ${esc(r.profile)} · link ${esc(r.link)} · ${r.scenario.samples} slots of ${r.scenario.periodMs} ms · truth: ${esc(r.verdict.truth)}</p>
${criteria}
<h3>Faults</h3>${faults}
<h3>Readings</h3>${plot(r)}
<p class="legend"><span style="color:${COLOURS.exact}">●</span> exact <span style="color:${COLOURS.flagged}">●</span> flagged <span style="color:${COLOURS.wrong}">●</span> wrong and unflagged · ○ on the axis: channel missing · grey bands: faults · red bars: gaps</p>
<h3>Timeline</h3>${timeline}
<h3>Communication counters</h3>${counters(r)}
</section>`;
}

export function htmlReport(results: ScenarioResult[], title: string, generatedAt: string): string {
  const passed = results.filter((r) => r.verdict.pass).length;
  const rows = results.map((r, i) => [
    `<a href="#scenario-${i}">${esc(r.scenario.name)}</a>`,
    esc(r.profile), esc(r.link),
    r.verdict.pass ? '<span class="pass">PASS</span>' : '<span class="fail">FAIL</span>',
    String(r.verdict.readings.length), String(r.verdict.readings.filter((x) => x.class === 'exact').length), String(r.verdict.readings.filter((x) => x.class === 'flagged').length),
    String(r.verdict.readings.filter((x) => x.class === 'wrong').length), String(r.gaps.length),
    esc(r.verdict.criteria.filter((c) => !c.ok).map((c) => c.name).join('; ')),
  ]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#1f2328;max-width:1000px}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;font-size:13px}
th{background:#f6f8fa}.pass{color:${COLOURS.exact};font-weight:bold}.fail{color:${COLOURS.wrong};font-weight:bold}
section.scenario{border-top:2px solid #d0d7de;margin-top:2em}section.verdict-fail h2 .verdict{color:${COLOURS.wrong}}section.verdict-pass h2 .verdict{color:${COLOURS.exact}}
.meta{color:#57606a;font-size:13px}
</style></head><body>
<h1>${esc(title)}</h1>
<p id="summary">${passed} of ${results.length} scenarios passed · generated ${esc(generatedAt)}</p>
${table(['scenario', 'profile', 'link', 'verdict', 'readings', 'exact', 'flagged', 'wrong unflagged', 'gaps', 'failed criteria'], rows, 'verdicts')}
${results.map(section).join('\n')}
</body></html>
`;
}
