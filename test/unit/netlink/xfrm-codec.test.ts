/**
 * The XFRM policy codec alone: struct sizes and field offsets against the
 * kernel's linux/xfrm.h (compiled with cc when there is one), encode/decode
 * round trips, the public view of decoded policies, and selector checks.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../../src/lib/errors.js';
import {
  XFRM_INF,
  XFRM_SIZES,
  decodePolicyInfo,
  decodePolicyMessage,
  decodeSelector,
  describeKey,
  encodePolicyId,
  encodePolicyInfo,
  encodePolicyMessage,
  encodeSelector,
  encodeTemplate,
  selectorFromSpec,
  toXfrmPolicy,
  toXfrmState,
  type RawPolicyInfo,
  type RawSelector,
} from '../../../src/lib/netlink/xfrm-codec.js';

const TAG = 0x63626c64;
const LE = endianness() === 'LE';
const u32 = (b: Buffer, o: number) => (LE ? b.readUInt32LE(o) : b.readUInt32BE(o));
const u16 = (b: Buffer, o: number) => (LE ? b.readUInt16LE(o) : b.readUInt16BE(o));

/** Offsets the encoder uses; checked against the C compiler below. */
const OFFSETS = {
  'sel.dport': 32,
  'sel.family': 40,
  'sel.prefixlen_d': 42,
  'sel.proto': 44,
  'sel.ifindex': 48,
  'sel.user': 52,
  'info.lft': 56,
  'info.curlft': 120,
  'info.priority': 152,
  'info.index': 156,
  'info.dir': 160,
  'info.action': 161,
  'info.share': 163,
  'id.index': 56,
  'id.dir': 60,
  'tmpl.proto': 20,
  'tmpl.family': 24,
  'tmpl.saddr': 28,
  'tmpl.reqid': 44,
  'tmpl.mode': 48,
  'tmpl.aalgos': 52,
  'sa.daddr': 56,
  'sa.spi': 72,
  'sa.proto': 76,
  'sa.saddr': 80,
  'sa.family': 212,
  'sa.mode': 214,
} as const;

const ip4 = (text: string) => Buffer.concat([Buffer.from(text.split('.').map(Number)), Buffer.alloc(12)]);

function sampleSelector(): RawSelector {
  return {
    daddr: ip4('10.99.0.2'),
    saddr: ip4('10.99.0.1'),
    dport: 4789,
    dportMask: 0xffff,
    sport: 0,
    sportMask: 0,
    family: 2,
    prefixlenD: 32,
    prefixlenS: 32,
    proto: 17,
    ifindex: -1,
    user: TAG,
  };
}

function sampleInfo(): RawPolicyInfo {
  return {
    sel: sampleSelector(),
    lft: [XFRM_INF, XFRM_INF, XFRM_INF, XFRM_INF, 1n, 2n, 3n, 4n],
    curlft: [5n, 6n, 1_700_000_000n, 0n],
    priority: 2_000_000,
    index: 0x1a1,
    dir: 1,
    action: 1,
    flags: 2,
    share: 3,
  };
}

describe('XFRM policy codec', () => {
  it('should encode structs of the kernel sizes', () => {
    assert.equal(encodeSelector(sampleSelector()).length, XFRM_SIZES.selector);
    assert.equal(encodePolicyInfo(sampleInfo()).length, XFRM_SIZES.userpolicyInfo);
    assert.equal(encodePolicyId(sampleSelector(), 1).length, XFRM_SIZES.userpolicyId);
    const tmpl = encodeTemplate({
      daddr: ip4('0.0.0.0'),
      spi: 0,
      proto: 50,
      family: 2,
      saddr: ip4('0.0.0.0'),
      reqid: 7,
      mode: 0,
    });
    assert.equal(tmpl.length, XFRM_SIZES.userTmpl);
    assert.deepEqual(XFRM_SIZES, {
      selector: 56,
      lifetimeCfg: 64,
      lifetimeCur: 32,
      userpolicyInfo: 168,
      userpolicyId: 64,
      userTmpl: 64,
      mark: 8,
      usersaInfo: 224,
    });
  });

  it('should match sizeof/offsetof of linux/xfrm.h when a C compiler is available', function () {
    const header = '/usr/include/linux/xfrm.h';
    const cc = ['/usr/bin/cc', '/usr/bin/gcc'].find((c) => existsSync(c));
    if (!cc || !existsSync(header)) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'cbt-xfrm-'));
    try {
      const fields: [string, string, string][] = Object.keys(OFFSETS).map((k) => {
        const [s, f] = k.split('.') as [string, string];
        const struct =
          {
            sel: 'xfrm_selector',
            info: 'xfrm_userpolicy_info',
            id: 'xfrm_userpolicy_id',
            tmpl: 'xfrm_user_tmpl',
            sa: 'xfrm_usersa_info',
          }[s] ?? s;
        const inId = (s === 'tmpl' && f === 'proto') || (s === 'sa' && ['daddr', 'spi', 'proto'].includes(f));
        const member = inId ? `id.${f}` : f;
        return [k, struct, member];
      });
      const sizes = [
        'xfrm_selector',
        'xfrm_lifetime_cfg',
        'xfrm_lifetime_cur',
        'xfrm_userpolicy_info',
        'xfrm_userpolicy_id',
        'xfrm_user_tmpl',
        'xfrm_mark',
        'xfrm_usersa_info',
      ];
      const src = [
        '#include <stdio.h>',
        '#include <stddef.h>',
        '#include <linux/xfrm.h>',
        'int main(void) {',
        ...sizes.map((s) => `printf("%zu\\n", sizeof(struct ${s}));`),
        ...fields.map(([, s, m]) => `printf("%zu\\n", offsetof(struct ${s}, ${m}));`),
        'return 0; }',
      ].join('\n');
      writeFileSync(join(dir, 'x.c'), src);
      execFileSync(cc as string, ['-o', join(dir, 'x'), join(dir, 'x.c')], { timeout: 20000 });
      const out = execFileSync(join(dir, 'x'), { encoding: 'utf8' }).trim().split('\n').map(Number);
      assert.deepEqual(out.slice(0, sizes.length), Object.values(XFRM_SIZES));
      assert.deepEqual(Object.fromEntries(fields.map(([k], i) => [k, out[sizes.length + i]])), OFFSETS);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should read the identity of an SA (xfrm_usersa_info) at the kernel offsets', () => {
    const b = Buffer.alloc(XFRM_SIZES.usersaInfo);
    ip4('172.31.255.2').copy(b, OFFSETS['sa.daddr']);
    b.writeUInt32BE(0xc0ffee01, OFFSETS['sa.spi']);
    b.writeUInt8(50, OFFSETS['sa.proto']);
    ip4('172.31.255.1').copy(b, OFFSETS['sa.saddr']);
    (LE ? b.writeUInt16LE.bind(b) : b.writeUInt16BE.bind(b))(2, OFFSETS['sa.family']);
    b.writeUInt8(0, OFFSETS['sa.mode']);
    assert.deepEqual(toXfrmState(b), {
      family: 'ipv4',
      src: '172.31.255.1',
      dst: '172.31.255.2',
      spi: 0xc0ffee01,
      proto: 'esp',
      mode: 'transport',
    });
    (LE ? b.writeUInt16LE.bind(b) : b.writeUInt16BE.bind(b))(1, OFFSETS['sa.family']);
    assert.equal(toXfrmState(b), undefined, 'AF_UNIX: not an IP SA');
    assert.throws(() => toXfrmState(b.subarray(0, 100)), /truncated xfrm_usersa_info/);
  });

  it('should write each field at its kernel offset', () => {
    const info = encodePolicyInfo(sampleInfo());
    assert.equal(info.readUInt16BE(OFFSETS['sel.dport']), 4789);
    assert.equal(u16(info, OFFSETS['sel.family']), 2);
    assert.equal(info[OFFSETS['sel.proto']], 17);
    assert.equal(u32(info, OFFSETS['sel.user']), TAG);
    assert.equal(u32(info, OFFSETS['info.priority']), 2_000_000);
    assert.equal(u32(info, OFFSETS['info.index']), 0x1a1);
    assert.deepEqual([...info.subarray(OFFSETS['info.dir'], OFFSETS['info.share'] + 1)], [1, 1, 2, 3]);
    const id = encodePolicyId(sampleSelector(), 2, 0x1a2);
    assert.equal(u32(id, OFFSETS['id.index']), 0x1a2);
    assert.equal(id[OFFSETS['id.dir']], 2);
    const tmpl = encodeTemplate({
      daddr: ip4('10.0.0.2'),
      spi: 0,
      proto: 50,
      family: 2,
      saddr: ip4('10.0.0.1'),
      reqid: 16389,
      mode: 1,
    });
    assert.equal(tmpl[OFFSETS['tmpl.proto']], 50);
    assert.equal(u32(tmpl, OFFSETS['tmpl.reqid']), 16389);
    assert.equal(tmpl[OFFSETS['tmpl.mode']], 1);
    assert.deepEqual([...tmpl.subarray(OFFSETS['tmpl.saddr'], OFFSETS['tmpl.saddr'] + 4)], [10, 0, 0, 1]);
  });

  it('should round-trip a selector and a policy info', () => {
    assert.deepEqual(decodeSelector(encodeSelector(sampleSelector())), sampleSelector());
    assert.deepEqual(decodePolicyInfo(encodePolicyInfo(sampleInfo())), sampleInfo());
  });

  it('should round-trip a policy message with templates and a mark into the public view', () => {
    const data = encodePolicyMessage({
      info: { ...sampleInfo(), action: 0 },
      templates: [
        { daddr: ip4('0.0.0.0'), spi: 0, proto: 50, family: 2, saddr: ip4('0.0.0.0'), reqid: 0, mode: 0 },
        { daddr: ip4('10.99.0.2'), spi: 0, proto: 108, family: 2, saddr: ip4('10.99.0.1'), reqid: 9, mode: 1 },
      ],
      mark: { value: 0x10, mask: 0xf0 },
    });
    const raw = decodePolicyMessage(data);
    assert.equal(raw.templates.length, 2);
    assert.deepEqual(raw.mark, { value: 0x10, mask: 0xf0 });
    assert.deepEqual(toXfrmPolicy(raw, TAG), {
      family: 'ipv4',
      dir: 'out',
      action: 'allow',
      priority: 2_000_000,
      index: 0x1a1,
      src: '10.99.0.1/32',
      dst: '10.99.0.2/32',
      proto: 'udp',
      dport: 4789,
      hasTemplates: true,
      templates: [
        { proto: 'esp', mode: 'transport', reqid: 0 },
        { proto: 108, mode: 'tunnel', reqid: 9 },
      ],
      mark: { value: 0x10, mask: 0xf0 },
      owned: true,
    });
    const plain = toXfrmPolicy(decodePolicyMessage(encodePolicyMessage({ info: sampleInfo(), templates: [] })), 0);
    assert.equal(plain?.action, 'block');
    assert.equal(plain?.hasTemplates, false);
    assert.equal(plain?.owned, false);
  });

  it('should describe IPv6 policies and leave out per-socket ones', () => {
    const v6 = (dir: number, addr: Buffer, len: number) => ({
      info: {
        ...sampleInfo(),
        dir,
        sel: {
          ...sampleSelector(),
          family: 10,
          daddr: addr,
          saddr: Buffer.alloc(16),
          prefixlenD: len,
          prefixlenS: 0,
          proto: 58,
          sport: 135,
          sportMask: 0xffff,
          dportMask: 0,
          dport: 0,
        },
      },
      templates: [],
    });
    const fe80 = Buffer.from('fe800000000000000000000000000001', 'hex');
    const p = toXfrmPolicy(v6(0, fe80, 128), TAG);
    assert.deepEqual(
      [p?.family, p?.dir, p?.src, p?.dst, p?.proto, p?.sport, p?.dport],
      ['ipv6', 'in', '::/0', 'fe80::1/128', 'ipv6-icmp', 135, undefined],
    );
    const db8 = Buffer.from('20010db8000000010000000000000000', 'hex');
    assert.equal(toXfrmPolicy(v6(2, db8, 64), TAG)?.dst, '2001:db8:0:1::/64');
    assert.equal(toXfrmPolicy(v6(4, fe80, 128), TAG), undefined, 'socket out policy');
  });

  it('should key a selector spec with the tag and check it', () => {
    const sel = selectorFromSpec({ src: '10.99.0.1/32', dst: '10.99.0.2/32', proto: 'udp', dport: 4789 }, TAG);
    assert.deepEqual(sel, { ...sampleSelector(), ifindex: 0 });
    const any = selectorFromSpec({ src: '0.0.0.0/0', dst: '10.1.0.0/16' }, 0);
    assert.deepEqual([any.proto, any.prefixlenS, any.prefixlenD, any.dportMask, any.sportMask], [0, 0, 16, 0, 0]);
    const bad: [object, RegExp][] = [
      [{ src: '10.99.0.1/24', dst: '10.99.0.2/32' }, /host bits are set/],
      [{ src: '10.99.0.1', dst: '10.99.0.2/32' }, /src "10\.99\.0\.1"/],
      [{ src: '10.99.0.1/32', dst: '10.99.0.2/32', dport: 4789 }, /ports need proto/],
      [{ src: '10.99.0.1/32', dst: '10.99.0.2/32', proto: 'icmp', sport: 8 }, /ports need proto/],
      [{ src: '10.99.0.1/32', dst: '10.99.0.2/32', proto: 'udp', dport: 70000 }, /dport 70000: 1-65535/],
      [{ src: '10.99.0.1/32', dst: '10.99.0.2/32', proto: 'quic' }, /protocol "quic"/],
    ];
    for (const [spec, re] of bad) {
      assert.throws(
        () => selectorFromSpec(spec as never, TAG),
        (err: unknown) => err instanceof InvalidArgumentError && re.test(err.message),
      );
    }
  });

  it('should name a policy key for error messages', () => {
    assert.equal(
      describeKey({ dir: 'out', src: '10.99.0.1/32', dst: '10.99.0.2/32', proto: 'udp', dport: 4789 }),
      'out 10.99.0.1/32 -> 10.99.0.2/32 udp dport 4789',
    );
  });
});
