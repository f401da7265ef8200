/**
 * The driver configuration keys as `cabled --help` lists them: each key with
 * its values, its default and the environment variables that feed it, read
 * from the schema so the help cannot drift from what the loader accepts.
 */
import { SCHEMA, type ConfigValue, type KeyDef } from './schema.js';

function values(d: KeyDef): string {
  switch (d.type.kind) {
    case 'enum':
      return d.type.allowed.map((v) => (v === '' ? '""' : v)).join(' | ');
    case 'list':
      return 'list';
    case 'bool':
      return 'true | false';
    case 'port':
      return '1-65535';
    case 'path':
      return 'path';
    default:
      return 'text';
  }
}

function showDefault(d: KeyDef, value: ConfigValue | undefined): string {
  if (value === undefined) return d.key === 'ceIPSecIKEPort' ? 'unset: the NAT-T port' : 'unset';
  if (Array.isArray(value)) return value.length ? value.join(',') : "libreswan's";
  if (value === '') return '""';
  return String(value);
}

/** One line per key: `  ceIPSecNATTPort  1-65535 (default 4500) [CE_IPSEC_NATTPORT]`. */
export function configKeysUsage(): string {
  const width = Math.max(...SCHEMA.map((d) => d.key.length)) + 2;
  return SCHEMA.map((d) => {
    const env = d.env.length ? ` [${d.env.join(', ')}]` : '';
    return `  ${d.key.padEnd(width)}${values(d)} (default ${showDefault(d, d.default)})${env}\n`;
  }).join('');
}
