/**
 * Tests for the outward forms of a configuration: the driver's Init maps
 * (secrets apart) and the status description (no secrets).
 */
import assert from 'node:assert/strict';
import { describe as describeConfig, effectiveIkePort, toDriverConfig } from '../../../src/config/cable-config.js';
import { GOOD_PSK, loadText } from './load-helpers.js';

describe('cable-config', () => {
  describe('toDriverConfig', () => {
    it('should give canonical keys as strings and keep the PSK in secrets only', async () => {
      const cfg = await loadText(
        'ceIPSecMode: transport\nceIPSecOverlay: vxlan\nceIPSecEsp: [aes_gcm-null, aes256-sha2_512]',
        { CE_IPSEC_PSK: GOOD_PSK },
      );
      const { config, secrets } = toDriverConfig(cfg);
      assert.deepEqual(secrets, { ceIPSecPSK: GOOD_PSK });
      assert.equal(config.ceIPSecMode, 'transport');
      assert.equal(config.ceIPSecEsp, 'aes_gcm-null,aes256-sha2_512');
      assert.equal(config.ceIPSecNATTPort, '4500');
      assert.equal(config.ceIPSecForceEncaps, 'false');
      assert.ok(!JSON.stringify(config).includes(GOOD_PSK));
    });
    it('should leave out unset keys and the PSK file path', async () => {
      const { config, secrets } = toDriverConfig(await loadText(undefined));
      assert.deepEqual(secrets, {});
      for (const key of ['ceIPSecIKEPort', 'ceIPSecPlutoSocket', 'ceIPSecPSKFile', 'ceIPSecPSK'])
        assert.ok(!(key in config), key);
    });
  });

  describe('describe', () => {
    it('should show every key, the PSK only as [redacted]', async () => {
      const d = describeConfig(await loadText(undefined, { CE_IPSEC_PSK: GOOD_PSK }));
      assert.equal(d.ceIPSecPSK, '[redacted]');
      assert.equal(d.ceIPSecIKEPort, '');
      assert.equal(d.ceIPSecMode, 'tunnel');
      assert.equal(Object.keys(d).length, 17);
      assert.ok(!JSON.stringify(d).includes(GOOD_PSK));
    });
  });

  describe('effectiveIkePort', () => {
    it('should be the NAT-T port unless ceIPSecIKEPort is set', async () => {
      assert.equal(effectiveIkePort(await loadText('ceIPSecNATTPort: 4501')), 4501);
      assert.equal(effectiveIkePort(await loadText('ceIPSecIKEPort: 500')), 500);
    });
  });
});
