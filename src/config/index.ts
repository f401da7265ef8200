/**
 * Driver configuration: the schema, loading from CE_IPSEC_* env vars and the
 * `ceCustomConfig` ConfigMap key, validation, the outward forms for the
 * driver's Init call and for status, and a hot-reloading watcher.
 */
export {
  SCHEMA,
  SCHEMA_BY_KEY,
  CONFIG_KEYS,
  keyDef,
  type ConfigKey,
  type ConfigValue,
  type KeyDef,
  type KeyType,
} from './schema.js';
export {
  toDriverConfig,
  describe,
  describe as describeConfig,
  effectiveIkePort,
  formatValue,
  type CableConfig,
  type CableConfigValues,
  type ConfigSource,
} from './cable-config.js';
export { loadConfig, configFromDriverMaps, possibleSources, type LoadConfigOptions } from './load.js';
export { SUBMARINER_SECRETS_DIR, envLayer, type Env } from './env-source.js';
export {
  CUSTOM_CONFIG_KEY,
  parseCustomConfig,
  parseConfigFile,
  stripTrailingCommas,
  type ParsedText,
} from './custom-config-text.js';
export { checkDhGroup, checkEspProposal, checkIkeProposal, proposalDhGroups, DH_GROUP_NAMES } from './algorithms.js';
export { MIN_PSK_BYTES } from './rules.js';
export { redacted } from './redact.js';
export { watchConfig, type WatchConfigOptions, type ConfigWatch } from './watch-config.js';
export { watchPath, type WatchPathOptions, type PathWatch } from './watch-file.js';
