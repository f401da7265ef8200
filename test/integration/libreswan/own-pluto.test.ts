/**
 * Own-mode pluto on a real libreswan (Debian's 4.10, or 5.2 / 5.4 in the CI
 * matrix), one per namespace, driven only through the lifecycle code and the
 * whack adapter. This kernel has no ESP: IKE SAs come up, every Child SA is
 * refused by the kernel, and the classifier must say so (never
 * "established"), in the words of the version it runs against.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError } from '../../../src/lib/errors.js';
import {
  classifySa,
  type ConnectionSpec,
  hasEstablishedChild,
  type SaDiagnosis,
  type WhackAdapter,
} from '../../../src/lib/whack/index.js';
import { OwnPluto, readLogTail, type RestartEvent } from '../../../drivers/libreswan/pluto/index.js';
import { waitFor } from '../../../lab/netns.js';
import { canRunPluto, createLab, destroyLab, killIfAlive, type Lab } from './lab.js';
import { expectedLibreswan, runningLibreswan } from '../../helpers/libreswan-version.js';

const lsw = await runningLibreswan();

const PSK = 'cabled-test-psk-0123456789abcdef0123';

/**
 * The same three connections on both sides (pluto orients them by --host).
 * As in the design: IKE on 4500, ESP forced into UDP, no NIC offload.
 * All share one IKE SA, so they must agree on PFS: libreswan 4.10 answers
 * NO_PROPOSAL_CHOSEN to a CREATE_CHILD_SA for a non-PFS connection riding on
 * the IKE SA of a PFS one (seen here: "switched to "vx-in"" then "no local
 * proposal matches remote proposals").
 */
function specs(lab: Lab): ConnectionSpec[] {
  const a = { host: lab.ipA, id: lab.ipA, ikePort: 4500 };
  const b = { host: lab.ipB, id: lab.ipB, ikePort: 4500 };
  const common = { pfs: true, encaps: true, nicOffload: 'no' as const };
  return [
    {
      ...common,
      name: 'tun',
      mode: 'tunnel',
      left: { ...a, client: '10.232.1.0/24' },
      right: { ...b, client: '10.232.2.0/24' },
    },
    {
      ...common,
      name: 'vx-in',
      mode: 'transport',
      left: { ...a, protoPort: 'udp/4789' },
      right: { ...b, protoPort: 'udp' },
    },
    {
      ...common,
      name: 'vx-out',
      mode: 'transport',
      left: { ...a, protoPort: 'udp' },
      right: { ...b, protoPort: 'udp/4789' },
    },
  ];
}

async function diagnose(pluto: OwnPluto, connection: string, ikeSiblings?: string[]): Promise<SaDiagnosis> {
  const [states, traffic, logLines] = await Promise.all([
    pluto.whack.showStates(),
    pluto.whack.trafficStatus(),
    readLogTail(pluto.logFile),
  ]);
  return classifySa({ connection, states, traffic, logLines, ...(ikeSiblings ? { ikeSiblings } : {}) });
}

async function setUp(whack: WhackAdapter, list: readonly ConnectionSpec[]): Promise<void> {
  for (const r of await whack.addConnections(list, 'replace')) if (!r.ok) throw r.error;
  for (const r of await whack.routeAll(list.map((s) => s.name))) if (!r.ok) throw r.error;
}

describe(`own-mode pluto in namespaces (libreswan ${lsw.text}, kernel without ESP)`, function () {
  this.timeout(60_000);
  let lab: Lab;
  let a: OwnPluto;
  let b: OwnPluto;

  before(async function () {
    if (!(await canRunPluto())) this.skip();
    lab = await createLab('o', 1);
    a = new OwnPluto({ dir: join(lab.dir, 'a'), netns: lab.nsA, restartDelayMs: 100 });
    // B runs with debug (--stderrlog): its log file must still feed the classifier.
    b = new OwnPluto({ dir: join(lab.dir, 'b'), netns: lab.nsB, restartDelayMs: 100, debug: true });
    await Promise.all([a.ready(), b.ready()]);
    const secrets = (psk: string) => [
      { selectors: [lab.ipA, lab.ipB], psk: PSK },
      { selectors: ['@bad-a', '@bad-b'], psk },
    ];
    await a.writeSecrets(secrets('first-psk-for-the-bad-pair-0123456789'));
    await b.writeSecrets(secrets('other-psk-for-the-bad-pair-0123456789'));
  });

  after(async function () {
    if (!lab) return;
    const pids = [a?.pid(), b?.pid()];
    await Promise.allSettled([a?.stop(), b?.stop()]);
    for (const pid of pids) killIfAlive(pid);
    if (!process.env.CABLED_KEEP_LAB) await destroyLab(lab);
  });

  it('should start one pluto per namespace and detect the libreswan it runs against', async () => {
    const v = await a.whack.version();
    assert.equal(`${v.major}.${v.minor}`, lsw.text);
    if (expectedLibreswan()) assert.equal(lsw.text, expectedLibreswan(), 'the matrix got the version it asked for');
    assert.notEqual(a.pid(), b.pid());
    const secrets = await readFile(a.paths.secrets, 'utf8');
    assert.ok(!secrets.includes(PSK), 'the PSK is stored base64 (0s...), not in clear');
  });

  it('should bring IKE up for a tunnel and a VXLAN transport pair, and classify the Child SAs as refused by the kernel', async () => {
    const list = specs(lab);
    await Promise.all([setUp(a.whack, list), setUp(b.whack, list)]);
    // Initiate from A, wait, then from B over the same IKE SA. Both at once is "crossing streams",
    // which 4.x handles badly (seen here: EXPECTATION FAILED ... msgid_windows, whack --initiate hanging).
    const names = list.map((s) => s.name);
    for (const r of await a.whack.initiateAll(names)) if (!r.ok) throw r.error;
    await waitFor(
      'an established IKE SA on both sides',
      async () => {
        const [sa, sb] = await Promise.all([a.whack.showStates(), b.whack.showStates()]);
        return [sa, sb].every((s) => s.states.some((st) => st.kind === 'ike' && st.established));
      },
      30_000,
      100,
    );
    // The responder's kernel refuses; the initiator hears it as 4.x TS_UNACCEPTABLE, 5.x TEMPORARY_FAILURE
    // or (5.2, the Child SA of IKE_AUTH) a payload-less answer. Either way: IKE established, the peer refused.
    const refusal = lsw.peerRefusalVerdicts;
    let first: SaDiagnosis[] = [];
    await waitFor(
      "A's Child SA requests to be answered",
      async () => {
        first = await Promise.all(
          names.map((n) =>
            diagnose(
              a,
              n,
              names.filter((x) => x !== n),
            ),
          ),
        );
        return first.every((d) => refusal.includes(d.verdict));
      },
      30_000,
      100,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${JSON.stringify(first, null, 1)}`);
    });
    for (const d of first) {
      assert.equal(d.ike, 'established', `${d.connection}: the initiator says IKE is up`);
      assert.match(d.reason, /^the peer refused the Child SA/);
    }
    for (const r of await b.whack.initiateAll(names)) if (!r.ok) throw r.error;
    const diagnoses: SaDiagnosis[] = [];
    await waitFor(
      'a kernel refusal for every connection on both sides',
      async () => {
        diagnoses.length = 0;
        for (const p of [a, b]) for (const s of list) diagnoses.push(await diagnose(p, s.name));
        return diagnoses.every((d) => d.verdict === 'kernel-refused');
      },
      30_000,
      200,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${JSON.stringify(diagnoses, null, 1)}`);
    });
    for (const d of diagnoses) {
      assert.match(d.reason, /^Child SA refused by the kernel: no ESP support \(errno (38|93)\)$/);
      assert.match(
        d.evidence ?? '',
        new RegExp(
          `netlink response for ${lsw.addSaWords} esp\\.[0-9a-f]+@10\\.231\\.1\\.[12]: .* \\(errno (38|93)\\)`,
        ),
      );
    }
    for (const p of [a, b]) {
      const show = await p.whack.showStates();
      for (const s of list) assert.ok(!hasEstablishedChild(show, s.name), `${s.name} must not look established`);
      assert.deepEqual(await p.whack.trafficStatus(), []);
      assert.equal((await p.whack.briefStatus()).ipsec.total, 0);
      const loaded = await p.whack.connections();
      for (const s of list) assert.ok(loaded.has(s.name), `${s.name} loaded`);
      // 4.x: prospective erouted; 5.x: routed-ondemand (or routed-negotiation while pluto retries).
      assert.match(
        loaded.get('vx-in')?.routing ?? '',
        lsw.version.major >= 5 ? /^routed-(?:ondemand|negotiation)$/ : /^prospective erouted$/,
      );
    }
  });

  it('should classify a PSK mismatch as an authentication failure on both sides', async () => {
    const bad: ConnectionSpec = {
      name: 'bad',
      mode: 'tunnel',
      left: { host: lab.ipA, id: '@bad-a', client: '10.233.1.0/24' },
      right: { host: lab.ipB, id: '@bad-b', client: '10.233.2.0/24' },
    };
    await a.whack.addConnection(bad);
    await b.whack.addConnection(bad);
    await a.whack.initiate('bad');
    let last: SaDiagnosis[] = [];
    await waitFor(
      'auth-failed on both sides',
      async () => {
        last = await Promise.all([diagnose(a, 'bad'), diagnose(b, 'bad')]);
        return last.every((d) => d.verdict === 'auth-failed');
      },
      20_000,
      100,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)} ${JSON.stringify(last)}`);
    });
    assert.equal(last[0]?.reason, 'authentication failed (PSK mismatch?)');
    assert.match(
      last[0]?.evidence ?? '',
      /"bad" #\d+: IKE SA authentication request rejected by peer: AUTHENTICATION_FAILED/,
    );
    assert.match(
      last[1]?.evidence ?? '',
      /"bad" #\d+: (authentication failed: computed hash does not match hash received from peer ID_FQDN '@bad-a'|responding to IKE_AUTH message .* AUTHENTICATION_FAILED)/,
    );
    await a.whack.deleteConnection('bad');
    await b.whack.deleteConnection('bad');
  });

  it('should classify an unreachable peer as no answer', async () => {
    const dead: ConnectionSpec = {
      name: 'dead',
      mode: 'transport',
      retransmitIntervalMs: 100,
      retransmitTimeoutSec: 1,
      left: { host: lab.ipA, protoPort: 'udp/4789' },
      right: { host: '10.231.1.9', protoPort: 'udp' },
    };
    await a.whack.addConnection(dead);
    await a.whack.initiate('dead');
    let d: SaDiagnosis | undefined;
    await waitFor('no-answer', async () => (d = await diagnose(a, 'dead')).verdict === 'no-answer', 20_000, 200);
    assert.match(d?.reason ?? '', /^no answer from peer 10\.231\.1\.9/);
    await a.whack.deleteConnection('dead');
  });

  if (lsw.addSaWords === 'XFRM_MSG_UPDSA') {
    it('should refuse and explain a connection 5.4 cannot orient (nic-offload packet on a veth: "unoriented")', async () => {
      const off: ConnectionSpec = {
        name: 'off',
        mode: 'transport',
        nicOffload: 'packet',
        left: { host: lab.ipA, protoPort: 'udp/4789' },
        right: { host: lab.ipB, protoPort: 'udp' },
      };
      await assert.rejects(
        a.whack.addConnection(off),
        (e: unknown) =>
          e instanceof FailedPreconditionError &&
          /connection off: pluto could not orient the connection \(unoriented\)/.test(e.message),
      );
      const loaded = await a.whack.connections();
      assert.equal(loaded.get('off')?.routing, 'unoriented');
      assert.equal(loaded.get('off')?.oriented, false);
      await a.whack.deleteConnection('off');
    });
  }

  it('should refuse a second pluto in the same namespace, naming the running one and host mode', async () => {
    const second = new OwnPluto({ dir: join(lab.dir, 'a2'), netns: lab.nsA });
    await assert.rejects(
      second.ready(),
      (e: unknown) =>
        e instanceof FailedPreconditionError &&
        e.message.includes(`another pluto (pid ${String(a.pid())})`) &&
        e.message.includes('ceIPSecPlutoMode: host'),
    );
  });

  it('should restart pluto after kill -9 and run the restart hook', async () => {
    const events: RestartEvent[] = [];
    const list = specs(lab);
    const off = a.onRestart(async (e) => {
      events.push(e);
      await setUp(a.whack, list);
    });
    const old = a.pid();
    killIfAlive(old, 'SIGKILL');
    await waitFor('the restart hook', async () => events.length > 0, 20_000, 50);
    off();
    await a.ready();
    assert.equal(events[0]?.previousPid, old);
    assert.notEqual(a.pid(), old);
    assert.match(events[0]?.reason ?? '', /pluto exited \(signal SIGKILL\)/);
    const loaded = await a.whack.connections();
    assert.deepEqual(
      list.map((s) => loaded.has(s.name)),
      [true, true, true],
      'the hook re-added the connections',
    );
  });
});
