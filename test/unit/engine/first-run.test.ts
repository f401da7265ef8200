/**
 * What a new user meets first: `cabled --help` lists every driver, every
 * config key with its default and the fixed settings; `cabled cleanup` needs
 * no --cluster-id or --endpoints; missing privileges and an unwritable run
 * directory are said once, with what to do.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA } from '../../../src/config/schema.js';
import { knownDrivers } from '../../../src/engine/driver-registry.js';
import { parseEngineArgs, USAGE } from '../../../src/engine/options.js';
import { checkPrivileges, hasNetAdmin, prepareRunDir } from '../../../src/engine/preflight.js';
import { ConfigError } from '../../../src/lib/errors.js';
import { OVERLAY_DEFAULTS } from '../../../src/overlay/options.js';
import { removeDir, tempDir } from '../../../lab/fs-helpers.js';

const status = (capEff: string) => `Name:\tnode\nUid:\t1000\t1000\t1000\t1000\nCapEff:\t${capEff}\n`;

describe('first run', () => {
  describe('cabled --help', () => {
    it('lists every driver with what it does', () => {
      for (const name of knownDrivers()) assert.match(USAGE, new RegExp(`^  ${name} +\\S`, 'm'), name);
      assert.match(USAGE, /--driver NAME +cable driver: vxlan \| libreswan /);
    });

    it('lists every config key with its default', () => {
      for (const d of SCHEMA) {
        const line = USAGE.split('\n').find((l) => l.trimStart().startsWith(`${d.key} `));
        assert.ok(line, `${d.key} is listed`);
        assert.match(line, /\(default [^)]+\)/, line);
      }
      assert.match(USAGE, /ceIPSecNATTPort +1-65535 \(default 4500\) \[CE_IPSEC_NATTPORT\]/);
      assert.match(USAGE, /ceIPSecMode +tunnel \| transport \(default tunnel\)/);
    });

    it('says which settings are fixed, with the values the overlay uses', () => {
      const fixed = USAGE.slice(USAGE.indexOf('Fixed (not configurable)'));
      assert.ok(fixed.length > 0);
      assert.match(fixed, new RegExp(`VNI ${OVERLAY_DEFAULTS.vni}\\b`));
      assert.match(fixed, new RegExp(`device ${OVERLAY_DEFAULTS.deviceName}\\b`));
      assert.match(fixed, new RegExp(`table ${OVERLAY_DEFAULTS.table}\\b`));
      assert.match(fixed, new RegExp(`rule priority ${OVERLAY_DEFAULTS.rulePriority}\\b`));
      assert.match(
        fixed,
        new RegExp(`VTEP ${OVERLAY_DEFAULTS.vtepPrefix}\\.x\\.y\\.z/${OVERLAY_DEFAULTS.vtepPrefixLength}`),
      );
    });
  });

  describe('cabled cleanup', () => {
    it('needs no --cluster-id and no --endpoints', () => {
      const { command, settings } = parseEngineArgs(['cleanup', '--run-dir', '/tmp/x'], {});
      assert.equal(command, 'cleanup');
      assert.equal(settings.clusterId, '');
    });

    it('still rejects a malformed cluster id, and run still needs both', () => {
      assert.throws(() => parseEngineArgs(['cleanup', '--cluster-id', 'Bad_Id'], {}), /--cluster-id.*DNS label/);
      assert.throws(
        () => parseEngineArgs(['run'], {}),
        (err: unknown) =>
          err instanceof ConfigError && /--cluster-id/.test(err.message) && /--endpoints/.test(err.message),
      );
    });
  });

  describe('privileges', () => {
    it('reads CAP_NET_ADMIN from CapEff', () => {
      assert.equal(hasNetAdmin(status('000001ffffffffff')), true);
      assert.equal(hasNetAdmin(status('0000000000001000')), true);
      assert.equal(hasNetAdmin(status('0000000000000000')), false);
      assert.equal(hasNetAdmin(status('00000000a80425fb')), false); // docker's default set: no NET_ADMIN
      assert.equal(hasNetAdmin('Name:\tnode\n'), undefined);
    });

    it('says "run as root or with CAP_NET_ADMIN" when it is missing, and nothing when it is there', async () => {
      await assert.rejects(
        checkPrivileges(async () => status('0000000000000000'), 1000),
        /run as root or with CAP_NET_ADMIN \(this process runs as uid 1000 without CAP_NET_ADMIN\)/,
      );
      await checkPrivileges(async () => status('0000000000001000'), 1000);
      await checkPrivileges(async () => '', 1000); // no /proc: the kernel will tell
    });

    it('says what to do when the run directory cannot be created', async () => {
      const dir = tempDir();
      try {
        writeFileSync(join(dir, 'file'), '');
        await assert.rejects(
          prepareRunDir(join(dir, 'file', 'run')),
          /cannot create the run directory .*file\/run \(ENOTDIR\): run as root or with CAP_NET_ADMIN, or pass --run-dir/,
        );
        await prepareRunDir(join(dir, 'ok', 'run'));
      } finally {
        removeDir(dir);
      }
    });
  });
});
