/**
 * Reads Prometheus text exposition (what a scraper sees) into samples, and
 * scrapes an HTTP endpoint, for metrics tests. Handles the label escapes
 * (\\, \", \n); comments (# HELP, # TYPE) are skipped.
 */
import { get } from 'node:http';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;

export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Samples of one metric. */
export function samplesOf(samples: readonly PromSample[], name: string): PromSample[] {
  return samples.filter((s) => s.name === name);
}

/** GETs a URL; resolves with the status, content type and body. */
export function httpGet(url: string, timeoutMs = 3000): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Scrapes a /metrics URL and parses it; rejects unless the answer is 200. */
export async function scrape(url: string): Promise<PromSample[]> {
  const res = await httpGet(url);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}: ${res.body}`);
  return parsePrometheusText(res.body);
}
