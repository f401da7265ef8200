/**
 * Reads the ConfigMap layer from disk. `path` is either the directory kubelet
 * mounts the ConfigMap on (`<dir>/ceCustomConfig -> ..data/ceCustomConfig`,
 * `..data -> ..2026_11_22_...`), or a single file holding the bare
 * ceCustomConfig text, a ConfigMap's data (`ceCustomConfig: |`) or a
 * ConfigMap manifest (CONFIG_FILE_FORMS). A directory without a
 * ceCustomConfig entry (an optional ConfigMap that does not exist) is an
 * empty layer, not an error.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadYaml } from '../lib/yaml.js';
import { CONFIG_FILE_FORMS, CUSTOM_CONFIG_KEY, parseConfigFile, parseCustomConfig } from './custom-config-text.js';
import { emptyLayer, layerFromValues, type Layer } from './layer.js';

const errCode = (err: unknown): string => (err as NodeJS.ErrnoException | undefined)?.code ?? String(err);

/** Reads and parses the ConfigMap at `path` (directory or file) into a layer. */
export async function configMapLayer(path: string): Promise<Layer> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    const layer = emptyLayer(`ConfigMap ${path}`);
    layer.issues.push({
      key: CUSTOM_CONFIG_KEY,
      value: path,
      reason: `cannot read (${errCode(err)}); mount the ConfigMap there or fix the path`,
    });
    return layer;
  }
  const file = isDir ? join(path, CUSTOM_CONFIG_KEY) : path;
  const label = `ConfigMap ${file}`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isDir && errCode(err) === 'ENOENT') return emptyLayer(label);
    const layer = emptyLayer(label);
    layer.issues.push({
      key: CUSTOM_CONFIG_KEY,
      value: file,
      reason: `cannot read (${errCode(err)}); fix the file's permissions or path`,
    });
    return layer;
  }
  const parsed = await parseOnce(isDir, text);
  if (!parsed.ok) {
    const layer = emptyLayer(label);
    layer.issues.push({ key: CUSTOM_CONFIG_KEY, value: file, reason: parsed.reason });
    return layer;
  }
  const layer = layerFromValues(label, `configmap:${file}`, parsed.values, isDir ? '' : CONFIG_FILE_FORMS);
  layer.warnings.push(...(parsed.warnings ?? []));
  return layer;
}

/**
 * The last text parsed and its result: the config watcher reads the file
 * every few seconds, and it rarely changes, so the same bytes are not parsed
 * again (YAML parsing was most of an idle engine's config cost). The result
 * is only read by callers.
 */
let lastParse: { isDir: boolean; text: string; parsed: ReturnType<typeof parseCustomConfig> } | undefined;
async function parseOnce(isDir: boolean, text: string): Promise<ReturnType<typeof parseCustomConfig>> {
  if (lastParse?.isDir === isDir && lastParse.text === text) return lastParse.parsed;
  await loadYaml();
  const parsed = isDir ? parseCustomConfig(text) : parseConfigFile(text);
  lastParse = { isDir, text, parsed };
  return parsed;
}
