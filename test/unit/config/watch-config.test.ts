/**
 * Tests for watchConfig on real temp directories: kubelet's `..data` swap,
 * plain file rewrites, bad updates keeping the last good configuration, and
 * no callback when nothing changed.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CableConfig } from '../../../src/config/cable-config.js';
import { watchConfig, type ConfigWatch } from '../../../src/config/watch-config.js';
import { ConfigError } from '../../../src/lib/errors.js';
import { removeDir, tempDir, writeAtomically, writeKubeletVolume } from '../../../lab/fs-helpers.js';
import { GOOD_PSK } from './load-helpers.js';
import { settle, waitFor } from './wait-for.js';

describe('watchConfig', () => {
  let dir: string;
  let watch: ConfigWatch | undefined;
  let changes: CableConfig[];
  let errors: Error[];
  const start = (path: string, env: Record<string, string> = {}): Promise<ConfigWatch> =>
    watchConfig({
      path,
      env,
      debounceMs: 50,
      pollMs: 0,
      onChange: (c) => changes.push(c),
      onError: (e) => errors.push(e),
    });

  beforeEach(() => {
    dir = tempDir();
    changes = [];
    errors = [];
  });
  afterEach(() => {
    watch?.close();
    watch = undefined;
    removeDir(dir);
  });

  context('when the ConfigMap is a kubelet volume and kubelet swaps ..data', () => {
    it('should apply the new content', async () => {
      const cm = join(dir, 'cm');
      writeKubeletVolume(cm, { ceCustomConfig: 'ceIPSecMode: "tunnel",\n' });
      watch = await start(cm);
      assert.equal(watch.current().mode, 'tunnel');
      writeKubeletVolume(cm, { ceCustomConfig: 'ceIPSecMode: "transport",\nceIPSecOverlay: "vxlan",\n' });
      await waitFor(() => changes.length === 1, 4000, 'the change');
      assert.equal(changes[0]?.overlay, 'vxlan');
      assert.equal(watch.current(), changes[0]);
      assert.equal(watch.lastError(), undefined);
    });

    it('should also work when given the key file inside the volume', async () => {
      const cm = join(dir, 'cm');
      writeKubeletVolume(cm, { ceCustomConfig: 'ceIPSecNATTPort: 4500\n' });
      watch = await start(join(cm, 'ceCustomConfig'));
      writeKubeletVolume(cm, { ceCustomConfig: 'ceIPSecNATTPort: 4501\n' });
      await waitFor(() => watch?.current().nattPort === 4501, 4000, 'the new port');
    });
  });

  context('when an update is bad', () => {
    it('should keep the last good configuration and report the ConfigError once', async () => {
      const cm = join(dir, 'cm');
      writeKubeletVolume(cm, { ceCustomConfig: 'ceIPSecNATTPort: 4501\n' });
      watch = await start(cm, { CE_IPSEC_PSK: GOOD_PSK });
      writeKubeletVolume(cm, { ceCustomConfig: 'ceIPSecNATTPort: 99999\nceIPSecMode: transport\n' });
      await waitFor(() => errors.length === 1, 4000, 'the error');
      assert.ok(errors[0] instanceof ConfigError);
      assert.match(errors[0].message, /ceIPSecNATTPort="99999": out of range/);
      assert.equal(watch.current().nattPort, 4501);
      assert.equal(watch.current().mode, 'tunnel');
      assert.equal(watch.lastError(), errors[0]);
      assert.equal(changes.length, 0);

      writeKubeletVolume(cm, { ceCustomConfig: 'ceIPSecNATTPort: 99999\nceIPSecMode: transport\n# same error\n' });
      await settle(300);
      assert.equal(errors.length, 1, 'the same error is reported once');

      writeKubeletVolume(cm, { ceCustomConfig: 'ceIPSecNATTPort: 4502\n' });
      await waitFor(() => changes.length === 1, 4000, 'the recovery');
      assert.equal(watch.current().nattPort, 4502);
      assert.equal(watch.lastError(), undefined);
    });
  });

  context('when a bad update is undone (the configuration in force comes back)', () => {
    it('should call onRecovered (so status stops showing the error) and not onChange', async () => {
      const cm = join(dir, 'cm');
      let recovered = 0;
      writeKubeletVolume(cm, { ceCustomConfig: 'ceIPSecNATTPort: 4501\n' });
      watch = await watchConfig({
        path: cm,
        env: {},
        debounceMs: 50,
        pollMs: 0,
        onChange: (c) => changes.push(c),
        onError: (e) => errors.push(e),
        onRecovered: () => recovered++,
      });
      writeKubeletVolume(cm, { ceCustomConfig: 'ceIPSecNATTPort: 99999\n' });
      await waitFor(() => errors.length === 1, 4000, 'the error');
      writeKubeletVolume(cm, { ceCustomConfig: 'ceIPSecNATTPort: 4501\n' });
      await waitFor(() => recovered === 1, 4000, 'the recovery');
      assert.equal(changes.length, 0);
      assert.equal(watch.lastError(), undefined);
    });
  });

  context('when the first load is bad', () => {
    it('should reject', async () => {
      writeFileSync(join(dir, 'cfg.yaml'), 'ceIPSecMode: sideways\n');
      await assert.rejects(start(join(dir, 'cfg.yaml')), ConfigError);
    });
  });

  context('when a plain file is rewritten', () => {
    it('should apply rename-over and in-place writes, and ignore edits that change nothing', async () => {
      const file = join(dir, 'cfg.yaml');
      writeFileSync(file, 'ceIPSecDebug: false\n');
      watch = await start(file);
      writeAtomically(file, 'ceIPSecDebug: true\n');
      await waitFor(() => changes.length === 1, 4000, 'the rename-over');
      writeFileSync(file, 'ceIPSecDebug: yes # same value\n');
      await settle(300);
      assert.equal(changes.length, 1, 'no change when the value is the same');
      writeFileSync(file, 'ceIPSecDebug: false\n');
      await waitFor(() => changes.length === 2, 4000, 'the in-place write');
      assert.equal(watch.current().debug, false);
    });
  });

  context('when polling is on', () => {
    it('should pick up a change the watch cannot see (a rotated PSK file)', async () => {
      const file = join(dir, 'cfg.yaml');
      const secretDir = tempDir();
      try {
        writeFileSync(join(secretDir, 'psk'), 'a'.repeat(40));
        writeFileSync(file, `ceIPSecPSKFile: ${join(secretDir, 'psk')}\n`);
        watch = await watchConfig({
          path: file,
          env: {},
          debounceMs: 20,
          pollMs: 100,
          onChange: (c) => changes.push(c),
        });
        writeFileSync(join(secretDir, 'psk'), 'b'.repeat(40));
        await waitFor(() => changes.length === 1, 4000, 'the rotated PSK');
        assert.equal(watch.current().psk, Buffer.from('b'.repeat(40)).toString('base64'));
        // Again, long after the first poll: the config file itself never changes, the poll must still read.
        writeFileSync(join(secretDir, 'psk'), 'c'.repeat(40));
        await waitFor(() => changes.length === 2, 4000, 'the PSK rotated a second time');
        assert.equal(watch.current().psk, Buffer.from('c'.repeat(40)).toString('base64'));
      } finally {
        removeDir(secretDir);
      }
    });
  });
});
