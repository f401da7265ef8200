/** Flag choice per libreswan version (4.10, 4.15, 5.0, 5.3) and nic-offload mapping. */
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../../src/lib/errors.js';
import { flagsFor, nicOffloadFor, parseVersion, version } from '../../../src/lib/whack/index.js';

describe('whack flags per version', () => {
  it('should parse whack --version output', () => {
    assert.deepEqual(parseVersion('Libreswan 4.10\n'), { major: 4, minor: 10, patch: 0, raw: 'Libreswan 4.10' });
    assert.equal(parseVersion('Libreswan v5.0rc1').major, 5);
    assert.equal(parseVersion('Libreswan U4.15/K6.1').minor, 15);
    assert.equal(parseVersion('Libreswan 5.3.1').patch, 1);
    assert.throws(() => parseVersion('strongSwan 5.9'), /no libreswan version/);
  });

  for (const v of ['4.10', '4.15']) {
    it(`should use 4.x flags for ${v}`, () => {
      const f = flagsFor(version(v));
      assert.equal(f.rcPrefixed, true);
      assert.deepEqual(f.transport, [], 'transport = no --tunnel in 4.x (4.10 rejects --transport)');
      assert.deepEqual(f.tunnel, ['--tunnel']);
      assert.deepEqual(f.encaps, ['--encaps', 'yes']);
      assert.deepEqual(f.always, ['--ikev2', '--encrypt']);
      assert.deepEqual(f.pfsOn, ['--pfs']);
      assert.deepEqual(f.pfsOff, []);
      assert.deepEqual(f.dpd(30), ['--dpddelay', '30', '--dpdaction=hold']);
      assert.deepEqual(f.nicOffloadValues, ['yes', 'no', 'auto']);
    });
  }

  for (const v of ['5.0', '5.3']) {
    it(`should use 5.x flags for ${v}`, () => {
      const f = flagsFor(version(v));
      assert.equal(f.rcPrefixed, false);
      assert.deepEqual(f.transport, ['--transport']);
      assert.deepEqual(f.tunnel, ['--tunnel']);
      assert.deepEqual(
        f.encaps,
        ['--encaps', 'yes'],
        'never --forceencaps (removed in 5.0) or --encapsulation (absent in 4.x)',
      );
      assert.deepEqual(f.pfsOn, ['--pfs=yes']);
      assert.deepEqual(f.pfsOff, ['--pfs=no']);
      assert.deepEqual(f.dpd(30), ['--dpddelay', '30'], '--dpdaction is obsolete in 5.x');
      assert.deepEqual(f.nicOffloadValues, ['no', 'crypto', 'packet']);
    });
  }

  it('should map ceIPSecNicOffload for 4.x and refuse packet offload', () => {
    const v4 = version('4.10');
    const t = { mode: 'transport' as const, encaps: false };
    assert.deepEqual(nicOffloadFor(v4, 'no', t), { value: 'no' });
    assert.deepEqual(nicOffloadFor(v4, 'yes', t), { value: 'yes' });
    assert.deepEqual(nicOffloadFor(v4, 'auto', t), { value: 'auto' });
    assert.equal(nicOffloadFor(v4, 'crypto', t).value, 'yes');
    assert.throws(
      () => nicOffloadFor(v4, 'packet', t),
      (e: unknown) => e instanceof InvalidArgumentError && /libreswan 5\.0 or later \(found 4\.10\)/.test(e.message),
    );
  });

  it('should map ceIPSecNicOffload for 5.x and refuse impossible packet offload', () => {
    const v5 = version('5.3');
    const t = { mode: 'transport' as const, encaps: false };
    assert.deepEqual(nicOffloadFor(v5, 'no', t), { value: 'no' });
    assert.deepEqual(nicOffloadFor(v5, 'yes', t), { value: 'crypto' });
    assert.deepEqual(nicOffloadFor(v5, 'crypto', t), { value: 'crypto' });
    assert.deepEqual(nicOffloadFor(v5, 'packet', t), { value: 'packet' });
    const auto = nicOffloadFor(v5, 'auto', t);
    assert.equal(auto.value, 'no');
    assert.match(auto.warning ?? '', /no nic-offload=auto/);
    assert.throws(() => nicOffloadFor(v5, 'packet', { mode: 'tunnel', encaps: false }), /only in transport mode/);
    assert.throws(() => nicOffloadFor(v5, 'packet', { mode: 'transport', encaps: true }), /UDP-encapsulated/);
  });
});
