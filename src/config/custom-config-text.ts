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
 * the text is parsed as YAML (which also covers JSON). A single --config
 * file may take any of the forms in CONFIG_FILE_FORMS: the keys themselves,
 * a ConfigMap's data (`ceCustomConfig: |` then the keys, as the README shows
 * it), or a whole ConfigMap manifest.
 */
import type { YAMLError } from 'yaml';
import { yamlModule } from '../lib/yaml.js';

/** The key of the ConfigMap that holds the driver configuration. */
export const CUSTOM_CONFIG_KEY = 'ceCustomConfig';

/** What a single --config file may hold, for messages. */
export const CONFIG_FILE_FORMS =
  'a --config file holds the keys themselves ("ceIPSecMode: tunnel"), or a ConfigMap\'s data ' +
  `("${CUSTOM_CONFIG_KEY}: |" followed by the keys, indented), or a whole ConfigMap manifest ` +
  `(kind: ConfigMap with data.${CUSTOM_CONFIG_KEY})`;

/**
 * Parsed key/value pairs (with YAML's warnings, for the logger), or why the
 * text is not a map of keys. Reasons and warnings name a key and a position,
 * never the text: the text may hold the PSK.
 */
export type ParsedText =
  | { ok: true; values: Record<string, unknown>; warnings?: string[] }
  | { ok: false; reason: string };

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

/**
 * What went wrong, by YAML error code, in our words. The parser's own
 * messages quote the offending text (e.g. "Block scalar header includes extra
 * characters: |<the PSK>" followed by the source line), so they are never used.
 */
const YAML_PROBLEMS: Readonly<Record<string, string>> = {
  ALIAS_PROPS: 'an alias (a value starting with "*") cannot have a tag or anchor',
  BAD_ALIAS: 'a value starting with "*" is read as an alias of an anchor',
  BAD_DIRECTIVE: 'a line starting with "%" is read as a directive',
  BAD_DQ_ESCAPE: 'a double-quoted value has an invalid escape',
  BAD_INDENT: 'the indentation does not line up, or a [ or { is not closed',
  BAD_PROP_ORDER: 'anchor ("&") and tag ("!") in the wrong order',
  BAD_SCALAR_START: 'a plain value cannot start with "@", "`" or "%"',
  BLOCK_AS_IMPLICIT_KEY: 'a value holds ": " (a nested mapping where one value was expected)',
  BLOCK_IN_FLOW: 'a block value inside [...] or {...}',
  DUPLICATE_KEY: 'the key is set twice',
  IMPOSSIBLE: 'the text cannot be read as YAML',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  MISSING_CHAR: 'a quote, ] or } is not closed',
  MULTILINE_IMPLICIT_KEY: 'a key spans several lines',
  MULTIPLE_ANCHORS: 'a value has two anchors ("&")',
  MULTIPLE_DOCS: 'the text holds several YAML documents (a "---" line)',
  MULTIPLE_TAGS: 'a value has two tags ("!")',
  TAB_AS_INDENT: 'a tab used for indentation',
  TAG_RESOLVE_FAILED: 'a value starting with "!" is read as a YAML tag, which is not supported',
  UNEXPECTED_TOKEN: 'a value starting with "|" or ">" is read as a block scalar header, or a stray character',
};

const QUOTE_HINT =
  'quote values that start with *, &, !, |, >, %, @, `, [, {, or a quote (e.g. ceIPSecPSK: "..."), or use ceIPSecPSKFile';

/** A key name fit to show: an identifier of at most 31 characters (a PSK has at least 32). */
export function showableKey(key: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,30}$/.test(key);
}

/** The key of the mapping entry at or above `line` (1-based), when it is fit to show. */
function keyAt(text: string, line: number): string | undefined {
  const lines = text.split('\n');
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const m = /^\s*["']?([^\s"':#][^"':]*?)["']?\s*:(\s|$)/.exec(lines[i] ?? '');
    if (m?.[1]) return showableKey(m[1]) ? m[1] : undefined;
  }
  return undefined;
}

/** "at line 3, column 14 (key ceIPSecPSK): <what>" for a YAML error or warning. */
function describeYamlProblem(text: string, problem: YAMLError): string {
  const pos = problem.linePos?.[0];
  const key = pos ? keyAt(text, pos.line) : undefined;
  const where = pos ? `at line ${pos.line}, column ${pos.col}${key ? ` (key ${key})` : ''}` : '';
  const what = YAML_PROBLEMS[problem.code] ?? `YAML error ${problem.code}`;
  return `${where ? `${where}: ` : ''}${what}`;
}

/** Parses YAML text into a plain value, with safe error and warning texts. */
function parseYaml(text: string): { ok: true; doc: unknown; warnings: string[] } | { ok: false; reason: string } {
  const document = yamlModule().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  // An unresolved tag silently changes the value (`!abc def` reads as "def"): refuse it like an error.
  const problems = [...document.errors, ...document.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
  const first = problems[0];
  if (first) return { ok: false, reason: `not valid YAML ${describeYamlProblem(text, first)}; ${QUOTE_HINT}` };
  let doc: unknown;
  try {
    doc = document.toJS({ maxAliasCount: 100 });
  } catch {
    // e.g. "Unresolved alias ...: <the name>": the name is the text after "*".
    return {
      ok: false,
      reason: `not valid YAML: a value starting with "*" is read as an alias of an anchor that does not exist; ${QUOTE_HINT}`,
    };
  }
  return { ok: true, doc, warnings: document.warnings.map((w) => `YAML warning ${describeYamlProblem(text, w)}`) };
}

/** Parses ceCustomConfig text (the seed's comma style, YAML or JSON) into key/value pairs. */
export function parseCustomConfig(text: string): ParsedText {
  const parsed = parseYaml(stripTrailingCommas(text));
  if (!parsed.ok) return parsed;
  const doc = parsed.doc;
  const warnings = parsed.warnings.length ? { warnings: parsed.warnings } : {};
  if (doc === null || doc === undefined) return { ok: true, values: {}, ...warnings };
  if (typeof doc !== 'object' || Array.isArray(doc))
    return { ok: false, reason: 'not a map of keys; write one "key: value" per line' };
  return { ok: true, values: doc as Record<string, unknown>, ...warnings };
}

/** A ConfigMap's data section: `ceCustomConfig: |` with the settings as one string. */
function isConfigMapData(doc: unknown): doc is Record<string, unknown> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  return typeof (doc as Record<string, unknown>)[CUSTOM_CONFIG_KEY] === 'string' && !isConfigMapManifest(doc);
}

function isConfigMapManifest(doc: unknown): doc is { data?: unknown } {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  const d = doc as Record<string, unknown>;
  return d.kind === 'ConfigMap' || (typeof d.apiVersion === 'string' && 'data' in d);
}

/**
 * Parses a single config file: a ConfigMap manifest (uses data.ceCustomConfig),
 * a ConfigMap's data (`ceCustomConfig: |` and the keys under it), or bare
 * ceCustomConfig text.
 */
export function parseConfigFile(text: string): ParsedText {
  const parsed = parseYaml(text);
  if (!parsed.ok) return parseCustomConfig(text);
  const doc = parsed.doc;
  if (isConfigMapData(doc)) {
    const others = Object.keys(doc).filter((k) => k !== CUSTOM_CONFIG_KEY && k.startsWith('ceIPSec'));
    if (others.length) {
      return {
        ok: false,
        reason: `the file has both "${CUSTOM_CONFIG_KEY}: |" and ${others.filter(showableKey).join(', ') || 'other ceIPSec keys'} at the top; move them under ${CUSTOM_CONFIG_KEY} (${CONFIG_FILE_FORMS})`,
      };
    }
    return parseCustomConfig(doc[CUSTOM_CONFIG_KEY] as string);
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
