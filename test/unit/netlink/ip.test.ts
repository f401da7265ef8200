/** IPv4 / MAC text conversions: the one-pass parser agrees with the plain definition on every input. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InvalidArgumentError } from '../../../src/lib/errors.js';
import { bufferToMac, ipv4Octets, ipv4ToBuffer, isIpv4, networkOf } from '../../../src/lib/netlink/ip.js';

/** The definition: four dot-separated decimal octets 0-255, no leading zeros. */
function reference(text: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  return !!m && m.slice(1).every((o) => String(Number(o)) === o && Number(o) <= 255);
}

describe('IPv4 text parsing', () => {
  it('should accept and refuse what the definition does, edge cases included', () => {
    const cases = [
      '0.0.0.0',
      '255.255.255.255',
      '10.0.0.1',
      '1.2.3.4',
      '256.1.1.1',
      '1.2.3.256',
      '01.2.3.4',
      '1.2.3.04',
      '1.2.3.00',
      '1.2.3',
      '1.2.3.4.5',
      '1..3.4',
      '.1.2.3',
      '1.2.3.',
      '1.2.3.4 ',
      ' 1.2.3.4',
      '1.2.3.-4',
      '1.2.3.4/8',
      '1000.1.1.1',
      '',
      '１.2.3.4',
    ];
    for (const c of cases) assert.equal(isIpv4(c), reference(c), c);
  });

  it('should agree with the definition on random dotted and arbitrary strings', () => {
    const part = fc.oneof(fc.nat(300).map(String), fc.stringMatching(/^[0-9]{0,4}$/), fc.string({ maxLength: 3 }));
    const dotted = fc.array(part, { minLength: 1, maxLength: 6 }).map((p) => p.join('.'));
    fc.assert(
      fc.property(fc.oneof(dotted, fc.string({ maxLength: 16 })), (text) => isIpv4(text) === reference(text)),
      { numRuns: 20000 },
    );
  });

  it('should convert addresses to octets, bytes and networks', () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), fc.nat(32), (o, len) => {
        const ip = o.join('.');
        assert.deepEqual(ipv4Octets(ip), o);
        assert.deepEqual([...ipv4ToBuffer(ip)], o);
        const value = ((o[0] * 256 + o[1]) * 256 + o[2]) * 256 + o[3];
        const net = len === 0 ? 0 : value - (value % 2 ** (32 - len));
        assert.equal(networkOf(ip, len), [24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.'));
      }),
      { numRuns: 5000 },
    );
    assert.throws(() => ipv4ToBuffer('10.0.0.256'), InvalidArgumentError);
    assert.throws(() => ipv4Octets(undefined as unknown as string), InvalidArgumentError);
  });

  it('should write MACs in lower case, the zero MAC included', () => {
    assert.equal(bufferToMac(Buffer.alloc(6)), '00:00:00:00:00:00');
    assert.equal(bufferToMac(Buffer.from([0xaa, 0xbb, 0, 1, 0x0c, 0xff])), 'aa:bb:00:01:0c:ff');
    assert.equal(bufferToMac(Buffer.alloc(4)), undefined);
  });
});
