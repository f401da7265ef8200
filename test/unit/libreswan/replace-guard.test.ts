/**
 * The replacement of a tunnel-mode connection whose spec changed (new
 * proposals, PFS, ports): which connections get a guard policy, and the order
 * of the phases (guard, delete + add, route, guard removed), with pluto and
 * the kernel as recording fakes. The real kernel and pluto are covered by
 * test/integration/reliability/tunnel-replace-guard.test.ts and the
 * stock-kernel guest (test/e2e/tunnel-and-host-pluto.test.ts).
 */
import assert from 'node:assert/strict';
import { planConnections, type PlannedConnection } from '../../../drivers/libreswan/connection-plan.js';
import { CableInstall, type InstallContext, tunnelGuard } from '../../../drivers/libreswan/install.js';
import type { LibreswanSettings } from '../../../drivers/libreswan/settings.js';
import type { Endpoint, NatEndpointInfo } from '../../../src/generated/cabled/driver/v1/driver.js';
import { silentLogger } from '../../../src/lib/logger.js';
import type { XfrmAdapter } from '../../../src/lib/netlink/index.js';
import type { LoadedConnection } from '../../../src/lib/whack/index.js';

const settings = (over: Partial<LibreswanSettings> = {}): LibreswanSettings => ({
  mode: 'tunnel',
  overlay: '',
  esp: '',
  ike: '',
  pfs: undefined,
  psk: 'x'.repeat(32),
  nattPort: 4500,
  ikePort: 4500,
  forceEncaps: false,
  debug: false,
  preferredServer: false,
  nicOffload: undefined,
  vxlanPort: 4789,
  plutoMode: 'own',
  plutoSocket: '',
  ...over,
});

const endpoint = (cluster: string, ip: string, subnets: string[]): Endpoint =>
  ({
    cableName: `submariner-cable-${cluster}-${ip.replaceAll('.', '-')}`,
    clusterId: cluster,
    hostname: `gw-${cluster}`,
    privateIp: ip,
    publicIp: '',
    subnets,
    backend: 'libreswan',
    backendConfig: {},
  }) as unknown as Endpoint;

const LOCAL = endpoint('cluster1', '172.31.255.1', ['10.1.0.0/16']);
const REMOTE: NatEndpointInfo = {
  endpoint: endpoint('cluster2', '172.31.255.2', ['10.2.0.0/16', '10.3.0.0/16']),
  useIp: '172.31.255.2',
  useNat: false,
} as NatEndpointInfo;

/** Runs one burst over REMOTE, installed before with `before` and pluto holding `loaded`; returns the call log. */
async function burst(
  before: PlannedConnection[] | undefined,
  now: PlannedConnection[],
  loaded: string[],
  failGuard = false,
  oneCall = false,
  failRoute = false,
) {
  const calls: string[] = [];
  const xfrm = {
    ensureBlockPolicy: async (s: { src: string; dst: string; priority: number }) => {
      if (failGuard) throw new Error('EPERM');
      calls.push(`guard+ ${s.src} -> ${s.dst} @${s.priority}`);
      return true;
    },
    deletePolicy: async (k: { src: string; dst: string }) => void calls.push(`guard- ${k.src} -> ${k.dst}`),
  } as unknown as XfrmAdapter;
  /** Records `what name` for each name and settles every one as done. */
  const record = (what: string) => async (names: string[]) =>
    names.map((n) => {
      calls.push(`${what} ${n}`);
      return { ok: true };
    });
  const whack = {
    addConnections: async (specs: { name: string }[], ifExists: string) =>
      record(`add(${ifExists})`)(specs.map((s) => s.name)),
    deleteAll: record('delete'),
    replaceConnection: async (spec: { name: string }, route: boolean) => {
      if (oneCall) calls.push(`delete+add${route ? '+route' : ''} ${spec.name}`);
      return oneCall;
    },
    routeAll: async (names: string[]) =>
      failRoute ? names.map(() => ({ ok: false, error: new Error('whack timed out') })) : record('route')(names),
    initiateAll: record('initiate'),
  };
  const ctx: InstallContext = {
    settings: settings(),
    pluto: { whack } as unknown as InstallContext['pluto'],
    xfrm,
    overlay: undefined,
    takeOver: undefined,
    stateDir: '/nonexistent',
    log: silentLogger(),
    installed: () =>
      before && {
        endpoint: REMOTE.endpoint!,
        usingIp: REMOTE.useIp,
        usingNat: false,
        mode: 'tunnel',
        connections: before,
        establishedUnixMs: 0,
      },
    blockKey: () => ({ src: '0.0.0.0/0', dst: '0.0.0.0/0', dir: 'out' }),
    dropConnection: async (name) => void calls.push(`delete ${name}`),
    nextAlias: () => 'alias',
  };
  const held = new Map(loaded.map((n) => [n, { name: n, routing: 'routed' } as unknown as LoadedConnection]));
  const errors = await new CableInstall(ctx, [{ remote: REMOTE, conns: now }], held).run();
  return { calls, errors };
}

describe('libreswan: replacing tunnel-mode connections behind guard policies', () => {
  const old = planConnections(LOCAL, REMOTE, settings());
  const changed = planConnections(LOCAL, REMOTE, settings({ esp: 'aes256-sha2_256' }));

  it('should guard the local subnet -> remote subnet selectors of a tunnel connection, below every static pluto policy', () => {
    assert.deepEqual(tunnelGuard(old[0]!), {
      src: '10.1.0.0/16',
      dst: '10.2.0.0/16',
      dir: 'out',
      priority: 2_000_000,
    });
    const transport = planConnections(LOCAL, REMOTE, settings({ mode: 'transport', overlay: 'vxlan' }));
    assert.equal(tunnelGuard(transport[0]!), undefined, 'transport mode has its VXLAN block policy instead');
  });

  it('should write each replaced connection guard before the delete + add, and remove it only after the replacement is routed', async () => {
    const { calls, errors } = await burst(
      old,
      changed,
      old.map((p) => p.spec.name),
    );
    assert.equal(errors.size, 0);
    const names = changed.map((p) => p.spec.name);
    assert.deepEqual(calls, [
      'guard+ 10.1.0.0/16 -> 10.2.0.0/16 @2000000',
      'guard+ 10.1.0.0/16 -> 10.3.0.0/16 @2000000',
      ...names.map((n) => `delete ${n}`),
      ...names.map((n) => `add(replace) ${n}`),
      ...names.map((n) => `route ${n}`),
      'guard- 10.1.0.0/16 -> 10.2.0.0/16',
      'guard- 10.1.0.0/16 -> 10.3.0.0/16',
      ...names.map((n) => `initiate ${n}`),
    ]);
  });

  it('should write no guard for a first install, nor for connections installed as recorded', async () => {
    const first = await burst(undefined, changed, []);
    assert.ok(!first.calls.some((c) => c.startsWith('guard')), first.calls.join('\n'));
    const same = await burst(
      changed,
      changed,
      changed.map((p) => p.spec.name),
    );
    assert.deepEqual(same.calls, [], 'nothing to do');
  });

  it('should replace the connection anyway when its guard cannot be written (a failed cable would be rolled back, unguarded)', async () => {
    const { calls, errors } = await burst(
      old,
      changed,
      old.map((p) => p.spec.name),
      true,
    );
    assert.equal(errors.size, 0);
    assert.ok(calls.includes(`route ${changed[0]!.spec.name}`), calls.join('\n'));
    assert.ok(!calls.some((c) => c.startsWith('guard-')), 'no guard to remove');
  });

  it('should delete, add and route a replaced connection in one whack call where libreswan takes it (4.x), behind its guard', async () => {
    const { calls, errors } = await burst(
      old,
      changed,
      old.map((p) => p.spec.name),
      false,
      true,
    );
    assert.equal(errors.size, 0);
    const names = changed.map((p) => p.spec.name);
    assert.deepEqual(calls, [
      'guard+ 10.1.0.0/16 -> 10.2.0.0/16 @2000000',
      'guard+ 10.1.0.0/16 -> 10.3.0.0/16 @2000000',
      ...names.map((n) => `delete+add+route ${n}`),
      'guard- 10.1.0.0/16 -> 10.2.0.0/16',
      'guard- 10.1.0.0/16 -> 10.3.0.0/16',
      ...names.map((n) => `initiate ${n}`),
    ]);
  });

  it('should keep the guard of a cable whose replacement failed (its rollback deletes the connections), and report the cable', async () => {
    const { calls, errors } = await burst(
      old,
      changed,
      old.map((p) => p.spec.name),
      false,
      false,
      true,
    );
    assert.match(errors.get(REMOTE) ?? '', /timed out/);
    assert.ok(calls.includes('guard+ 10.1.0.0/16 -> 10.2.0.0/16 @2000000'));
    assert.ok(!calls.some((c) => c.startsWith('guard-')), calls.join('\n'));
  });
});
