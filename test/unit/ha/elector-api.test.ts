/**
 * Leader election between several electors in this process, against the
 * local HTTP server standing in for the Kubernetes API, whose Lease enforces
 * resourceVersion conflicts as the API server does (409 on a stale write).
 * Short durations (lease 1 s, renew deadline 0.6 s, retry 0.2 s) keep the
 * tests fast; every check is polled, and a sampler asserts there is never
 * more than one leader.
 */
import assert from 'node:assert/strict';
import { LeaderElector, type ElectorState } from '../../../src/ha/elector.js';
import { KubeRest, type KubeRequestError } from '../../../src/ha/kube-rest.js';
import { kubeLeaseStore, type LeaseRecord } from '../../../src/ha/lease.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { FakeKubeApi } from '../../helpers/fake-kube-api.js';

const NS = 'cbt-ha-elector';
const NAME = 'submariner-gateway-lock';

async function until(what: string, check: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('leader election on a Lease (local HTTP server standing in for the Kubernetes API, enforcing resourceVersion conflicts)', function () {
  this.timeout(30000);
  let api: FakeKubeApi;
  let electors: LeaderElector[];
  let states: Map<string, ElectorState>;
  let maxLeaders: number;
  let sampler: NodeJS.Timeout;
  const leaders = (): string[] => [...states.entries()].filter(([, s]) => s.leader).map(([id]) => id);

  const start = (id: string, opts: Partial<{ lease: number; renew: number; retry: number }> = {}): LeaderElector => {
    const mine = states; // a stopped elector of an earlier test must not write into this test's map
    const e = new LeaderElector({
      store: kubeLeaseStore(new KubeRest(api.kubeConfig()), NS, NAME),
      identity: id,
      leaseDurationMs: opts.lease ?? 1000,
      renewDeadlineMs: opts.renew ?? 600,
      retryPeriodMs: opts.retry ?? 200,
      logger: silentLogger(),
      onChange: (s) => {
        if (mine !== states) return;
        states.set(id, s);
        maxLeaders = Math.max(maxLeaders, leaders().length);
      },
    });
    electors.push(e);
    e.start();
    return e;
  };

  beforeEach(async () => {
    api = new FakeKubeApi();
    await api.start();
    electors = [];
    states = new Map();
    maxLeaders = 0;
    sampler = setInterval(() => (maxLeaders = Math.max(maxLeaders, leaders().length)), 5);
  });

  afterEach(async () => {
    clearInterval(sampler);
    for (const e of electors) await e.stop();
    await api.close();
  });

  it('should answer a write with a stale resourceVersion with 409 Conflict, as the API server does', async () => {
    const store = kubeLeaseStore(new KubeRest(api.kubeConfig()), NS, NAME);
    const rec: LeaseRecord = {
      holderIdentity: 'a',
      leaseDurationSeconds: 10,
      acquireTime: Date.now(),
      renewTime: Date.now(),
      leaseTransitions: 0,
    };
    const created = await store.create(rec, 2000);
    const first = await store.update({ ...rec, holderIdentity: 'b' }, created.resourceVersion, 2000);
    assert.equal(first.record.holderIdentity, 'b');
    await assert.rejects(
      store.update({ ...rec, holderIdentity: 'c' }, created.resourceVersion, 2000),
      (err: KubeRequestError) => err.statusCode === 409,
    );
    await assert.rejects(store.create(rec, 2000), (err: KubeRequestError) => err.statusCode === 409);
    assert.equal((await store.get(2000))?.record.holderIdentity, 'b');
  });

  it('should elect exactly one of three gateways and keep it while it renews', async () => {
    for (const id of ['gw-a', 'gw-b', 'gw-c']) start(id);
    await until('one leader and two standbys', () => leaders().length === 1 && states.size === 3);
    const leader = leaders()[0];
    await new Promise((r) => setTimeout(r, 2500)); // more than two lease durations
    assert.deepEqual(leaders(), [leader]);
    assert.equal(maxLeaders, 1);
    const spec = api.lease(NS, NAME)?.spec as { holderIdentity: string; leaseTransitions: number };
    assert.equal(spec.holderIdentity, leader);
    for (const [id, s] of states) if (id !== leader) assert.equal(s.holder, leader);
  });

  it('should hand over at once when the leader releases the lease', async () => {
    const a = start('gw-a');
    await until('gw-a leads', () => leaders().join() === 'gw-a');
    start('gw-b', { lease: 10000, renew: 5000, retry: 2000 }); // Submariner's defaults: the watch, not the poll, must see it
    await until('gw-b standing by', () => states.get('gw-b')?.decided === true);
    await a.stop();
    const t0 = Date.now();
    await a.release();
    await until('gw-b leads', () => leaders().join() === 'gw-b', 5000);
    const took = Date.now() - t0;
    assert.ok(took < 1000, `handover took ${took} ms`);
    assert.equal(maxLeaders, 1);
  });

  it('should take over from a crashed leader only once the lease has expired', async () => {
    const a = start('gw-a');
    await until('gw-a leads', () => leaders().join() === 'gw-a');
    start('gw-b');
    await until('gw-b standing by', () => states.get('gw-b')?.decided === true);
    // A crash: no more renewals, no release, and its own view no longer counts.
    await a.stop();
    states.delete('gw-a');
    const t0 = Date.now();
    await until('gw-b leads', () => leaders().join() === 'gw-b', 5000);
    const took = Date.now() - t0;
    // The last renewal was at most one retry period (200 ms) before the crash; the lease lasts 1000 ms.
    assert.ok(took >= 700, `gw-b took over ${took} ms after the crash, before the lease could have expired`);
    assert.ok(took < 1000 + 600, `takeover took ${took} ms`);
  });

  it('should stand the leader down at its renew deadline while the API hangs, never with two leaders, and settle on one after', async () => {
    for (const id of ['gw-a', 'gw-b']) start(id);
    await until('one leader', () => leaders().length === 1 && states.size === 2);
    const first = leaders()[0];
    api.setReachable(false);
    const t0 = Date.now();
    await until('no leader', () => leaders().length === 0, 5000);
    const stoodDown = Date.now() - t0;
    assert.ok(stoodDown <= 600 + 150, `stood down after ${stoodDown} ms, renew deadline 600 ms`);
    assert.match(states.get(first ?? '')?.why ?? '', /could not renew the lease within the renew deadline/);
    await new Promise((r) => setTimeout(r, 2000)); // outage of twice the lease duration
    assert.equal(leaders().length, 0);
    api.setReachable(true);
    await until('one leader again', () => leaders().length === 1, 5000);
    const changes: string[] = [];
    const after = leaders().join();
    const watch = setInterval(() => {
      const now = leaders().join();
      if (now !== (changes.at(-1) ?? after)) changes.push(now);
    }, 5);
    await new Promise((r) => setTimeout(r, 2000));
    clearInterval(watch);
    assert.deepEqual(changes, [], `leadership flapped after the API came back: ${changes.join(' -> ')}`);
    assert.equal(maxLeaders, 1);
  });
});
