/**
 * Reads the entries of an endpoints file. The file is YAML or JSON holding a
 * list of entries, `{endpoints: [...]}`, or a Kubernetes List (`items`, as
 * `kubectl get endpoints.submariner.io -o yaml` prints). An empty file is an
 * error rather than "no endpoints", because a writer that truncates before
 * writing would otherwise tear every cable down; write `[]` to remove all.
 */
import { yamlModule } from '../lib/yaml.js';
import { clip } from './endpoint-policy.js';

/** The raw entries, or why the text is not an endpoints file. */
export type EntriesRead = { ok: true; entries: unknown[] } | { ok: false; reason: string };

/** Parses endpoints file text into its raw entries (not yet validated). */
export function parseEndpointsText(text: string): EntriesRead {
  if (text.trim() === '')
    return { ok: false, reason: 'the file is empty; write [] (or endpoints: []) to remove every remote endpoint' };
  let doc: unknown;
  try {
    doc = parseFast(text);
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0]?.replace(/:$/, '');
    return { ok: false, reason: `not valid YAML or JSON: ${clip(first ?? '', 200)}; fix the syntax` };
  }
  if (Array.isArray(doc)) return { ok: true, entries: doc };
  if (typeof doc === 'object' && doc !== null) {
    const d = doc as Record<string, unknown>;
    for (const field of ['endpoints', 'items']) {
      if (!(field in d)) continue;
      const list = d[field];
      if (list === null) return { ok: true, entries: [] };
      if (Array.isArray(list)) return { ok: true, entries: list };
      return { ok: false, reason: `"${field}" is not a list; write ${field}: [ ... ]` };
    }
  }
  return { ok: false, reason: 'expected a list of endpoints, {endpoints: [...]} or a Kubernetes List with items' };
}

/** JSON is YAML, but JSON.parse reads a large JSON file ~50x faster than the YAML parser. */
function parseFast(text: string): unknown {
  const first = text.trimStart()[0];
  if (first === '[' || first === '{') {
    try {
      return JSON.parse(text);
    } catch {
      // not strict JSON (e.g. YAML flow style): let the YAML parser read it and report
    }
  }
  // Warnings (unknown tags, directives) stay out of stderr: the entries are validated one by one anyway.
  return yamlModule().parse(text, { logLevel: 'error' });
}
