/**
 * The `yaml` package (~70 modules), loaded at the first parse, not at
 * import: the drivers and an engine with JSON inputs and no config file
 * never pay for it. Readers that are about to parse YAML call loadYaml()
 * first: that dynamic import is what the bundles (scripts/bundle.mjs) turn
 * into one chunk, so the parser loads as one file instead of ~70.
 */
import { createRequire } from 'node:module';

type YamlModule = typeof import('yaml');
let yaml: YamlModule | undefined;

/** Loads the `yaml` package ahead of yamlModule() (a no-op once loaded). */
export async function loadYaml(): Promise<void> {
  if (yaml) return;
  // A CommonJS package: Node's import() gives its exports as named and as default, a bundle's only as default.
  const loaded = (await import('yaml')) as YamlModule & { default?: YamlModule };
  yaml ??= loaded.default ?? loaded;
}

/** The `yaml` package, loaded at the first call (from node_modules when loadYaml() did not run first). */
export function yamlModule(): YamlModule {
  yaml ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return yaml;
}
