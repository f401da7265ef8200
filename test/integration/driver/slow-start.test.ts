/**
 * The driver supervisor on a machine too busy to start a driver in time: the
 * real VXLAN driver process, delayed before it loads, must not be killed
 * half-way in a loop. Each start that runs out of time doubles the next
 * one's time (up to 8x), so the driver comes up after a few attempts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DriverSupervisor } from '../../../src/engine/driver-host/supervisor.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { DIST } from '../../../lab/engine-process.js';

describe('driver supervisor: a driver slower to start than the handshake time (real VXLAN driver process)', function () {
  this.timeout(120000);
  let work: string | undefined;
  let supervisor: DriverSupervisor | undefined;

  afterEach(async () => {
    await supervisor?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('should give each next start twice the time, and get the driver running instead of killing it forever', async () => {
    work = await mkdtemp(join(tmpdir(), `cabled-slow-${process.pid}-`));
    const main = pathToFileURL(join(DIST, 'drivers/vxlan/main.js')).href;
    // Sleeps 2.5 s before it even loads: never within the first 1 s, well within the last 8 s (a busy machine too).
    const delayed = `setTimeout(() => import(${JSON.stringify(main)}), 2500)`;
    const messages: string[] = [];
    const logger = silentLogger();
    supervisor = new DriverSupervisor({
      name: 'vxlan',
      launch: { kind: 'spawn', command: process.execPath, args: ['-e', delayed] },
      runDir: work,
      logger,
      startTimeoutMs: 1000,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    const sup = supervisor;
    sup.on('down', (reason) => messages.push(reason));
    const ready = new Promise<void>((resolve) => sup.once('ready', () => resolve()));
    sup.start();
    await ready;
    assert.equal(sup.state, 'running');
    assert.ok(sup.restarts >= 1, `the first start ran out of time: ${messages.join('; ')}`);
    assert.match(messages[0] ?? '', /printed no handshake within 1000 ms/);
    if (messages[1]) assert.match(messages[1], /within 2000 ms/, 'the second start had twice the time');
  });
});
