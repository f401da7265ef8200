/**
 * `cabled labeler --once` end to end in a namespace (prefix kb-) holding only
 * veth interfaces and lo, against a local HTTP server standing in for the
 * Kubernetes API (reached over a veth pair to the test process): real
 * rtnetlink and ethtool find nothing capable, so a stale label, annotation
 * and NFD feature file are removed, and a second run writes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINE_MAIN } from '../../../lab/engine-process.js';
import { FakeKubeApi } from '../../helpers/fake-kube-api.js';
import { linkToHost } from '../../helpers/host-link.js';
import { canUseNetns, createNetns, deleteNetns, nsExec } from '../../../lab/netns.js';

const NS = `kb-lab-${process.pid}`;
const HOST_IP = '10.254.78.1';

describe('cabled labeler --once (local HTTP server standing in for the Kubernetes API, real veth in a namespace)', function () {
  this.timeout(30000);
  let api: FakeKubeApi;
  let work: string;
  let labelerArgs: string[];

  before(async function () {
    if (!canUseNetns()) this.skip();
    await deleteNetns(NS);
    await createNetns(NS);
    await linkToHost({
      ns: NS,
      hostIf: `kbl${process.pid % 100000}`,
      hostIp: HOST_IP,
      nsIf: 'kbl0',
      nsIp: '10.254.78.2',
    });
    api = new FakeKubeApi();
    await api.start(HOST_IP);
    // What an earlier run on a node with a capable NIC left behind.
    api.addNode(
      'n1',
      { 'cabled.io/ipsec-offload': 'true', 'kubernetes.io/os': 'linux' },
      { 'cabled.io/ipsec-offload-interfaces': 'ens1f0np0' },
    );
    work = await mkdtemp(join(tmpdir(), 'kb-lab-'));
    await writeFile(join(work, 'kubeconfig'), api.kubeconfigText());
    await writeFile(join(work, 'cabled-ipsec-offload'), 'cabled.io/ipsec-offload=true\n');
    labelerArgs = [
      ENGINE_MAIN,
      'labeler',
      '--once',
      '--node-name',
      'n1',
      '--kubeconfig',
      join(work, 'kubeconfig'),
      '--nfd-features-dir',
      work,
    ];
  });
  after(async () => {
    await api?.close();
    await deleteNetns(NS);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('should remove the stale label, annotation and NFD file, keeping other labels', async () => {
    await nsExec(NS, process.execPath, labelerArgs);
    const meta = api.node('n1')?.metadata as { labels: Record<string, string>; annotations: Record<string, string> };
    assert.deepEqual(meta.labels, { 'kubernetes.io/os': 'linux' });
    assert.deepEqual(meta.annotations, {});
    assert.equal(existsSync(join(work, 'cabled-ipsec-offload')), false);
  });

  it('should write nothing on a second run', async () => {
    const before = api.requests.length;
    await nsExec(NS, process.execPath, labelerArgs);
    assert.deepEqual(
      api.requests.slice(before).map((r) => r.method),
      ['GET'],
    );
  });
});
