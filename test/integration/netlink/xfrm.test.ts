/**
 * The XFRM policy adapter against a real kernel, in a throw-away namespace.
 * Writes go through the adapter (via ns-runner.js); checks read the kernel
 * independently with `ip xfrm policy` (iproute2 6.1 has no JSON for xfrm, so
 * its text is parsed), and a UDP send shows what the kernel does with clear
 * VXLAN. When libreswan is installed, a pluto in the namespace shows that its
 * trap policy for the same selector coexists with the block and wins.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { VXLAN_BLOCK_PRIORITY, type XfrmPolicy } from '../../../src/lib/netlink/index.js';
import { canUseNetns, createNetns, deleteNetns, ip, nsExec, run, waitFor } from '../../../lab/netns.js';
import { inNetns, tryInNetns } from './in-netns.js';
import type { Step } from './ns-runner.js';

const xf = (call: string, ...args: unknown[]): Step => ({ on: 'xfrm', call, args });

const LOCAL = '10.98.0.1';
const REMOTE = '10.98.0.2';
const KEY = { src: `${LOCAL}/32`, dst: `${REMOTE}/32`, proto: 'udp', dport: 4789, dir: 'out' } as const;
const BLOCK = { ...KEY, priority: VXLAN_BLOCK_PRIORITY };
const SELECTOR_TEXT = `src ${LOCAL}/32 dst ${REMOTE}/32 proto udp dport 4789`;

/** Each policy of `ip xfrm policy`, its lines joined into one. */
async function ipXfrmPolicies(ns: string): Promise<string[]> {
  const out = await ip(ns, 'xfrm', 'policy', 'list');
  const blocks: string[] = [];
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    if (/^\S/.test(line)) blocks.push(line.trim());
    else if (blocks.length) blocks[blocks.length - 1] += ` ${line.trim()}`;
  }
  return blocks.map((b) => b.replace(/\s+/g, ' '));
}

/** Sends one UDP datagram LOCAL -> REMOTE:4789 inside `ns`; "sent" or the errno name (EPERM = blocked by policy). */
async function sendClearVxlan(ns: string): Promise<string> {
  const code = `const s=require('dgram').createSocket('udp4');s.bind(0,'${LOCAL}',()=>s.send(Buffer.from('x'),4789,'${REMOTE}',(e)=>{console.log(e?e.code:'sent');s.close();}));`;
  return (await nsExec(ns, process.execPath, ['-e', code])).stdout.trim();
}

const ours = (ps: XfrmPolicy[]) => ps.filter((p) => p.owned);
const sameSelector = (ps: XfrmPolicy[]) =>
  ps.filter((p) => p.dir === 'out' && p.src === KEY.src && p.dst === KEY.dst && p.proto === 'udp' && p.dport === 4789);

describe('XFRM policy adapter (real namespace)', function () {
  const ns = `cbt-xf-${process.pid}`;

  before(async function () {
    if (!canUseNetns()) this.skip();
    await deleteNetns(ns);
    await createNetns(ns);
    await ip(ns, 'link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1');
    await ip(ns, 'addr', 'add', `${LOCAL}/24`, 'dev', 'u0');
    await ip(ns, 'link', 'set', 'u0', 'up');
    await ip(ns, 'link', 'set', 'u1', 'up');
  });

  after(async () => {
    if (canUseNetns()) await deleteNetns(ns);
  });

  it('should dump the SAs of the namespace (none here: this kernel has no ESP; the stock-kernel e2e reads real ones)', async () => {
    const [states] = await inNetns<[unknown[]]>(ns, [xf('listStates')]);
    assert.deepEqual(states, []);
    assert.equal((await ip(ns, 'xfrm', 'state', 'list')).trim(), '', 'ip xfrm state agrees');
  });

  it('should install exactly one block policy however often it is ensured', async () => {
    const [first, second, listed] = await inNetns<[boolean, boolean, XfrmPolicy[]]>(ns, [
      xf('ensureBlockPolicy', BLOCK),
      xf('ensureBlockPolicy', BLOCK),
      xf('listPolicies'),
    ]);
    assert.equal(first, true);
    assert.equal(second, false);
    const mine = ours(listed);
    assert.equal(mine.length, 1);
    assert.deepEqual(
      { ...mine[0], index: 0 },
      {
        family: 'ipv4',
        dir: 'out',
        action: 'block',
        priority: VXLAN_BLOCK_PRIORITY,
        index: 0,
        src: KEY.src,
        dst: KEY.dst,
        proto: 'udp',
        dport: 4789,
        hasTemplates: false,
        templates: [],
        owned: true,
      },
    );
    const kernel = (await ipXfrmPolicies(ns)).filter((p) => p.startsWith(SELECTOR_TEXT));
    assert.deepEqual(kernel, [`${SELECTOR_TEXT} dir out action block priority ${VXLAN_BLOCK_PRIORITY} ptype main`]);
  });

  it('should change the priority in place', async () => {
    const [changed, listed] = await inNetns<[boolean, XfrmPolicy[]]>(ns, [
      xf('ensureBlockPolicy', { ...BLOCK, priority: 3_000_000 }),
      xf('listPolicies'),
    ]);
    assert.equal(changed, true);
    assert.deepEqual(
      ours(listed).map((p) => p.priority),
      [3_000_000],
    );
    assert.equal(
      (await ipXfrmPolicies(ns)).filter((p) => p.startsWith(SELECTOR_TEXT) && p.includes('priority 3000000')).length,
      1,
    );
    assert.equal((await inNetns<[boolean]>(ns, [xf('ensureBlockPolicy', BLOCK)]))[0], true);
  });

  it('should drop clear VXLAN to the remote while only the block policy covers it', async () => {
    assert.equal(await sendClearVxlan(ns), 'EPERM');
  });

  it('should coexist with a policy of the same selector it does not own, and delete only its own', async () => {
    // An IPsec policy with the very same selector, as pluto installs it, and an unrelated block policy.
    await ip(
      ns,
      'xfrm',
      'policy',
      'add',
      ...SELECTOR_TEXT.split(' '),
      'dir',
      'out',
      'priority',
      '100',
      'tmpl',
      'proto',
      'esp',
      'mode',
      'transport',
    );
    await ip(
      ns,
      'xfrm',
      'policy',
      'add',
      'src',
      `${LOCAL}/32`,
      'dst',
      '10.98.0.3/32',
      'proto',
      'udp',
      'dport',
      '4789',
      'dir',
      'out',
      'action',
      'block',
      'priority',
      '5',
    );
    const [unchanged, listed] = await inNetns<[boolean, XfrmPolicy[]]>(ns, [
      xf('ensureBlockPolicy', BLOCK),
      xf('listPolicies'),
    ]);
    assert.equal(unchanged, false, 'the foreign policy must not count as ours');
    assert.deepEqual(
      sameSelector(listed)
        .map((p) => [p.owned, p.action, p.priority, p.hasTemplates, p.templates])
        .sort(),
      [
        [false, 'allow', 100, true, [{ proto: 'esp', mode: 'transport', reqid: 0 }]],
        [true, 'block', VXLAN_BLOCK_PRIORITY, false, []],
      ],
    );
    assert.notEqual(await sendClearVxlan(ns), 'EPERM', 'the IPsec policy (priority 100) must win over the block');

    await inNetns(ns, [xf('deletePolicy', KEY), xf('deletePolicy', KEY)]);
    const kernel = await ipXfrmPolicies(ns);
    assert.deepEqual(
      kernel.filter((p) => p.startsWith(SELECTOR_TEXT)).map((p) => /priority (\d+)/.exec(p)?.[1]),
      ['100'],
    );
    assert.equal(
      kernel.filter((p) => p.startsWith(`src ${LOCAL}/32 dst 10.98.0.3/32`) && p.includes('action block priority 5'))
        .length,
      1,
    );
    const [after] = await inNetns<[XfrmPolicy[]]>(ns, [xf('listPolicies')]);
    assert.deepEqual(ours(after), []);
    await ip(ns, 'xfrm', 'policy', 'flush');
  });

  it('should refuse a selector with host bits set, naming it', async () => {
    const out = await tryInNetns(ns, [xf('ensureBlockPolicy', { ...BLOCK, src: `${LOCAL}/24` })]);
    assert.equal(out.ok, false);
    assert.equal(out.error?.name, 'InvalidArgumentError');
    assert.match(out.error?.message ?? '', /^invalid XFRM selector src "10\.98\.0\.1\/24": host bits are set/);
  });

  describe('with pluto routing the VXLAN connection', function () {
    const dir = `/tmp/cbt-xf-${process.pid}`;
    const whack = (...args: string[]) =>
      nsExec(ns, '/usr/libexec/ipsec/whack', ['--ctlsocket', `${dir}/run/pluto.ctl`, ...args]);
    let pluto: ChildProcess | undefined;

    before(async function () {
      if (!canUseNetns() || !existsSync('/usr/libexec/ipsec/pluto')) this.skip();
      this.timeout(30000);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(`${dir}/run`, { recursive: true });
      mkdirSync(`${dir}/nss`);
      writeFileSync(`${dir}/ipsec.conf`, 'config setup\n\tuniqueids=yes\n');
      writeFileSync(`${dir}/ipsec.secrets`, `${LOCAL} ${REMOTE} : PSK "0123456789abcdef0123456789abcdef"\n`, {
        mode: 0o600,
      });
      await run('ipsec', ['initnss', '--nssdir', `${dir}/nss`]);
      pluto = spawn(
        'ip',
        [
          'netns',
          'exec',
          ns,
          '/usr/libexec/ipsec/pluto',
          '--config',
          `${dir}/ipsec.conf`,
          '--rundir',
          `${dir}/run`,
          '--nssdir',
          `${dir}/nss`,
          '--secretsfile',
          `${dir}/ipsec.secrets`,
          '--nofork',
          '--logfile',
          `${dir}/pluto.log`,
        ],
        { stdio: 'ignore' },
      );
      await waitFor('pluto control socket', async () => existsSync(`${dir}/run/pluto.ctl`), 15000);
      await whack(
        '--psk',
        '--encrypt',
        '--name',
        'vx',
        '--host',
        LOCAL,
        '--clientprotoport',
        'udp',
        '--to',
        '--host',
        REMOTE,
        '--clientprotoport',
        'udp/4789',
      );
      await whack('--route', '--name', 'vx');
      await inNetns(ns, [xf('ensureBlockPolicy', BLOCK)]);
    });

    after(async function () {
      this.timeout(15000);
      const child = pluto;
      if (child?.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it("should list pluto's trap policy with templates and a lower priority than the block, and let it win", async () => {
      const [listed] = await inNetns<[XfrmPolicy[]]>(ns, [xf('listPolicies')]);
      const same = sameSelector(listed);
      const plutos = same.filter((p) => !p.owned);
      assert.equal(plutos.length, 1, JSON.stringify(same));
      assert.deepEqual(plutos[0]?.templates, [{ proto: 'esp', mode: 'transport', reqid: 0 }]);
      assert.equal(plutos[0]?.hasTemplates, true);
      assert.equal(plutos[0]?.action, 'allow');
      assert.ok((plutos[0]?.priority ?? Infinity) < VXLAN_BLOCK_PRIORITY, `pluto priority ${plutos[0]?.priority}`);
      assert.equal(ours(same).length, 1);
      assert.ok(
        listed.some((p) => p.family === 'ipv6' && p.proto === 'ipv6-icmp' && p.priority === 1),
        "pluto's ICMPv6 bypass policies are listed as ipv6",
      );
      assert.notEqual(await sendClearVxlan(ns), 'EPERM', "pluto's trap policy must win over the block");
    });

    it('should keep the block when pluto unroutes and re-routes the connection', async () => {
      await whack('--unroute', '--name', 'vx');
      let [listed] = await inNetns<[XfrmPolicy[]]>(ns, [xf('listPolicies')]);
      assert.deepEqual(
        sameSelector(listed).map((p) => p.owned),
        [true],
      );
      assert.equal(await sendClearVxlan(ns), 'EPERM', 'without the trap policy clear VXLAN must be dropped');
      await whack('--route', '--name', 'vx');
      [listed] = await inNetns<[XfrmPolicy[]]>(ns, [xf('listPolicies')]);
      assert.deepEqual(
        sameSelector(listed)
          .map((p) => p.owned)
          .sort(),
        [false, true],
      );
      assert.equal((await inNetns<[boolean]>(ns, [xf('ensureBlockPolicy', BLOCK)]))[0], false);
    });
  });
});
