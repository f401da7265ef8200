/**
 * Two gateways on real network namespaces, one real cabled engine each with
 * the real libreswan driver, which starts its own Debian pluto (own mode).
 * This machine's kernel has no ESP: IKE establishes, the Child SA install is
 * refused by the kernel. The tests assert exactly that: IKE SA up on both
 * plutos (--showstates), the responder chose a proposal and accepted the
 * traffic selectors of every connection (it got as far as the kernel install),
 * and the engine reports the refusal, never `connected`. Runs as root.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConnectionStatus, SaState, type Connection } from '../../../src/generated/cabled/driver/v1/driver.js';
import { parseShowStates } from '../../../src/lib/whack/index.js';
import { EngineProcess } from '../../helpers/engine-process.js';
import { writeKubeletVolume } from '../../helpers/fs-helpers.js';
import { canUseNetns, connectVeth, createNetns, deleteNetns, ipJson, nsExec, run, waitFor } from '../../helpers/netns.js';

const PSK = 'cabled-test-psk-0123456789abcdef0123456789';
const IP1 = '172.30.5.1';
const IP2 = '172.30.5.2';
const ENDPOINTS = [
  { cluster_id: 'cluster1', hostname: 'gw1', private_ip: IP1, subnets: ['10.1.0.0/16'], backend: 'libreswan' },
  { cluster_id: 'cluster2', hostname: 'gw2', private_ip: IP2, subnets: ['10.2.0.0/16'], backend: 'libreswan' },
];
const CABLE_TO_2 = 'submariner-cable-cluster2-172-30-5-2';
const CABLE_TO_1 = 'submariner-cable-cluster1-172-30-5-1';

interface Gateway { ns: string; engine: EngineProcess; plutoDir: string }

function whack(g: Gateway, ...args: string[]) {
  return run('/usr/libexec/ipsec/whack', ['--ctlsocket', join(g.plutoDir, 'run', 'pluto.ctl'), ...args]);
}
async function showstates(g: Gateway) {
  return parseShowStates((await whack(g, '--showstates')).stdout);
}
const plutoLog = (g: Gateway) => readFile(join(g.plutoDir, 'pluto.log'), 'utf8').catch(() => '');
const connectionTo = async (g: Gateway, cluster: string): Promise<Connection | undefined> =>
  (await g.engine.connections()).find((c) => c.endpoint?.clusterId === cluster);

function suite(mode: 'tunnel' | 'transport'): void {
  describe(`engine with the libreswan driver, ${mode} mode, own pluto per namespace (integration, root, real pluto)`, function () {
    this.timeout(90000);
    const tag = `${process.pid % 100000}${mode[0]}`;
    let work: string;
    const gw: Gateway[] = [];
    const expected = mode === 'tunnel' ? ['-0-0'] : ['-0', '-1'];

    before(async function () {
      if (!canUseNetns()) throw new Error('integration tests need root (network namespaces)');
      work = await mkdtemp(join(tmpdir(), `cabled-ls${mode[0]}-`));
      const endpointsPath = join(work, 'endpoints.yaml');
      await writeFile(endpointsPath, stringify(ENDPOINTS));
      const config = mode === 'tunnel'
        ? `ceIPSecMode: "tunnel"\nceIPSecPSK: "${PSK}"\n`
        : `ceIPSecMode: "transport",\nceIPSecOverlay: "vxlan",\nceIPSecPSK: "${PSK}"\n`;
      const names = [`cbt-ls${tag}-1`, `cbt-ls${tag}-2`];
      for (const ns of names) await createNetns(ns);
      await connectVeth({ ns: names[0]!, name: 'eth-g1', cidr: `${IP1}/24` }, { ns: names[1]!, name: 'eth-g2', cidr: `${IP2}/24` });
      for (const [i, ns] of names.entries()) {
        const runDir = join(work, `run${i + 1}`);
        const configDir = join(work, `config${i + 1}`);
        writeKubeletVolume(configDir, { ceCustomConfig: config });
        const engine = new EngineProcess({
          ns, clusterId: `cluster${i + 1}`, privateIp: i ? IP2 : IP1, subnets: [i ? '10.2.0.0/16' : '10.1.0.0/16'],
          endpointsPath, runDir, extraArgs: ['--driver', 'libreswan', '--config', configDir],
        });
        gw.push({ ns, engine, plutoDir: join(runDir, 'drivers', 'pluto') });
      }
      for (const g of gw) g.engine.start();
      await waitFor('both drivers running', async () => {
        const st = await Promise.all(gw.map((g) => g.engine.status().catch(() => undefined)));
        return st.every((s) => s?.driver?.state === 'running' && s.inSync);
      }, 60000, 250);
    });

    after(async function () {
      for (const g of gw) await g.engine.stop('SIGTERM');
      if (this.currentTest?.state === 'failed' || process.env.CABLED_TEST_LOGS) {
        for (const g of gw) process.stderr.write(`--- ${g.ns} engine ---\n${(await g.engine.log()).slice(-3000)}\n--- pluto ---\n${(await plutoLog(g)).slice(-3000)}\n`);
      }
      for (const g of gw) await deleteNetns(g.ns);
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('should establish the IKE SA between the two plutos (--showstates)', async () => {
      for (const [i, g] of gw.entries()) {
        const cable = i === 0 ? CABLE_TO_2 : CABLE_TO_1;
        await waitFor(`IKE SA established in ${g.ns}`, async () =>
          (await showstates(g)).states.some((s) => s.kind === 'ike' && s.established && s.connection.startsWith(cable)), 30000, 200);
      }
    });

    it('should get every connection past proposal and traffic-selector checks to the kernel install, on the responder', async () => {
      // pluto orients by host; whichever side responded logs the kernel's answer for each Child SA it accepted.
      await waitFor('the kernel install attempt of every connection logged', async () => {
        const logs = (await Promise.all(gw.map(plutoLog))).join('\n');
        return expected.every((suffix) => new RegExp(`"(${CABLE_TO_2}|${CABLE_TO_1})${suffix}".*netlink response for Add SA`).test(logs));
      }, 30000, 250);
    });

    it('should report the kernel refusal (no ESP) and never connected', async () => {
      for (const [i, g] of gw.entries()) {
        const cluster = i === 0 ? 'cluster2' : 'cluster1';
        await waitFor(`${g.ns}: the connection reported in error`, async () =>
          (await connectionTo(g, cluster))?.status === ConnectionStatus.CONNECTION_STATUS_ERROR, 30000, 250);
      }
      const reasons = [];
      for (const [i, g] of gw.entries()) {
        const c = await connectionTo(g, i === 0 ? 'cluster2' : 'cluster1');
        assert.ok(c);
        assert.notEqual(c.status, ConnectionStatus.CONNECTION_STATUS_CONNECTED);
        assert.equal(c.sas.length, expected.length, 'one SA entry per connection');
        assert.ok(c.sas.every((s) => s.state !== SaState.SA_STATE_ESTABLISHED));
        reasons.push(c.statusMessage);
      }
      if (process.env.CABLED_TEST_LOGS) process.stderr.write(reasons.join('\n') + '\n');
      assert.ok(reasons.some((m) => /Child SA refused by the kernel: no ESP support \(errno (38|93)\)/.test(m)), reasons.join('\n'));
    });

    if (mode === 'transport') {
      it('should keep a block policy for clear VXLAN towards the peer, below pluto\'s policies', async () => {
        const out = (await nsExec(gw[0]!.ns, 'ip', ['xfrm', 'policy', 'show'])).stdout;
        assert.match(out, new RegExp(`src ${IP1}/32 dst ${IP2}/32 proto udp dport 4789\\s+dir out action block priority 2000000`));
        assert.match(out, new RegExp(`src ${IP1}/32 dst ${IP2}/32 proto udp dport 4789\\s+dir out priority \\d+[^]*?tmpl`));
      });

      it('should bring the VXLAN device up with an MTU that leaves room for ESP', async () => {
        const [link] = await ipJson<{ mtu: number; flags: string[] }[]>(gw[0]!.ns, 'link', 'show', 'vxlan-tunnel');
        assert.equal(link?.mtu, 1500 - 95);
        assert.ok(link?.flags.includes('UP'));
      });
    }

    it('should remove the connections and the policies on cleanup, and nothing else', async () => {
      const g = gw[0]!;
      await g.engine.stop('SIGTERM');
      await nsExec(g.ns, process.execPath, [
        join(process.cwd(), 'dist/src/engine/main.js'), 'cleanup', '--driver', 'libreswan', '--cluster-id', 'cluster1',
        '--private-ip', IP1, '--endpoints', join(work, 'endpoints.yaml'), '--run-dir', join(work, 'run1'), '--config', join(work, 'config1'),
      ], 60000);
      const policies = (await nsExec(g.ns, 'ip', ['xfrm', 'policy', 'show'])).stdout;
      assert.doesNotMatch(policies, /dst 172\.30\.5\.2\/32/);
      assert.deepEqual(await ipJson(g.ns, 'link', 'show', 'type', 'vxlan'), []);
    });
  });
}

suite('tunnel');
suite('transport');
