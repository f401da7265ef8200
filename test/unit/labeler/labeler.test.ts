/**
 * The offload-NIC labeler against a local HTTP server standing in for the
 * Kubernetes API, with detection fed recorded `ethtool -k` answers: the node
 * is labelled while a NIC offloads ESP, left alone when nothing changed,
 * unlabelled when the NIC is gone; the NFD feature file follows; RBAC and
 * node-name errors say what to do; a link change triggers a check.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OffloadLabeler } from '../../../src/labeler/labeler.js';
import { NodePatcher } from '../../../src/labeler/node-patcher.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { detectEspOffload } from '../../../src/offload/index.js';
import { FakeKubeApi } from '../../helpers/fake-kube-api.js';
import { fixture, removeDir, tempDir } from '../../../lab/fs-helpers.js';
import { waitFor } from '../config/wait-for.js';

const recorded = (name: string): string => readFileSync(fixture('ethtool', name), 'utf8');

describe('OffloadLabeler (local HTTP server standing in for the Kubernetes API)', () => {
  let api: FakeKubeApi;
  let dir: string;
  let labeler: OffloadLabeler | undefined;
  /** What each link answers to ethtool -k; tests change it to simulate NICs coming and going. */
  let links: Record<string, string>;
  const patches = () => api.requests.filter((r) => r.method === 'PATCH');
  const marks = () => {
    const meta = api.node('n1')?.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };
    return {
      label: meta.labels?.['cabled.io/ipsec-offload'],
      interfaces: meta.annotations?.['cabled.io/ipsec-offload-interfaces'],
    };
  };
  const make = (extra: Partial<ConstructorParameters<typeof OffloadLabeler>[0]> = {}, node = 'n1') =>
    (labeler = new OffloadLabeler({
      detect: () =>
        detectEspOffload({
          listLinks: async () => Object.keys(links),
          readFeatures: async (i) => recorded(links[i] ?? 'veth.txt'),
        }),
      patcher: new NodePatcher(api.kubeConfig(), node),
      nfdFeaturesDir: dir,
      intervalMs: 3_600_000,
      logger: silentLogger(),
      ...extra,
    }));

  beforeEach(async () => {
    api = new FakeKubeApi();
    await api.start();
    api.addNode('n1', { 'kubernetes.io/os': 'linux' });
    dir = tempDir();
    links = { lo: 'veth.txt', ens1f0np0: 'mlx5-cx6dx-esp-on.txt', ens1f1np1: 'mlx5-cx6dx-esp-off.txt' };
  });
  afterEach(async () => {
    labeler?.stop();
    labeler = undefined;
    await api.close();
    removeDir(dir);
  });

  it('should label the node and write the NFD file while a NIC offloads ESP, then patch nothing on a re-check', async () => {
    const first = await make().start();
    assert.deepEqual(first, { capable: ['ens1f0np0'], node: 'patched', nfd: 'changed' });
    assert.deepEqual(marks(), { label: 'true', interfaces: 'ens1f0np0' });
    assert.equal(
      (api.node('n1')!.metadata as { labels: Record<string, string> }).labels['kubernetes.io/os'],
      'linux',
      'other labels kept',
    );
    assert.equal(patches()[0]?.contentType, 'application/merge-patch+json');
    assert.equal(
      readFileSync(join(dir, 'cabled-ipsec-offload'), 'utf8'),
      '# written by cabled labeler: interfaces offloading ESP: ens1f0np0\ncabled.io/ipsec-offload=true\n',
    );
    assert.deepEqual(await labeler?.check('again'), { capable: ['ens1f0np0'], node: 'unchanged', nfd: 'unchanged' });
    assert.equal(patches().length, 1);
  });

  it('should remove the label, the annotation and the NFD file once no capable NIC remains', async () => {
    await make().start();
    links.ens1f0np0 = 'mlx5-cx6dx-esp-off.txt'; // e.g. `ethtool -K ens1f0np0 esp-hw-offload off`
    assert.deepEqual(await labeler?.check('test'), { capable: [], node: 'patched', nfd: 'changed' });
    assert.deepEqual(marks(), { label: undefined, interfaces: undefined });
    assert.deepEqual(patches()[1]?.body, {
      metadata: {
        labels: { 'cabled.io/ipsec-offload': null },
        annotations: { 'cabled.io/ipsec-offload-interfaces': null },
      },
    });
    assert.deepEqual(readdirSync(dir), []);
  });

  it('should leave a node without capable NICs unpatched', async () => {
    links = { lo: 'veth.txt', veth0: 'veth.txt' };
    assert.deepEqual(await make().start(), { capable: [], node: 'unchanged', nfd: 'unchanged' });
    assert.equal(patches().length, 0);
  });

  it('should say which RBAC to grant when the patch is forbidden, and succeed at the next check', async () => {
    api.failNext('PATCH', /^\/api\/v1\/nodes\/n1$/, 403);
    const first = await make().start();
    assert.deepEqual(first.node, {
      error:
        'label node n1: HTTP 403 Forbidden; grant the service account get and patch on nodes (ClusterRole + binding)',
    });
    assert.equal(first.nfd, 'changed', 'the NFD file does not depend on the API');
    assert.equal((await labeler?.check('retry'))?.node, 'patched');
  });

  it('should say to fix the node name when the node does not exist', async () => {
    const first = await make({}, 'no-such-node').start();
    assert.match(
      typeof first.node === 'string' ? '' : first.node.error,
      /^read node no-such-node: HTTP 404 Not Found; node no-such-node does not exist; pass this node's name \(--node-name/,
    );
  });

  it('should re-check after a link change', async () => {
    let fire: () => void = () => undefined;
    await make({
      linkEvents: (onChange) => {
        fire = onChange;
        return { close: () => undefined };
      },
      linkDebounceMs: 10,
    }).start();
    links.ens1f1np1 = 'mlx5-cx6dx-esp-on.txt';
    fire();
    await waitFor(() => marks().interfaces === 'ens1f0np0,ens1f1np1', 4000, 'the second NIC in the annotation');
    assert.ok(existsSync(join(dir, 'cabled-ipsec-offload')));
  });
});
