/**
 * The standalone host service (deploy/): the systemd unit parses
 * (systemd-analyze verify, no warnings) and is ordered before kubelet, and
 * the /etc/cabled files it points at are accepted by the engine's own
 * parsers: the flags of ExecStart with the environment file, the config file
 * (with its PSK file), the endpoints file.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { parseEndpoint, parseEndpointsText } from '../../src/endpoints/index.js';
import { parseEngineArgs } from '../../src/engine/options.js';
import { removeDir, tempDir } from '../../lab/fs-helpers.js';
import { run } from '../../lab/netns.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const UNIT = join(ROOT, 'deploy', 'systemd', 'cabled.service');
/** deploy/etc/cabled is what goes to /etc/cabled. */
const ETC = join(ROOT, 'deploy', 'etc', 'cabled');
const INSTALLED_ETC = '/etc/cabled';

/** The unit's directives: section → key → values (in order; a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `not a directive: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** systemd EnvironmentFile= syntax: KEY=VALUE lines, # comments, optional quotes. */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    assert.ok(m?.[1] !== undefined && m[2] !== undefined, `not KEY=VALUE: ${line}`);
    env[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  }
  return env;
}

const unit = parseUnit(readFileSync(UNIT, 'utf8'));
const directive = (section: string, key: string): string[] => unit.get(section)?.get(key) ?? [];
/** /etc/cabled/x → deploy/etc/cabled/x. */
const inRepo = (installed: string): string => join(ETC, installed.slice(INSTALLED_ETC.length + 1));

describe('standalone host service (deploy/systemd, deploy/etc/cabled)', function () {
  it('should pass systemd-analyze verify without a warning', async function () {
    this.timeout(30_000);
    if (!existsSync('/usr/bin/systemd-analyze') && !existsSync('/bin/systemd-analyze')) this.skip(); // the parsers below still run
    // Exits 0 even for unknown keys or bad values, which it reports on stderr: no output is the bar.
    const { stderr } = await run('systemd-analyze', ['verify', UNIT], 20_000);
    assert.equal(stderr, '');
  });

  it('should start after the network and the host libreswan, before kubelet, and keep its run directory across restarts', () => {
    assert.deepEqual(directive('Unit', 'Before'), ['kubelet.service']);
    assert.deepEqual(directive('Unit', 'After'), ['network-online.target ipsec.service']);
    assert.deepEqual(directive('Unit', 'Wants'), ['network-online.target ipsec.service']);
    assert.deepEqual(directive('Service', 'RuntimeDirectory'), ['cabled']);
    assert.deepEqual(directive('Service', 'RuntimeDirectoryPreserve'), ['yes']);
    assert.deepEqual(directive('Install', 'WantedBy'), ['multi-user.target']);
  });

  it('should start the engine with flags and an environment file the engine accepts', () => {
    const [envFile] = directive('Service', 'EnvironmentFile');
    assert.equal(envFile, `${INSTALLED_ETC}/cabled.env`);
    const env = parseEnvFile(readFileSync(inRepo(envFile), 'utf8'));
    const [execStart] = directive('Service', 'ExecStart');
    const [node, semiSpace, marking, main, ...args] = (execStart ?? '').split(/\s+/);
    assert.equal(node, '/usr/bin/node');
    // The V8 flags the engine's own first line (its shebang) gives it: a small young generation (issue 15, P4)
    // and no incremental marking (P3's ListConnections p99).
    assert.deepEqual([semiSpace, marking], ['--max-semi-space-size=4', '--no-incremental-marking']);
    assert.match(
      readFileSync(join(ROOT, 'src', 'engine', 'main.ts'), 'utf8').split('\n')[0] ?? '',
      / --max-semi-space-size=4 --no-incremental-marking$/,
    );
    assert.equal(main, '/opt/cabled/dist/src/engine/main.js');
    const { command, settings } = parseEngineArgs(args, env);
    assert.equal(command, 'run');
    assert.equal(settings.clusterId, 'edge-host-1');
    assert.equal(settings.driver, 'libreswan');
    assert.deepEqual(settings.subnets, ['192.0.2.20/32']);
    assert.deepEqual(settings.listen, ['unix:///run/cabled/engine.sock']);
    for (const path of [settings.configPath, settings.endpointsPath]) {
      assert.ok(path.startsWith(`${INSTALLED_ETC}/`), path);
      assert.ok(existsSync(inRepo(path)), `deploy/etc/cabled has no ${path}`);
    }
  });

  it('should ship a config file that loads, in host-pluto mode, with the PSK read from /etc/cabled/psk', async () => {
    const dir = tempDir('cabled-host-');
    try {
      const psk = Buffer.from('0123456789abcdef0123456789abcdef0123456789abcdef');
      writeFileSync(join(dir, 'psk'), psk);
      const text = readFileSync(join(ETC, 'config.yaml'), 'utf8');
      assert.match(text, /^ceIPSecPSKFile: \/etc\/cabled\/psk$/m);
      writeFileSync(join(dir, 'config.yaml'), text.replaceAll(`${INSTALLED_ETC}/`, `${dir}/`));
      const cfg = await loadConfig({ path: join(dir, 'config.yaml'), env: {} });
      assert.equal(cfg.psk, psk.toString('base64'));
      assert.equal(cfg.plutoMode, 'host');
      assert.equal(cfg.plutoSocket, '/run/pluto/pluto.ctl');
      assert.equal(cfg.mode, 'tunnel');
    } finally {
      removeDir(dir);
    }
  });

  it('should ship an endpoints file whose every entry is valid', () => {
    const read = parseEndpointsText(readFileSync(join(ETC, 'endpoints.yaml'), 'utf8'));
    assert.ok(read.ok, JSON.stringify(read));
    assert.ok(read.entries.length > 0);
    read.entries.forEach((raw, i) => {
      parseEndpoint(raw, `endpoints.yaml[${i}]`);
    });
  });
});
