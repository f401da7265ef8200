import assert from 'node:assert/strict';
import { configFromDriverMaps, loadConfig, toDriverConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/lib/errors.js';

describe('driver config maps (the Init request)', () => {
  it('should read back what the engine sent, with the PSK from the secrets map', async () => {
    const psk = 'x'.repeat(40);
    const cfg = await loadConfig({ env: { CE_IPSEC_PSK: psk, CE_IPSEC_NATTPORT: '4600' } });
    const { config, secrets } = toDriverConfig(cfg);
    const back = configFromDriverMaps(config, secrets);
    assert.equal(back.nattPort, 4600);
    assert.equal(back.psk, psk);
    assert.equal(back.mode, 'tunnel');
  });

  it('should refuse an impossible combination, naming the key and what to change', () => {
    assert.throws(
      () => configFromDriverMaps({ ceIPSecMode: 'tunnel', ceIPSecOverlay: 'vxlan' }, {}),
      (err: unknown) => err instanceof ConfigError && /ceIPSecOverlay="vxlan": .*ceIPSecMode/.test(err.message),
    );
  });
});
