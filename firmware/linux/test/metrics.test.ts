import { describe, expect, test } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { Metrics } from '../src/metrics.ts';

describe('Prometheus metrics', () => {
  test('counters, gauges and summaries render in the text exposition format', () => {
    const m = new Metrics();
    m.counter('meterchain_readings_accepted_total', 'Readings accepted by the cluster.', 3);
    m.counter('meterchain_readings_accepted_total', 'Readings accepted by the cluster.', 2);
    m.gauge('meterchain_spool_depth', 'Frames waiting for the broker.', 7, { cluster: 'feeder-1' });
    for (let i = 1; i <= 100; i++) m.observe('meterchain_verify_seconds', 'Time to verify one signature.', i / 1000);
    const text = m.render();
    expect(text).toContain('# TYPE meterchain_readings_accepted_total counter\nmeterchain_readings_accepted_total 5\n');
    expect(text).toContain('meterchain_spool_depth{cluster="feeder-1"} 7\n');
    expect(text).toContain('meterchain_verify_seconds{quantile="0.5"} 0.051\n');
    expect(text).toContain('meterchain_verify_seconds_count 100\n');
  });

  test('a counter refuses to go down, and a name cannot change type', () => {
    const m = new Metrics();
    expect(() => m.counter('x_total', 'x', -1)).toThrow(/cannot go down/);
    m.gauge('y', 'y', 1);
    expect(() => m.counter('y', 'y')).toThrow(/is a gauge/);
  });

  test('GET /metrics serves the rendering on loopback; other paths are 404', async () => {
    const m = new Metrics();
    m.counter('meterchain_rounds_total', 'Rounds completed.', 4);
    const server = await m.serve('127.0.0.1', 0);
    try {
      const port = (server.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await res.text()).toContain('meterchain_rounds_total 4');
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    } finally {
      server.close();
    }
  });

  test('further pages (the status page) are served beside /metrics, uncached; unknown paths stay 404', async () => {
    const m = new Metrics();
    let polls = 0;
    const server = await m.serve('127.0.0.1', 0, {
      '/': () => ({ type: 'text/html; charset=utf-8', body: '<h1>status</h1>' }),
      '/status.json': () => ({ type: 'application/json', body: JSON.stringify({ polls: ++polls }) }),
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const page = await fetch(`${base}/`);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toBe('<h1>status</h1>');
      const status = await fetch(`${base}/status.json?t=1`);
      expect(status.headers.get('cache-control')).toBe('no-store');
      expect(await status.json()).toEqual({ polls: 1 });
      expect(await (await fetch(`${base}/status.json`)).json()).toEqual({ polls: 2 });
      expect((await fetch(`${base}/constructor`)).status).toBe(404);
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
