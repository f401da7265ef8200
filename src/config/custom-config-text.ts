/**
 * Parses the text of the ConfigMap key `ceCustomConfig`. The design's own
 * example (seed 004) is not valid YAML as written, because some lines end in
 * a comma:
 *
 *     ceIPSecMode: "transport",
 *     ceIPSecOverlay: "vxlan",
 *     ceIPSecPfsGroup: ["modp2048"]
 *
 * so a comma that ends a line outside any [...] or {...} is dropped before
 * the text is parsed as YAML (which also covers JSON). A file may also be a
 * whole ConfigMap manifest; then its `data.ceCustomConfig` is parsed.
 */
import { parseYaml } from '../lib/yaml.js';

/** The key of the ConfigMap that holds the driver configuration. */
export const CUSTOM_CONFIG_KEY = 'ceCustomConfig';

/** Parsed key/value pairs, or why the text is not a map of keys. */
export type ParsedText = { ok: true; values: Record<string, unknown> } | { ok: false; reason: string };

/** Drops a comma that ends a line when the line ends outside brackets and quotes. */
export function stripTrailingCommas(text: string): string {
  let depth = 0;
  return text
    .split('\n')
    .map((line) => {
      let quote: '"' | "'" | undefined;
      let end = line.length;
      for (let i = 0; i < line.length; i++) {
        const ch = line[i];
        if (quote === '"' && ch === '\\') i++;
        else if (quote && ch === quote) quote = undefined;
        else if (!quote && (ch === '"' || ch === "'")) quote = ch;
        else if (!quote && (ch === '[' || ch === '{')) depth++;
        else if (!quote && (ch === ']' || ch === '}')) depth = Math.max(0, depth - 1);
        else if (!quote && ch === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
          end = i;
          break;
        }
      }
      if (depth !== 0 || quote) return line;
      const body = line.slice(0, end).replace(/\s+$/, '');
      return body.endsWith(',') ? body.slice(0, -1) + line.slice(body.length) : line;
    })
    .join('\n');
}

/** The first line of a YAML error: later lines quote the source, which may hold a PSK. */
function yamlReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return `not valid YAML: ${msg.split('\n')[0]?.replace(/:$/, '')}; fix the syntax (keys as "key: value", lists as ["a", "b"])`;
}

/** Parses ceCustomConfig text (the seed's comma style, YAML or JSON) into key/value pairs. */
export function parseCustomConfig(text: string): ParsedText {
  let doc: unknown;
  try {
    doc = parseYaml(stripTrailingCommas(text));
  } catch (err) {
    return { ok: false, reason: yamlReason(err) };
  }
  if (doc === null || doc === undefined) return { ok: true, values: {} };
  if (typeof doc !== 'object' || Array.isArray(doc))
    return { ok: false, reason: 'not a map of keys; write one "key: value" per line' };
  return { ok: true, values: doc as Record<string, unknown> };
}

function isConfigMapManifest(doc: unknown): doc is { data?: unknown } {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  const d = doc as Record<string, unknown>;
  return d.kind === 'ConfigMap' || (typeof d.apiVersion === 'string' && 'data' in d);
}

/** Parses a single config file: a ConfigMap manifest (uses data.ceCustomConfig) or bare ceCustomConfig text. */
export function parseConfigFile(text: string): ParsedText {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return parseCustomConfig(text);
  }
  if (!isConfigMapManifest(doc)) return parseCustomConfig(text);
  const data = doc.data;
  const inner =
    typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[CUSTOM_CONFIG_KEY] : undefined;
  if (typeof inner !== 'string') {
    return {
      ok: false,
      reason: `the ConfigMap has no string data.${CUSTOM_CONFIG_KEY}; put the settings under data.${CUSTOM_CONFIG_KEY}: |`,
    };
  }
  return parseCustomConfig(inner);
}
