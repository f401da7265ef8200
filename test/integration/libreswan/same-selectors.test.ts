/**
 * Why the libreswan driver replaces a changed connection with delete + add
 * (behind a guard policy) and not make-before-break (issue 12, item 1).
 * A proposal or PFS change keeps the connection's traffic selectors, and the
 * kernel holds one XFRM policy per selector and direction. This test asks the
 * running pluto what it does with a second connection on the same selectors
 * (no SAs needed: routing is policy work, so this kernel without ESP will do):
 *   - without overlapip its route is refused ("cannot install eroute -- it is
 *     in use for" the first);
 *   - with overlapip it is routed onto the same kernel policy, and deleting
 *     the first connection then deletes that policy although the second is
 *     still routed: the selectors are left with no policy at all (in tunnel
 *     mode, traffic in the clear) until the second is routed again.
 * So a new connection cannot be made before the old one is broken without a
 * moment where pluto holds no policy for the traffic; cabled covers that
 * moment with its own block policy instead (install.ts, tunnelGuard).
 * Asserted on libreswan 4.x (Debian's 4.10, what cabled ships with); other
 * versions (the CI matrix) print what they do.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OwnPluto } from '../../../drivers/libreswan/pluto/index.js';
import { run } from '../../../lab/netns.js';
import { canRunPluto, createLab, destroyLab, killIfAlive, type Lab } from './lab.js';

const SUB_L = '10.233.1.0/24';
const SUB_R = '10.233.2.0/24';

describe('libreswan: two connections on the same selectors (integration, root, real pluto)', function () {
  this.timeout(60_000);
  let lab: Lab;
  let pluto: OwnPluto;
  let major = 0;

  before(async function () {
    if (!(await canRunPluto())) this.skip();
    lab = await createLab('ss', 4);
    pluto = new OwnPluto({ dir: join(lab.dir, 'a'), netns: lab.nsA, restartDelayMs: 100 });
    await pluto.ready();
    major = (await pluto.whack.version()).major;
  });

  after(async function () {
    if (!lab) return;
    const pid = pluto?.pid();
    await pluto?.stop().catch(() => undefined);
    killIfAlive(pid);
    await destroyLab(lab);
  });

  /** Outbound policies of SUB_L -> SUB_R in the namespace (pluto's: untagged, one per selector). */
  const policies = async (): Promise<number> =>
    (await run('ip', ['-n', lab.nsA, 'xfrm', 'policy', 'show', 'dir', 'out', 'src', SUB_L, 'dst', SUB_R])).stdout
      .split('\n')
      .filter((l) => l.startsWith('src ')).length;

  const add = async (name: string, esp: string, extra: string[] = []): Promise<void> => {
    const mode = major >= 5 ? [] : ['--tunnel'];
    await pluto.whack.call([
      '--name',
      name,
      '--ikev2',
      '--encrypt',
      '--psk',
      ...mode,
      '--esp',
      esp,
      ...extra,
      '--host',
      lab.ipA,
      '--client',
      SUB_L,
      '--to',
      '--host',
      lab.ipB,
      '--client',
      SUB_R,
    ]);
  };
  const route = async (name: string): Promise<string> =>
    pluto.whack.call(['--route', '--name', name]).then(
      () => 'routed',
      (err: unknown) => String(err instanceof Error ? err.message : err),
    );

  it('should refuse the second route without overlapip, and lose the shared policy with the first connection with it', async () => {
    await add('old', 'aes_gcm256');
    assert.equal(await route('old'), 'routed');
    assert.equal(await policies(), 1, "the first connection's trap policy");

    await add('new', 'aes256-sha2_256');
    const plain = await route('new');
    const log = await readFile(pluto.logFile, 'utf8').catch(() => '');
    const refused = /cannot install eroute -- it is in use for "old"/.test(`${log}\n${plain}`);
    await pluto.whack.deleteConnection('new');

    await add('new', 'aes256-sha2_256', ['--overlapip']);
    const overlap = await route('new');
    const sharedAfterRoute = await policies();
    await pluto.whack.deleteConnection('old');
    const afterDelete = await policies();
    const again = await route('new');
    const afterReroute = await policies();
    const why = (await readFile(pluto.logFile, 'utf8').catch(() => ''))
      .split('\n')
      .filter((l) => /"new".*(cannot|conflict|in use|could not)/.test(l))
      .map((l) => l.replace(/^.*?"new"/, '"new"'))
      .slice(0, 3);
    process.stdout.write(
      `      libreswan ${major}.x, same selectors: second route without overlapip: ${plain === 'routed' ? 'routed' : 'refused'}` +
        `${refused ? ' ("cannot install eroute -- it is in use for")' : ''}; with overlapip: ${overlap}, ` +
        `${sharedAfterRoute} kernel policy; after deleting the first: ${afterDelete} (second still routed); ` +
        `after routing the second again: ${afterReroute}; pluto: ${why.join(' | ')}\n`,
    );
    if (major !== 4) return;
    assert.notEqual(plain, 'routed', 'pluto 4.x refuses a second route on the same selectors');
    assert.ok(refused, 'pluto logs why');
    assert.equal(overlap, 'routed');
    assert.equal(sharedAfterRoute, 1, 'one kernel policy, shared');
    assert.equal(afterDelete, 0, 'deleting the first connection deleted the policy the second relies on');
    assert.equal(again, 'routed');
    assert.equal(afterReroute, 1);
  });
});
