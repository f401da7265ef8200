/**
 * The `yaml` package (~70 modules), loaded at the first parse, not at
 * import: the drivers and an engine with JSON inputs and no config file
 * never pay for it.
 */
import { createRequire } from 'node:module';

type YamlModule = typeof import('yaml');
let yaml: YamlModule | undefined;

/** The `yaml` package, loaded at the first call. */
export function yamlModule(): YamlModule {
  yaml ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return yaml;
}
