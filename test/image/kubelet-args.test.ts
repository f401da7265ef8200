/**
 * The kubelet stand-in of the image tests (kubelet.ts), checked on the
 * chart's rendered gateway pod without running anything: how command, args,
 * env, the security context and the volumes become `podman run` arguments.
 * Uses the real helm binary; needs no root.
 */
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from '../../lab/fs-helpers.js';
import { find, renderChart } from '../chart/helm.js';
import { expandVars, podmanRunArgs, podTemplate, RUNTIME_DEFAULT_CAPS, resolveEnv } from './kubelet.js';

const PSK = 'a-test-psk-of-at-least-thirty-two-bytes-0123456789';

describe('kubelet stand-in for the image tests: the rendered gateway pod as podman arguments (real helm, no root)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = tempDir('cabled-kubelet-args-');
  });
  after(() => removeDir(dir));

  it("should expand $(VAR) from the container's env as kubelet does ($$ escapes, unknown stays)", () => {
    const env = new Map([['POD_IP', '10.0.0.5']]);
    assert.equal(expandVars('--health-listen=$(POD_IP):8081', env), '--health-listen=10.0.0.5:8081');
    assert.equal(expandVars('$$(POD_IP) $(NOPE)', env), '$(POD_IP) $(NOPE)');
  });

  it('should run the rendered command, args, env, capabilities and volumes, nothing else', async () => {
    const objects = await renderChart({ clusterId: 'cluster1', 'ipsec.psk': PSK });
    const pod = podTemplate(find(objects, 'DaemonSet', '-gateway'));
    const ctx = {
      name: 'cbt-kubelet-args',
      nodeNetns: 'node-ns',
      nodeName: 'node1',
      podIP: '172.31.9.1',
      namespace: 'cabled-system',
      nodeRoot: dir,
      objects,
    };
    const env = resolveEnv(pod.containers[0]!, ctx);
    assert.equal(env.get('POD_IP'), '172.31.9.1');
    assert.equal(env.get('NODE_NAME'), 'node1');
    assert.deepEqual([env.get('POD_NAME'), env.get('POD_NAMESPACE')], ['cbt-kubelet-args', 'cabled-system']);
    const args = podmanRunArgs(pod, ctx, 'img:1');
    const at = args.indexOf('img:1');
    const after = args.slice(at + 1);
    assert.equal(after[0], 'run');
    assert.ok(after.includes('--health-listen=172.31.9.1:8081'), after.join(' '));
    assert.ok(after.includes('--cluster-id=cluster1'));
    const entry = args[args.indexOf('--entrypoint') + 1]!;
    assert.deepEqual(JSON.parse(entry), ['/usr/bin/tini', '-s', '--', 'cabled']);
    assert.equal(args[args.indexOf('--network') + 1], 'ns:/run/netns/node-ns');
    assert.ok(!args.includes('--privileged'));
    const caps = args.flatMap((a, i) => (args[i - 1] === '--cap-add' ? [a] : []));
    for (const c of [...RUNTIME_DEFAULT_CAPS, 'NET_ADMIN', 'SYS_MODULE']) assert.ok(caps.includes(c), c);
    assert.equal(args[args.indexOf('--cap-drop') + 1], 'all');
    const mounts = args.flatMap((a, i) => (args[i - 1] === '--mount' ? [a] : []));
    assert.ok(
      mounts.includes(`type=bind,src=${join(dir, 'host', 'run', 'cabled')},dst=/run/cabled`),
      mounts.join('\n'),
    );
    assert.ok(
      mounts.some((m) => m.endsWith(',dst=/lib/modules,ro=true')),
      mounts.join('\n'),
    );
    const psk = mounts.find((m) => m.includes('dst=/var/run/secrets/submariner.io/'));
    assert.ok(psk?.endsWith(',ro=true'));
    const pskDir = /src=([^,]+)/.exec(psk ?? '')?.[1] ?? assert.fail('no psk mount');
    assert.equal(readFileSync(join(pskDir, 'psk'), 'utf8'), PSK, 'the Secret written decoded, as kubelet does');
    assert.equal(readlinkSync(join(pskDir, 'psk')), join('..data', 'psk'));
  });
});
