/**
 * Tests for watchEndpointsFile on real temp directories: edits, a kubelet
 * `..data` swap, unusable files keeping the previous snapshot, and no
 * callback when nothing changed.
 */
import assert from 'node:assert/strict';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EndpointsSnapshot } from '../../../src/endpoints/snapshot.js';
import { watchEndpointsFile, type EndpointsWatch } from '../../../src/endpoints/watch-endpoints.js';
import { InvalidArgumentError } from '../../../src/lib/errors.js';
import { fixture, removeDir, tempDir, writeAtomically, writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { settle, waitFor } from '../config/wait-for.js';

const TWO = `
- cluster_id: c2
  private_ip: 172.18.0.7
  subnets: [10.2.0.0/16]
- cluster_id: c3
  private_ip: 172.18.0.9
  subnets: [10.3.0.0/16]
`;
const ONE = `
- cluster_id: c2
  private_ip: 172.18.0.7
  subnets: [10.2.0.0/16]
`;

describe('watchEndpointsFile', () => {
  let dir: string;
  let watch: EndpointsWatch | undefined;
  let snapshots: EndpointsSnapshot[];
  let errors: Error[];
  const start = (path: string, localClusterId?: string): Promise<EndpointsWatch> =>
    watchEndpointsFile({
      path,
      localClusterId,
      debounceMs: 50,
      pollMs: 0,
      onChange: (s) => snapshots.push(s),
      onError: (e) => errors.push(e),
    });
  const clusters = (s: EndpointsSnapshot | undefined): string[] => (s?.endpoints ?? []).map((e) => e.spec.clusterId);

  beforeEach(() => {
    dir = tempDir();
    snapshots = [];
    errors = [];
  });
  afterEach(() => {
    watch?.close();
    watch = undefined;
    removeDir(dir);
  });

  it('should load the fixture in both shapes', async () => {
    const file = join(dir, 'endpoints.yaml');
    copyFileSync(fixture('endpoints', 'mixed.yaml'), file);
    watch = await start(file);
    assert.deepEqual(clusters(watch.current()), ['cluster2', 'cluster3']);
    assert.equal(watch.current().endpoints[1]?.createdAt, Date.parse('2026-11-22T10:00:00Z'));
  });

  context('when an edit removes one entry', () => {
    it("should report the smaller snapshot and keep the other entry's creation time", async () => {
      const file = join(dir, 'endpoints.yaml');
      writeFileSync(file, TWO);
      watch = await start(file);
      const before = watch.current().endpoints[0]?.createdAt;
      writeAtomically(file, ONE);
      await waitFor(() => snapshots.length === 1, 4000, 'the new snapshot');
      assert.deepEqual(clusters(snapshots[0]), ['c2']);
      assert.equal(snapshots[0]?.endpoints[0]?.createdAt, before);
    });
  });

  context('when the file is a key of a kubelet ConfigMap volume', () => {
    it('should follow the ..data swap', async () => {
      const cm = join(dir, 'cm');
      writeKubeletVolume(cm, { 'endpoints.yaml': TWO });
      watch = await start(join(cm, 'endpoints.yaml'));
      writeKubeletVolume(cm, { 'endpoints.yaml': ONE });
      await waitFor(() => snapshots.length === 1, 4000, 'the swap');
      assert.deepEqual(clusters(watch.current()), ['c2']);
    });
  });

  context('when an edit changes nothing that matters', () => {
    it('should not call onChange', async () => {
      const file = join(dir, 'endpoints.yaml');
      writeFileSync(file, TWO);
      watch = await start(file);
      writeFileSync(file, `# a comment\n${TWO}`);
      await settle(300);
      assert.equal(snapshots.length, 0);
    });
  });

  context('when one entry goes bad', () => {
    it('should reject it alone', async () => {
      const file = join(dir, 'endpoints.yaml');
      writeFileSync(file, TWO);
      watch = await start(file);
      writeFileSync(file, TWO.replace('172.18.0.9', '172.18.0.999'));
      await waitFor(() => snapshots.length === 1, 4000, 'the snapshot');
      assert.deepEqual(clusters(snapshots[0]), ['c2']);
      assert.match(snapshots[0]?.rejected[0]?.reason ?? '', /private_ip="172\.18\.0\.999": not an IPv4 address/);
    });
  });

  context('when the file stops parsing or goes missing', () => {
    it('should keep the previous snapshot and report through onError', async () => {
      const file = join(dir, 'endpoints.yaml');
      writeFileSync(file, TWO);
      watch = await start(file);
      writeFileSync(file, '- cluster_id: [\n');
      await waitFor(() => errors.length === 1, 4000, 'the parse error');
      assert.match(errors[0]?.message ?? '', /not valid YAML or JSON/);
      rmSync(file);
      await waitFor(() => errors.length === 2, 4000, 'the missing-file error');
      assert.match(errors[1]?.message ?? '', /ENOENT/);
      assert.deepEqual(clusters(watch.current()), ['c2', 'c3']);
      assert.equal(snapshots.length, 0);
      writeFileSync(file, ONE);
      await waitFor(() => snapshots.length === 1, 4000, 'the recovery');
      assert.equal(watch.lastError(), undefined);
    });
  });

  context('when the file comes back byte for byte as it was (the idle poll re-reads it unchanged)', () => {
    it('should recover from the error in between without a new snapshot', async () => {
      const file = join(dir, 'endpoints.yaml');
      writeFileSync(file, TWO);
      let recovered = 0;
      watch = await watchEndpointsFile({
        path: file,
        debounceMs: 50,
        pollMs: 0,
        onChange: (s) => snapshots.push(s),
        onError: (e) => errors.push(e),
        onRecovered: () => recovered++,
      });
      writeFileSync(file, '- cluster_id: [\n');
      await waitFor(() => errors.length === 1, 4000, 'the parse error');
      writeFileSync(file, TWO);
      await waitFor(() => recovered === 1, 4000, 'the recovery');
      assert.equal(watch.lastError(), undefined);
      assert.equal(snapshots.length, 0, 'nothing changed: no snapshot');
      assert.deepEqual(clusters(watch.current()), ['c2', 'c3']);
    });
  });

  context('when the first read fails', () => {
    it('should reject', async () => {
      await assert.rejects(start(join(dir, 'missing.yaml')), InvalidArgumentError);
    });
  });

  context('when given the local cluster ID', () => {
    it('should leave that cluster out', async () => {
      const file = join(dir, 'endpoints.yaml');
      writeFileSync(file, TWO);
      watch = await start(file, 'c3');
      assert.deepEqual(clusters(watch.current()), ['c2']);
    });
  });
});
