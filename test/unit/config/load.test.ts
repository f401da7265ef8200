/**
 * Tests for the loader: precedence of defaults, env and ConfigMap, the
 * sources it reports, CE_IPSEC_PSKSECRET, impossible combinations, collecting
 * every issue, and keeping PSKs out of messages.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, possibleSources } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/lib/errors.js';
import { fixture, removeDir, tempDir, writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { GOOD_PSK, issueFor, loadError, loadText } from './load-helpers.js';

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  context("when given the seed's example as a kubelet ConfigMap volume", () => {
    it('should apply all four settings and record the ConfigMap as their source', async () => {
      writeKubeletVolume(join(dir, 'cm'), {
        ceCustomConfig:
          'ceIPSecMode: "transport",\nceIPSecOverlay: "vxlan",\nceIPSecPfsGroup: ["modp2048"]\nceIPSecEsp: ["aes_gcm-null"]\n',
      });
      const cfg = await loadConfig({ path: join(dir, 'cm'), env: {} });
      assert.deepEqual(
        [cfg.mode, cfg.overlay, cfg.pfsGroups, cfg.esp],
        ['transport', 'vxlan', ['modp2048'], ['aes_gcm-null']],
      );
      assert.equal(cfg.sources.ceIPSecMode, `configmap:${join(dir, 'cm', 'ceCustomConfig')}`);
      assert.equal(cfg.sources.ceIPSecNATTPort, 'default');
    });
  });

  context('when given the ConfigMap manifest file or a JSON file', () => {
    it('should read the manifest', async () => {
      assert.equal((await loadConfig({ path: fixture('config', 'configmap.yaml'), env: {} })).overlay, 'vxlan');
    });
    it('should read every key of the JSON fixture', async () => {
      const cfg = await loadConfig({ path: fixture('config', 'full.json'), env: {} });
      assert.deepEqual(
        [
          cfg.nattPort,
          cfg.ikePort,
          cfg.forceEncaps,
          cfg.debug,
          cfg.preferredServer,
          cfg.nicOffload,
          cfg.vxlanPort,
          cfg.plutoMode,
          cfg.plutoSocket,
          cfg.allowShortPsk,
        ],
        [4501, 500, true, true, true, 'crypto', 4790, 'host', '/run/pluto/pluto.ctl', false],
      );
      assert.deepEqual(cfg.ike, ['aes_gcm256-sha2_256;modp2048', 'aes256-sha2_256-modp2048']);
    });
  });

  context("when given the README's ConfigMap example saved as the --config file", () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8');
    const example = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1] ?? '')
      .find((block) => block.startsWith('ceCustomConfig: |'));

    it('should apply the keys under ceCustomConfig: |', async () => {
      assert.ok(example, 'the README shows a "ceCustomConfig: |" example');
      const cfg = await loadText(example);
      assert.deepEqual(
        [cfg.mode, cfg.overlay, cfg.pfsGroups, cfg.esp],
        ['transport', 'vxlan', ['modp2048'], ['aes_gcm-null']],
      );
    });

    it('should name the accepted forms when a key is unknown', async () => {
      const err = await loadError('data:\n  ceIPSecMode: tunnel\n');
      assert.match(err.message, /data=.*unknown key/);
      assert.match(
        err.message,
        /holds the keys themselves .*"ceCustomConfig: \|" followed by the keys.*kind: ConfigMap/,
      );
    });

    it('should refuse settings both under ceCustomConfig and beside it, saying where they go', async () => {
      const err = await loadError('ceCustomConfig: |\n  ceIPSecMode: tunnel\nceIPSecDebug: true\n');
      assert.match(
        err.message,
        /both "ceCustomConfig: \|" and ceIPSecDebug at the top; move them under ceCustomConfig/,
      );
    });
  });

  context('when the mount directory has no ceCustomConfig (optional ConfigMap absent)', () => {
    it('should use env and defaults', async () => {
      mkdirSync(join(dir, 'empty'));
      assert.equal((await loadConfig({ path: join(dir, 'empty'), env: { CE_IPSEC_NATTPORT: '4600' } })).nattPort, 4600);
    });
  });

  context('when the path does not exist', () => {
    it('should say so', async () => {
      const err = await loadConfig({ path: join(dir, 'nope'), env: {} }).catch((e: unknown) => e);
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /cannot read \(ENOENT\); mount the ConfigMap there or fix the path/);
    });
  });

  describe('precedence', () => {
    it('should let env override defaults', async () => {
      const cfg = await loadText(undefined, {
        CE_IPSEC_NATTPORT: '4501',
        CE_IPSEC_FORCEENCAPS: 'true',
        CE_IPSEC_DEBUG: 'yes',
        CE_IPSEC_PREFERREDSERVER: '1',
        CE_IPSEC_IKEPORT: '500',
        CE_IPSEC_MODE: 'transport',
        CE_IPSEC_NICOFFLOAD: 'yes',
      });
      assert.deepEqual(
        [cfg.nattPort, cfg.forceEncaps, cfg.debug, cfg.preferredServer, cfg.ikePort, cfg.mode, cfg.nicOffload],
        [4501, true, true, true, 500, 'transport', 'yes'],
      );
      assert.equal(cfg.sources.ceIPSecNATTPort, 'env:CE_IPSEC_NATTPORT');
      assert.equal(cfg.sources.ceIPSecNicOffload, 'env:CE_IPSEC_NICOFFLOAD');
    });
    it('should let the ConfigMap override env', async () => {
      const cfg = await loadText('ceIPSecNATTPort: 4700', { CE_IPSEC_NATTPORT: '4501', CE_IPSEC_DEBUG: 'true' });
      assert.equal(cfg.nattPort, 4700);
      assert.match(cfg.sources.ceIPSecNATTPort, /^configmap:/);
      assert.equal(cfg.debug, true);
      assert.equal(cfg.sources.ceIPSecDebug, 'env:CE_IPSEC_DEBUG');
    });
    it('should still report a bad env value that the ConfigMap overrides', async () => {
      const i = issueFor(await loadError('ceIPSecNATTPort: 4700', { CE_IPSEC_NATTPORT: 'x' }), 'CE_IPSEC_NATTPORT');
      assert.match(i.reason, /not an integer/);
    });
    it('should treat an empty env var as unset', async () => {
      assert.equal((await loadText(undefined, { CE_IPSEC_NATTPORT: '' })).nattPort, 4500);
    });
    it('should list the possible sources of a key, lowest first', () => {
      assert.deepEqual(possibleSources('ceIPSecNATTPort'), [
        'default',
        'env:CE_IPSEC_NATTPORT',
        'configmap:ceCustomConfig',
      ]);
      assert.deepEqual(possibleSources('ceIPSecPSKFile'), [
        'default',
        'env:CE_IPSEC_PSKFILE',
        'env:CE_IPSEC_PSKSECRET',
        'configmap:ceCustomConfig',
      ]);
    });
  });

  describe('CE_IPSEC_PSKSECRET', () => {
    const secretBytes = Buffer.from(Array.from({ length: 48 }, (_, i) => (i * 37) % 256));
    beforeEach(() => {
      mkdirSync(join(dir, 'secrets', 'submariner-ipsec-psk'), { recursive: true });
      writeFileSync(join(dir, 'secrets', 'submariner-ipsec-psk', 'psk'), secretBytes);
    });

    it('should read <secretsDir>/<name>/psk and base64-encode it, as Submariner does', async () => {
      const cfg = await loadText(
        undefined,
        { CE_IPSEC_PSKSECRET: 'submariner-ipsec-psk' },
        { secretsDir: join(dir, 'secrets') },
      );
      assert.equal(cfg.psk, secretBytes.toString('base64'));
      assert.equal(cfg.pskFile, join(dir, 'secrets', 'submariner-ipsec-psk', 'psk'));
      assert.equal(cfg.sources.ceIPSecPSKFile, 'env:CE_IPSEC_PSKSECRET');
    });
    it('should win over CE_IPSEC_PSK (subctl join sets both)', async () => {
      const cfg = await loadText(
        undefined,
        { CE_IPSEC_PSKSECRET: 'submariner-ipsec-psk', CE_IPSEC_PSK: GOOD_PSK },
        { secretsDir: join(dir, 'secrets') },
      );
      assert.equal(cfg.psk, secretBytes.toString('base64'));
    });
    it('should give way to a PSK set in the ConfigMap', async () => {
      const cfg = await loadText(
        `ceIPSecPSK: "${GOOD_PSK}"`,
        { CE_IPSEC_PSKSECRET: 'submariner-ipsec-psk' },
        { secretsDir: join(dir, 'secrets') },
      );
      assert.equal(cfg.psk, GOOD_PSK);
      assert.equal(cfg.pskFile, undefined);
    });
    it('should report a missing Secret file', async () => {
      const i = issueFor(
        await loadError(undefined, { CE_IPSEC_PSKSECRET: 'other' }, { secretsDir: join(dir, 'secrets') }),
        'CE_IPSEC_PSKSECRET',
      );
      assert.equal(i.value, join(dir, 'secrets', 'other', 'psk'));
      assert.match(i.reason, /cannot read the PSK file \(ENOENT\); mount the Secret there/);
    });
    it('should reject a name that is not a Secret name', async () => {
      assert.match(
        issueFor(await loadError(undefined, { CE_IPSEC_PSKSECRET: '../etc' }), 'CE_IPSEC_PSKSECRET').reason,
        /not a Secret name/,
      );
    });
    it('should reject CE_IPSEC_PSKFILE and CE_IPSEC_PSKSECRET together', async () => {
      const err = await loadError(
        undefined,
        {
          CE_IPSEC_PSKSECRET: 'submariner-ipsec-psk',
          CE_IPSEC_PSKFILE: join(dir, 'secrets', 'submariner-ipsec-psk', 'psk'),
        },
        { secretsDir: join(dir, 'secrets') },
      );
      assert.match(
        issueFor(err, 'CE_IPSEC_PSKSECRET').reason,
        /CE_IPSEC_PSKFILE sets ceIPSecPSKFile too; unset one of them/,
      );
    });
  });

  describe('impossible combinations', () => {
    it('should reject an overlay in tunnel mode with what to change', async () => {
      const i = issueFor(await loadError('ceIPSecOverlay: "vxlan"'), 'ceIPSecOverlay');
      assert.deepEqual(i, {
        key: 'ceIPSecOverlay',
        value: 'vxlan',
        reason: 'an overlay needs ceIPSecMode=transport; set ceIPSecMode: "transport" or remove ceIPSecOverlay',
      });
    });
    it('should reject both a PSK and a PSK file in the ConfigMap', async () => {
      const err = await loadError(`ceIPSecPSK: "${GOOD_PSK}"\nceIPSecPSKFile: /etc/psk`);
      assert.match(
        issueFor(err, 'ceIPSecPSK').reason,
        /ceIPSecPSKFile sets the PSK too; keep either ceIPSecPSK or ceIPSecPSKFile/,
      );
    });
    it('should reject CE_IPSEC_PSK with CE_IPSEC_PSKFILE', async () => {
      assert.match(
        issueFor(await loadError(undefined, { CE_IPSEC_PSK: GOOD_PSK, CE_IPSEC_PSKFILE: '/etc/psk' }), 'CE_IPSEC_PSK')
          .reason,
        /CE_IPSEC_PSKFILE sets the PSK too; keep either CE_IPSEC_PSK or CE_IPSEC_PSKFILE/,
      );
    });
    it('should reject host mode without a socket', async () => {
      assert.match(
        issueFor(await loadError('ceIPSecPlutoMode: host'), 'ceIPSecPlutoMode').reason,
        /host mode needs the host pluto's control socket; set ceIPSecPlutoSocket/,
      );
    });
    it('should reject a socket in own mode', async () => {
      assert.match(
        issueFor(await loadError('ceIPSecPlutoSocket: /run/pluto/pluto.ctl'), 'ceIPSecPlutoSocket').reason,
        /only used with ceIPSecPlutoMode=host/,
      );
    });
    it('should reject a VXLAN port equal to the NAT-T port', async () => {
      const err = await loadError('ceIPSecMode: transport\nceIPSecOverlay: vxlan\nceIPSecVxlanPort: 4500');
      assert.match(issueFor(err, 'ceIPSecVxlanPort').reason, /same UDP port as ceIPSecNATTPort/);
    });
    it('should reject PFS groups set in two places', async () => {
      assert.match(
        issueFor(await loadError('ceIPSecPfsGroup: [modp2048]\nceIPSecEsp: ["aes-sha2;modp3072"]'), 'ceIPSecPfsGroup')
          .reason,
        /set PFS in one place/,
      );
    });
    it('should not pile a combination issue on a rejected value', async () => {
      const err = await loadError('ceIPSecMode: tunel\nceIPSecOverlay: vxlan');
      assert.deepEqual(
        err.issues.map((i) => i.key),
        ['ceIPSecMode'],
      );
    });
  });

  describe('errors', () => {
    it('should collect every issue into one ConfigError', async () => {
      const err = await loadError(
        'ceIPSecMode: x\nceIPSecNATTPort: 0\nceIPSecDebug: maybe\nceIPSecEsp: [bogus]\nfoo: 1\n',
      );
      assert.deepEqual(err.issues.map((i) => i.key).sort(), [
        'ceIPSecDebug',
        'ceIPSecEsp',
        'ceIPSecMode',
        'ceIPSecNATTPort',
        'foo',
      ]);
      assert.match(err.message, /^invalid configuration in ConfigMap .*ceCustomConfig and the environment: /);
    });
    it('should never put a PSK in the message', async () => {
      const secret = 'tooShortSecret';
      const err = await loadError(`ceIPSecPSK: "${secret}"\nceIPSecMode: bad`, { CE_IPSEC_PSK: 'envSecretShort' });
      assert.ok(!err.message.includes(secret), err.message);
      assert.ok(!err.message.includes('envSecretShort'), err.message);
      assert.match(err.message, /ceIPSecPSK="\[redacted, 14 bytes\]": shorter than 32 bytes/);
    });
    it('should never put a PSK in a YAML syntax error', async () => {
      const err = await loadError(`ceIPSecPSK: "${GOOD_PSK}\nceIPSecMode: [`);
      assert.ok(!err.message.includes(GOOD_PSK), err.message);
      assert.equal(err.issues[0]?.key, 'ceCustomConfig');
    });
    it('should never echo the value of a misspelt key (ceIPSecPKS: <psk>), only suggest the key', async () => {
      const err = await loadError(`ceIPSecPKS: "${GOOD_PSK}"\nceIPSecMode: transport\n`);
      assert.ok(!err.message.includes(GOOD_PSK.slice(0, 8)), err.message);
      const issue = issueFor(err, 'ceIPSecPKS');
      assert.match(issue.value, /^\[redacted, \d+ bytes\]$/);
      assert.match(issue.reason, /did you mean .*ceIPSecPSK/);
      const other = await loadError(`ceIPSecModee: ${GOOD_PSK}\n`);
      assert.ok(!other.message.includes(GOOD_PSK.slice(0, 8)), other.message);
    });
    it('should not show a key that is no key name (it may be the PSK itself)', async () => {
      const err = await loadError(`${GOOD_PSK}: x\n`);
      assert.ok(!err.message.includes(GOOD_PSK.slice(0, 8)), err.message);
      assert.match(err.message, /\(a key of \d+ characters\)="\[redacted, 1 bytes\]": not a key name, so not shown/);
    });
    it('should hand YAML warnings to onWarnings, without values, and nothing to stderr', async () => {
      const seen: string[] = [];
      const processWarnings: string[] = [];
      const onWarning = (w: Error): void => void processWarnings.push(w.message);
      process.on('warning', onWarning);
      try {
        await loadText(`%FOO ${GOOD_PSK}\n---\nceIPSecMode: transport\n`, {}, { onWarnings: (w) => seen.push(...w) });
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', onWarning);
      }
      assert.deepEqual(processWarnings, []);
      assert.deepEqual(seen, ['YAML warning at line 1, column 1: a line starting with "%" is read as a directive']);
    });
    it('should redact a PSK that is not a string', async () => {
      const err = await loadError('ceIPSecPSK: 123456789012');
      assert.ok(!err.message.includes('123456789012'), err.message);
      assert.match(issueFor(err, 'ceIPSecPSK').reason, /not a string; quote the PSK/);
    });
  });
});
