// Prometheus metrics in the text exposition format (version 0.0.4), served on a loopback HTTP endpoint by default.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

type Labels = Record<string, string>;

/** Further GET paths served beside /metrics (the status page): path without query → what to send. */
export type Pages = Record<string, () => { type: string; body: string }>;

interface Series {
  labels: Labels;
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'summary';
  series: Map<string, Series>;
  /** For summaries: the last observations per series (bounded) and how many there were in all. */
  samples?: Map<string, number[]>;
  counts?: Map<string, number>;
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function renderLabels(labels: Labels, extra?: Labels): string {
  const all = { ...labels, ...extra };
  const keys = Object.keys(all);
  if (keys.length === 0) return '';
  return '{' + keys.map((k) => `${k}="${escapeLabel(all[k]!)}"`).join(',') + '}';
}

const SUMMARY_WINDOW = 1024;

export class Metrics {
  private readonly families = new Map<string, Family>();

  private family(name: string, help: string, type: Family['type']): Family {
    let f = this.families.get(name);
    if (!f) {
      if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`metrics: invalid metric name '${name}'`);
      f = { name, help, type, series: new Map() };
      if (type === 'summary') {
        f.samples = new Map();
        f.counts = new Map();
      }
      this.families.set(name, f);
    } else if (f.type !== type) {
      throw new Error(`metrics: ${name} is a ${f.type}, not a ${type}`);
    }
    return f;
  }

  counter(name: string, help: string, by = 1, labels: Labels = {}): void {
    if (by < 0) throw new Error(`metrics: counter ${name} cannot go down (by ${by})`);
    const f = this.family(name, help, 'counter');
    const key = labelKey(labels);
    const s = f.series.get(key) ?? { labels, value: 0 };
    s.value += by;
    f.series.set(key, s);
  }

  gauge(name: string, help: string, value: number, labels: Labels = {}): void {
    const f = this.family(name, help, 'gauge');
    f.series.set(labelKey(labels), { labels, value });
  }

  /** Records one observation of a summary (count, sum and the 0.5/0.9/0.99 quantiles of the last observations). */
  observe(name: string, help: string, value: number, labels: Labels = {}): void {
    const f = this.family(name, help, 'summary');
    const key = labelKey(labels);
    const s = f.series.get(key) ?? { labels, value: 0 };
    s.value += value;
    f.series.set(key, s);
    const window = f.samples!.get(key) ?? [];
    window.push(value);
    if (window.length > SUMMARY_WINDOW) window.splice(0, window.length - SUMMARY_WINDOW);
    f.samples!.set(key, window);
    f.counts!.set(key, (f.counts!.get(key) ?? 0) + 1);
  }

  render(): string {
    const lines: string[] = [];
    for (const f of [...this.families.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      lines.push(`# TYPE ${f.name} ${f.type}`);
      for (const [key, s] of f.series) {
        if (f.type !== 'summary') {
          lines.push(`${f.name}${renderLabels(s.labels)} ${s.value}`);
          continue;
        }
        const window = [...(f.samples!.get(key) ?? [])].sort((a, b) => a - b);
        for (const q of [0.5, 0.9, 0.99]) {
          const v = window.length ? window[Math.min(window.length - 1, Math.floor(q * window.length))]! : NaN;
          lines.push(`${f.name}${renderLabels(s.labels, { quantile: String(q) })} ${v}`);
        }
        const count = f.counts!.get(key) ?? 0;
        lines.push(`${f.name}_sum${renderLabels(s.labels)} ${s.value}`);
        lines.push(`${f.name}_count${renderLabels(s.labels)} ${count}`);
      }
    }
    return lines.join('\n') + '\n';
  }

  /** Serves GET /metrics and the given pages on host:port (port 0 picks a free one). Resolves once listening. */
  serve(host: string, port: number, pages: Pages = {}): Promise<Server> {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const page = Object.hasOwn(pages, path) ? pages[path] : undefined;
      if (req.method === 'GET' && path === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(this.render());
      } else if (req.method === 'GET' && page) {
        const { type, body } = page();
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(`not found: try ${['/metrics', ...Object.keys(pages)].join(' ')}\n`);
      }
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }
}
