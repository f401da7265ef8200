/**
 * loadKubeConfig: an explicit kubeconfig file, and the errors that say what
 * to pass when there is none.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadKubeConfig } from '../../../src/kube/index.js';
import { InvalidArgumentError } from '../../../src/lib/errors.js';
import { removeDir, tempDir } from '../../../lab/fs-helpers.js';

describe('loadKubeConfig', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => removeDir(dir));

  it('should read the cluster of an explicit kubeconfig file', () => {
    const path = join(dir, 'config');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: c',
        'clusters: [{name: k, cluster: {server: "https://10.0.0.1:6443"}}]',
        'users: [{name: u, user: {token: abc}}]',
        'contexts: [{name: c, context: {cluster: k, user: u}}]',
        '',
      ].join('\n'),
    );
    assert.equal(loadKubeConfig({ path, env: {} }).getCurrentCluster()?.server, 'https://10.0.0.1:6443');
  });

  it('should name the flag when the file is missing', () => {
    assert.throws(
      () => loadKubeConfig({ path: join(dir, 'nope') }),
      (err: unknown) => err instanceof InvalidArgumentError && /no such file; fix --kubeconfig$/.test(err.message),
    );
  });

  it('should say what to pass when neither a pod nor a kubeconfig is there', () => {
    assert.throws(
      () => loadKubeConfig({ env: { KUBECONFIG: join(dir, 'absent'), HOME: dir } }),
      /pass --kubeconfig PATH or set KUBECONFIG/,
    );
  });
});
