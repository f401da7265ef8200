/** whack argv builders and conn-file rendering for 4.x and 5.x. */
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../../src/lib/errors.js';
import {
  addConnectionArgs,
  type ConnectionSpec,
  deleteArgs,
  flagsFor,
  initiateArgs,
  listenArgs,
  renderConn,
  renderConnFile,
  rereadSecretsArgs,
  routeArgs,
  statusArgs,
  version,
} from '../../../src/lib/whack/index.js';

const v410 = flagsFor(version('4.10'));
const v53 = flagsFor(version('5.3'));

const vxIn: ConnectionSpec = {
  name: 'vx-in',
  mode: 'transport',
  encaps: true,
  left: { host: '10.99.0.1', id: '@left', ikePort: 4500, protoPort: 'udp/4789' },
  right: { host: '10.99.0.2', id: '@right', ikePort: 4500, protoPort: 'udp' },
};
const tun: ConnectionSpec = {
  name: 'tun1',
  mode: 'tunnel',
  pfs: true,
  esp: 'aes_gcm256',
  ike: 'aes_gcm256-sha2_256;modp2048',
  left: { host: '10.99.0.1', id: '@left', client: '10.10.1.0/24' },
  right: { host: '10.99.0.2', id: '@right', client: '10.10.2.0/24' },
};

describe('whack builders', () => {
  it('should build a 4.x transport VXLAN connection without --tunnel/--transport', () => {
    const { args, warnings } = addConnectionArgs(v410, vxIn);
    assert.deepEqual(args, [
      '--name',
      'vx-in',
      '--ikev2',
      '--encrypt',
      '--psk',
      '--encaps',
      'yes',
      '--dpddelay',
      '30',
      '--dpdaction=hold',
      '--id',
      '@left',
      '--host',
      '10.99.0.1',
      '--ikeport',
      '4500',
      '--clientprotoport',
      'udp/4789',
      '--to',
      '--id',
      '@right',
      '--host',
      '10.99.0.2',
      '--ikeport',
      '4500',
      '--clientprotoport',
      'udp',
    ]);
    assert.deepEqual(warnings, []);
  });

  it('should build the same connection for 5.x with --transport and no --dpdaction', () => {
    const { args } = addConnectionArgs(v53, vxIn);
    assert.deepEqual(args.slice(0, 9), [
      '--name',
      'vx-in',
      '--ikev2',
      '--encrypt',
      '--psk',
      '--transport',
      '--encaps',
      'yes',
      '--dpddelay',
    ]);
    assert.ok(!args.some((a) => a.startsWith('--dpdaction')));
  });

  it('should build a tunnel with PFS, proposals and client subnets on both ends', () => {
    const a4 = addConnectionArgs(v410, tun).args;
    assert.deepEqual(a4.slice(0, 12), [
      '--name',
      'tun1',
      '--ikev2',
      '--encrypt',
      '--psk',
      '--tunnel',
      '--pfs',
      '--ike',
      'aes_gcm256-sha2_256;modp2048',
      '--esp',
      'aes_gcm256',
      '--dpddelay',
    ]);
    assert.deepEqual(a4.slice(a4.indexOf('--to')), [
      '--to',
      '--id',
      '@right',
      '--host',
      '10.99.0.2',
      '--client',
      '10.10.2.0/24',
    ]);
    const a5 = addConnectionArgs(v53, { ...tun, pfs: false }).args;
    assert.ok(a5.includes('--pfs=no'));
    assert.ok(!addConnectionArgs(v410, { ...tun, pfs: false }).args.some((a) => a.startsWith('--pfs')));
  });

  it('should pass nic-offload per version, retransmit and updown options, and no dpd when 0', () => {
    const r = addConnectionArgs(v53, {
      ...vxIn,
      encaps: false,
      nicOffload: 'auto',
      dpdDelaySec: 0,
      retransmitIntervalMs: 200,
      retransmitTimeoutSec: 5,
      updown: '%disabled',
    });
    assert.deepEqual(r.args.slice(r.args.indexOf('--nic-offload'), r.args.indexOf('--nic-offload') + 6), [
      '--nic-offload',
      'no',
      '--retransmit-interval',
      '200',
      '--retransmit-timeout',
      '5',
    ]);
    assert.equal(r.warnings.length, 1);
    assert.ok(!r.args.includes('--dpddelay'));
    assert.equal(r.args.filter((a) => a === '--updown').length, 2);
    assert.deepEqual(addConnectionArgs(v410, { ...vxIn, nicOffload: 'no' }).args.slice(10, 12), [
      '--nic-offload',
      'no',
    ]);
  });

  it('should pass keyingtries to 4.x only (5.x ignores it and revives by itself), in args and conn files', () => {
    const a4 = addConnectionArgs(v410, { ...vxIn, keyingTries: 1 }).args;
    assert.deepEqual(a4.slice(a4.indexOf('--keyingtries'), a4.indexOf('--keyingtries') + 2), ['--keyingtries', '1']);
    assert.ok(!addConnectionArgs(v53, { ...vxIn, keyingTries: 1 }).args.includes('--keyingtries'));
    assert.match(renderConnFile(version('4.10'), [{ ...vxIn, keyingTries: 1 }], 'route').text, /\tkeyingtries=1\n/);
    assert.doesNotMatch(renderConnFile(version('5.3'), [{ ...vxIn, keyingTries: 1 }], 'route').text, /keyingtries/);
    assert.throws(() => addConnectionArgs(v410, { ...vxIn, keyingTries: -1 }), /keyingTries/);
  });

  it('should refuse specs whack would reject, naming the field', () => {
    const bad = (patch: Partial<ConnectionSpec>, re: RegExp) =>
      assert.throws(
        () => addConnectionArgs(v410, { ...vxIn, ...patch }),
        (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message),
      );
    bad({ name: 'has space' }, /name/);
    bad({ left: { ...vxIn.left, protoPort: 'udp/vxlan' } }, /Debian has no "vxlan": use 4789/);
    bad({ left: { ...vxIn.left, protoPort: 'udp/%any' } }, /template/);
    bad({ right: { ...vxIn.right, protoPort: 'tcp' } }, /same protocol/);
    bad({ left: { ...vxIn.left, client: '10.0.0.0/24' } }, /implies tunnel mode/);
    bad({ mode: 'tunnel', left: { ...vxIn.left, client: '10.0.0.0/24' } }, /both ends or on neither/);
    bad({ left: { ...vxIn.left, host: 'not a host' } }, /left\.host/);
    bad({ esp: 'aes gcm' }, /proposal/);
    assert.throws(
      () => addConnectionArgs(v410, { ...vxIn, nicOffload: 'packet' }),
      /packet offload needs libreswan 5\.0/,
    );
  });

  it('should build the control calls', () => {
    assert.deepEqual(routeArgs('a'), ['--route', '--name', 'a']);
    assert.deepEqual(initiateArgs('a'), ['--initiate', '--asynchronous', '--name', 'a']);
    assert.deepEqual(deleteArgs('a'), ['--delete', '--name', 'a']);
    assert.deepEqual(statusArgs('trafficstatus'), ['--trafficstatus']);
    assert.deepEqual(statusArgs('showstates'), ['--showstates']);
    assert.deepEqual(statusArgs('briefstatus'), ['--briefstatus']);
    assert.deepEqual(rereadSecretsArgs(), ['--rereadsecrets']);
    assert.deepEqual(listenArgs(), ['--listen']);
  });
});

describe('conn file rendering', () => {
  it('should render a 4.x conn section', () => {
    const { text } = renderConn(version('4.10'), { ...vxIn, updown: '%disabled', retransmitTimeoutSec: 5 }, 'route');
    assert.equal(
      text,
      [
        'conn vx-in',
        '\tleft=10.99.0.1',
        '\tleftid=@left',
        '\tleftikeport=4500',
        '\tleftprotoport=udp/4789',
        '\tright=10.99.0.2',
        '\trightid=@right',
        '\trightikeport=4500',
        '\trightprotoport=udp',
        '\tauthby=secret',
        '\tikev2=insist',
        '\ttype=transport',
        '\tencapsulation=yes',
        '\tdpddelay=30',
        '\tdpdaction=hold',
        '\tretransmit-timeout=5',
        '\tleftupdown="%disabled"',
        '\trightupdown="%disabled"',
        '\tauto=route',
        '',
        '',
      ].join('\n'),
    );
  });

  it('should render 5.x keys and a whole file with config setup', () => {
    const { text } = renderConnFile(version('5.3'), [tun, vxIn], 'add');
    assert.match(text, /^# written by cabled; do not edit\nconfig setup\n\nconn tun1\n/);
    assert.match(text, /\tkeyexchange=ikev2\n/);
    assert.match(text, /\tleftsubnet=10\.10\.1\.0\/24\n/);
    assert.match(text, /\tpfs=yes\n/);
    assert.match(text, /\tike=aes_gcm256-sha2_256;modp2048\n/);
    assert.doesNotMatch(text, /dpdaction/);
    assert.equal(text.match(/\tauto=add\n/g)?.length, 2);
  });
});
