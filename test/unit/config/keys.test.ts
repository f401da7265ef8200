/**
 * Tests for each configuration key: its default, good values, and each kind
 * of bad value, through the loader (ConfigMap text).
 */
import assert from 'node:assert/strict';
import { loadError, loadText, issueFor, GOOD_PSK } from './load-helpers.js';

describe('configuration keys', () => {
  context('when nothing is set', () => {
    it('should use the defaults', async () => {
      const cfg = await loadText(undefined);
      assert.equal(cfg.mode, 'tunnel');
      assert.equal(cfg.overlay, '');
      assert.deepEqual([cfg.pfsGroups, cfg.esp, cfg.ike], [[], [], []]);
      assert.equal(cfg.psk, undefined);
      assert.equal(cfg.allowShortPsk, false);
      assert.equal(cfg.nattPort, 4500);
      assert.equal(cfg.ikePort, undefined);
      assert.deepEqual([cfg.forceEncaps, cfg.debug, cfg.preferredServer], [false, false, false]);
      assert.equal(cfg.nicOffload, 'no');
      assert.equal(cfg.vxlanPort, 4789);
      assert.equal(cfg.plutoMode, 'own');
      assert.equal(cfg.plutoSocket, undefined);
      assert.ok(Object.values(cfg.sources).every((s) => s === 'default'));
    });
    it('should be frozen', async () => {
      const cfg = await loadText(undefined);
      assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.esp) && Object.isFrozen(cfg.sources));
    });
  });

  describe('ceIPSecMode', () => {
    it('should accept tunnel and transport', async () => {
      assert.equal((await loadText('ceIPSecMode: transport')).mode, 'transport');
      assert.equal((await loadText('ceIPSecMode: TUNNEL')).mode, 'tunnel');
    });
    it('should reject another mode and list the accepted ones', async () => {
      const i = issueFor(await loadError('ceIPSecMode: beet'), 'ceIPSecMode');
      assert.deepEqual(i, {
        key: 'ceIPSecMode',
        value: 'beet',
        reason: 'not an accepted value; use one of "tunnel", "transport"',
      });
    });
    it('should reject a list', async () => {
      assert.match(issueFor(await loadError('ceIPSecMode: [tunnel]'), 'ceIPSecMode').reason, /not a string/);
    });
  });

  describe('ceIPSecOverlay', () => {
    it('should accept vxlan with transport, and empty', async () => {
      assert.equal((await loadText('ceIPSecMode: transport\nceIPSecOverlay: vxlan')).overlay, 'vxlan');
      assert.equal((await loadText('ceIPSecOverlay: ""')).overlay, '');
    });
    it('should reject gre', async () => {
      assert.match(
        issueFor(await loadError('ceIPSecMode: transport\nceIPSecOverlay: gre'), 'ceIPSecOverlay').reason,
        /use one of "vxlan", ""/,
      );
    });
  });

  describe('ceIPSecPfsGroup', () => {
    it('should accept a list and a comma-separated string', async () => {
      assert.deepEqual((await loadText('ceIPSecPfsGroup: [modp2048, ecp256]')).pfsGroups, ['modp2048', 'ecp256']);
      assert.deepEqual((await loadText('ceIPSecPfsGroup: "curve25519, dh19"')).pfsGroups, ['curve25519', 'dh19']);
    });
    it('should reject each unknown or weak group on its own', async () => {
      const err = await loadError('ceIPSecPfsGroup: [modp2048, modp1024, ffdhe9]');
      assert.deepEqual(
        err.issues.map((i) => i.value),
        ['modp1024', 'ffdhe9'],
      );
    });
  });

  describe('ceIPSecEsp', () => {
    it('should accept known proposals', async () => {
      assert.deepEqual(
        (await loadText('ceIPSecEsp: [aes_gcm-null, aes_gcm256, aes128-sha2_256, aes256-sha2_512, chacha20_poly1305]'))
          .esp.length,
        5,
      );
    });
    it('should name the bad proposal and its unknown part', async () => {
      const i = issueFor(await loadError('ceIPSecEsp: [aes_gcm-null, aes256-sha3_512]'), 'ceIPSecEsp');
      assert.equal(i.value, 'aes256-sha3_512');
      assert.match(i.reason, /unknown ESP integrity algorithm "sha3_512"/);
    });
  });

  describe('ceIPSecIke', () => {
    it('should accept both proposal forms', async () => {
      assert.deepEqual((await loadText('ceIPSecIke: ["aes_gcm256-sha2_256;modp2048", aes256-sha2_256-modp2048]')).ike, [
        'aes_gcm256-sha2_256;modp2048',
        'aes256-sha2_256-modp2048',
      ]);
    });
    it('should reject an unknown cipher', async () => {
      assert.match(
        issueFor(await loadError('ceIPSecIke: [blowfish-sha1]'), 'ceIPSecIke').reason,
        /unknown IKE cipher "blowfish"/,
      );
    });
  });

  describe('ceIPSecPSK', () => {
    it('should accept a long PSK verbatim', async () => {
      assert.equal((await loadText(`ceIPSecPSK: "  ${GOOD_PSK}"`)).psk, `  ${GOOD_PSK}`);
    });
    it('should reject a short PSK unless ceIPSecAllowShortPSK', async () => {
      const i = issueFor(await loadError('ceIPSecPSK: "twelve bytes"'), 'ceIPSecPSK');
      assert.deepEqual(i, {
        key: 'ceIPSecPSK',
        value: '[redacted, 12 bytes]',
        reason: 'shorter than 32 bytes; use a longer PSK or set ceIPSecAllowShortPSK: true',
      });
      assert.equal((await loadText('ceIPSecPSK: "twelve bytes"\nceIPSecAllowShortPSK: true')).psk, 'twelve bytes');
    });
    it('should reject a PSK the secrets file cannot hold', async () => {
      const i = issueFor(await loadError(`ceIPSecPSK: 'with "quote" ${GOOD_PSK}'`), 'ceIPSecPSK');
      assert.match(i.reason, /double quote or a control character/);
    });
  });

  describe('ceIPSecAllowShortPSK, ceIPSecForceEncaps, ceIPSecDebug, ceIPSecPreferredServer', () => {
    for (const [key, field] of [
      ['ceIPSecAllowShortPSK', 'allowShortPsk'],
      ['ceIPSecForceEncaps', 'forceEncaps'],
      ['ceIPSecDebug', 'debug'],
      ['ceIPSecPreferredServer', 'preferredServer'],
    ] as const) {
      it(`should read ${key} from true/false/yes/no/1/0 and YAML booleans`, async () => {
        for (const [text, value] of [
          ['true', true],
          ['false', false],
          ['"Yes"', true],
          ['no', false],
          ['1', true],
          ['"0"', false],
        ] as const) {
          assert.equal((await loadText(`${key}: ${text}`))[field], value, `${key}: ${text}`);
        }
      });
      it(`should reject a non-boolean ${key}`, async () => {
        assert.deepEqual(issueFor(await loadError(`${key}: sometimes`), key), {
          key,
          value: 'sometimes',
          reason: 'not a boolean; use true or false',
        });
      });
    }
  });

  describe('ports (ceIPSecNATTPort, ceIPSecIKEPort, ceIPSecVxlanPort)', () => {
    for (const [key, field] of [
      ['ceIPSecNATTPort', 'nattPort'],
      ['ceIPSecIKEPort', 'ikePort'],
      ['ceIPSecVxlanPort', 'vxlanPort'],
    ] as const) {
      it(`should read ${key} from a number or a numeric string`, async () => {
        assert.equal((await loadText(`${key}: 4600`))[field], 4600);
        assert.equal((await loadText(`${key}: "4601"`))[field], 4601);
      });
      it(`should reject ${key} out of range`, async () => {
        assert.deepEqual(issueFor(await loadError(`${key}: 70000`), key), {
          key,
          value: '70000',
          reason: 'out of range; use a number from 1 to 65535',
        });
        assert.match(issueFor(await loadError(`${key}: 0`), key).reason, /out of range/);
      });
      it(`should reject a non-numeric ${key}`, async () => {
        assert.match(issueFor(await loadError(`${key}: ipsec-nat-t`), key).reason, /not an integer/);
      });
    }
  });

  describe('ceIPSecNicOffload', () => {
    for (const v of ['no', 'yes', 'auto', 'crypto', 'packet']) {
      it(`should accept ${v}`, async () => assert.equal((await loadText(`ceIPSecNicOffload: ${v}`)).nicOffload, v));
    }
    it('should reject full', async () =>
      assert.match(
        issueFor(await loadError('ceIPSecNicOffload: full'), 'ceIPSecNicOffload').reason,
        /"no", "yes", "auto", "crypto", "packet"/,
      ));
  });

  describe('ceIPSecPlutoMode and ceIPSecPlutoSocket', () => {
    it('should accept host mode with an absolute socket path', async () => {
      const cfg = await loadText('ceIPSecPlutoMode: host\nceIPSecPlutoSocket: /run/pluto/pluto.ctl');
      assert.deepEqual([cfg.plutoMode, cfg.plutoSocket], ['host', '/run/pluto/pluto.ctl']);
    });
    it('should reject a relative socket path', async () => {
      assert.match(
        issueFor(await loadError('ceIPSecPlutoMode: host\nceIPSecPlutoSocket: pluto.ctl'), 'ceIPSecPlutoSocket').reason,
        /not an absolute path/,
      );
    });
    it('should reject a socket path longer than a unix socket allows', async () => {
      assert.match(
        issueFor(
          await loadError(`ceIPSecPlutoMode: host\nceIPSecPlutoSocket: /${'x'.repeat(110)}`),
          'ceIPSecPlutoSocket',
        ).reason,
        /longer than 107 bytes/,
      );
    });
    it('should reject an unknown mode', async () => {
      assert.match(issueFor(await loadError('ceIPSecPlutoMode: shared'), 'ceIPSecPlutoMode').reason, /"own", "host"/);
    });
  });

  describe('unknown keys', () => {
    it('should name the key and the close known keys', async () => {
      const i = issueFor(await loadError('ceIPSecNatTPort: 4500'), 'ceIPSecNatTPort');
      assert.equal(i.reason, 'unknown key; did you mean ceIPSecNATTPort?');
    });
    it('should point operator CR names to ours', async () => {
      assert.equal(
        issueFor(await loadError('ceIPSecForceUDPEncaps: true'), 'ceIPSecForceUDPEncaps').reason,
        'unknown key; use ceIPSecForceEncaps',
      );
      assert.match(
        issueFor(await loadError('ceIPSecPSKSecret: my-secret'), 'ceIPSecPSKSecret').reason,
        /use ceIPSecPSKFile/,
      );
    });
    it('should list every known key when none is close', async () => {
      assert.match(
        issueFor(await loadError('colour: blue'), 'colour').reason,
        /^unknown key; known keys are ceIPSecMode, ceIPSecOverlay, /,
      );
    });
    it('should redact the value of a misspelled secret key', async () => {
      const err = await loadError(`ceIpsecPsk: "${GOOD_PSK}"`);
      assert.deepEqual(issueFor(err, 'ceIpsecPsk').value, `[redacted, ${GOOD_PSK.length} bytes]`);
      assert.ok(!err.message.includes(GOOD_PSK));
    });
  });

  context('when a key has no value (null)', () => {
    it('should count as unset', async () => assert.equal((await loadText('ceIPSecNATTPort:\n')).nattPort, 4500));
  });
});
