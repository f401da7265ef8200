/**
 * Host mode against a pluto the test starts itself (standing in for the
 * host's ipsec.service): the handle never stops it, writes only its own
 * files, reloads secrets, and notices when that pluto is restarted.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ChildProcess, spawn } from '../../../src/lib/exec/index.js';
import { type ConnectionSpec, WhackAdapter } from '../../../src/lib/whack/index.js';
import { ensureNssDb, HostPluto, readLogTail, type RestartEvent } from '../../../drivers/libreswan/pluto/index.js';
import { waitFor } from '../../../lab/netns.js';
import { canRunPluto, createLab, destroyLab, killIfAlive, type Lab } from './lab.js';

describe('host-mode pluto handle (a pluto started by the test)', function () {
  this.timeout(60_000);
  let lab: Lab;
  let dir: string;
  let pluto: ChildProcess | undefined;
  let handle: HostPluto;
  const socket = () => join(dir, 'run', 'pluto.ctl');
  const ipsecDir = () => join(dir, 'ipsec.d');

  /**
   * Starts "the host's" pluto: its config includes <ipsec.d>/*.conf and *.secrets, as Debian's does.
   * (Wrapped: a ChildProcess is a thenable; returned bare from an async function it would be awaited to exit.)
   */
  async function startHostPluto(): Promise<{ child: ChildProcess }> {
    const child = spawn('ip', [
      'netns',
      'exec',
      lab.nsA,
      '/usr/libexec/ipsec/pluto',
      '--config',
      join(dir, 'ipsec.conf'),
      '--rundir',
      join(dir, 'run'),
      '--nssdir',
      join(dir, 'nss'),
      '--secretsfile',
      join(dir, 'ipsec.secrets'),
      '--logfile',
      join(dir, 'pluto.log'),
      '--dumpdir',
      join(dir, 'run'),
      '--nofork',
      '--use-xfrm',
    ]);
    child.stdout.resume();
    child.stderr.resume();
    const probe = new WhackAdapter({ socket: socket() });
    await waitFor('the host pluto socket', () => probe.ping(), 15_000, 50);
    return { child };
  }

  before(async function () {
    if (!(await canRunPluto())) this.skip();
    lab = await createLab('h', 2);
    dir = join(lab.dir, 'host');
    await mkdir(join(dir, 'run'), { recursive: true });
    await mkdir(ipsecDir(), { recursive: true });
    await ensureNssDb(join(dir, 'nss'));
    await writeFile(join(dir, 'ipsec.conf'), `config setup\n\tuniqueids=yes\ninclude ${ipsecDir()}/*.conf\n`);
    await writeFile(join(dir, 'ipsec.secrets'), `include ${ipsecDir()}/*.secrets\n`, { mode: 0o600 });
    pluto = (await startHostPluto()).child;
    handle = new HostPluto({ socket: socket(), ipsecDir: ipsecDir(), pollMs: 100 });
    await handle.ready();
  });

  after(async function () {
    if (!lab) return;
    await handle?.stop();
    killIfAlive(pluto?.pid);
    await pluto?.catch(() => undefined);
    await destroyLab(lab);
  });

  it('should find the running pluto without starting one', () => {
    assert.equal(handle.pid(), pluto?.pid);
    assert.equal(handle.logFile, undefined);
  });

  it('should keep its PSKs in <ipsec.d>/cabled.secrets (0600) and make pluto reload them', async () => {
    await handle.writeSecrets([{ selectors: [lab.ipA, lab.ipB], psk: 'host-mode-psk-0123456789abcdef0123' }]);
    const file = join(ipsecDir(), 'cabled.secrets');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    await waitFor(
      'pluto to load cabled.secrets',
      async () => (await readLogTail(join(dir, 'pluto.log'))).some((l) => l.includes(`loading secrets from "${file}"`)),
      5000,
      50,
    );
    assert.equal(
      await readFile(join(dir, 'ipsec.secrets'), 'utf8'),
      `include ${ipsecDir()}/*.secrets\n`,
      'the host file is untouched',
    );
  });

  it('should notice a restart of the host pluto, fire the hook, and find its conn file loaded again', async () => {
    const spec: ConnectionSpec = {
      name: 'keep',
      mode: 'transport',
      left: { host: lab.ipA, protoPort: 'udp/4789' },
      right: { host: lab.ipB, protoPort: 'udp' },
    };
    const file = await handle.writeConnFile(spec, 'add');
    assert.equal(file, join(ipsecDir(), 'cabled-keep.conf'));
    await handle.whack.addConnection(spec, 'ignore');
    const events: RestartEvent[] = [];
    handle.onRestart((e) => {
      events.push(e);
    });
    const oldPid = pluto?.pid;
    pluto?.kill('SIGTERM');
    await pluto;
    const restarted = (await startHostPluto()).child;
    pluto = restarted;
    await waitFor('the restart hook', async () => events.length > 0, 15_000, 50);
    assert.equal(events[0]?.mode, 'host');
    assert.equal(events[0]?.previousPid, oldPid);
    assert.equal(events[0]?.pid, restarted.pid);
    await waitFor(
      'the conn file to be loaded by the new pluto',
      async () => (await handle.whack.connections()).has('keep'),
      10_000,
      100,
    );
    await handle.removeConnFile('keep');
    await assert.rejects(stat(file));
  });

  it('should leave the host pluto running when stopped', async () => {
    await handle.stop();
    assert.ok(await new WhackAdapter({ socket: socket() }).ping(), 'pluto still answers');
    assert.equal(pluto?.exitCode, null);
  });
});
