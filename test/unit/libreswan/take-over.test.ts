/**
 * Responder take-over decisions (drivers/libreswan/take-over.ts) with the
 * kernel's SA list and pluto's state given as data. The behaviour on a real
 * kernel and real plutos is covered by the stock-kernel e2e peer restart.
 */
import assert from 'node:assert/strict';
import { ResponderTakeOver, peersWithSas, type TakeOverDeps } from '../../../drivers/libreswan/take-over.js';
import { silentLogger } from '../../../src/lib/logger.js';
import type { XfrmState } from '../../../src/lib/netlink/index.js';

const sa = (src: string, dst: string, spi: number): XfrmState => ({
  family: 'ipv4',
  src,
  dst,
  spi,
  proto: 'esp',
  mode: 'transport',
});
const PAIR = [
  { connection: 'cable-0', peer: '172.31.255.1' },
  { connection: 'cable-1', peer: '172.31.255.1' },
];

function harness(states: XfrmState[] | Error, established: string[] = [], graceMs = 0) {
  const initiated: string[][] = [];
  const deps: TakeOverDeps = {
    listStates: async () => {
      if (states instanceof Error) throw states;
      return states;
    },
    established: async () => new Set(established),
    initiate: async (names) => void initiated.push(names),
    logger: silentLogger(),
    graceMs,
  };
  return { takeOver: new ResponderTakeOver(deps), initiated };
}

describe('libreswan responder take-over', () => {
  it('should count SAs in both directions, and not the larval ACQUIRE states (SPI 0)', () => {
    const peers = peersWithSas([sa('172.31.255.2', '172.31.255.1', 0x1234), sa('10.0.0.1', '10.0.0.9', 0)]);
    assert.deepEqual([...peers].sort(), ['172.31.255.1', '172.31.255.2']);
  });

  it('should initiate as responder when the kernel still holds SAs with the peer and the peer has not initiated within the grace period', async () => {
    const { takeOver, initiated } = harness([
      sa('172.31.255.1', '172.31.255.2', 0xc0ffee),
      sa('172.31.255.2', '172.31.255.1', 0xbeef),
    ]);
    const plan = await takeOver.consider(PAIR);
    assert.deepEqual(plan.connections, ['cable-0', 'cable-1']);
    await plan.done;
    assert.deepEqual(initiated, [['cable-0', 'cable-1']]);
  });

  it('should leave a first install alone: no SAs with the peer, nothing to take over', async () => {
    const { takeOver, initiated } = harness([sa('10.9.9.1', '10.9.9.2', 0x77)]);
    const plan = await takeOver.consider(PAIR);
    assert.deepEqual(plan.connections, []);
    await plan.done;
    assert.deepEqual(initiated, []);
  });

  it('should not initiate what the peer established during the grace period', async () => {
    const { takeOver, initiated } = harness([sa('172.31.255.1', '172.31.255.2', 0x99)], ['cable-0']);
    await (await takeOver.consider(PAIR)).done;
    assert.deepEqual(initiated, [['cable-1']]);
  });

  it('should skip the take-over (and not throw) when the kernel SAs cannot be read', async () => {
    const { takeOver, initiated } = harness(new Error('EPERM'));
    const plan = await takeOver.consider(PAIR);
    await plan.done;
    assert.deepEqual(plan.connections, []);
    assert.deepEqual(initiated, []);
  });

  it('should cancel a pending take-over when stopped', async () => {
    const { takeOver, initiated } = harness([sa('172.31.255.1', '172.31.255.2', 0x99)], [], 60_000);
    const plan = await takeOver.consider(PAIR);
    takeOver.stop();
    await plan.done;
    assert.deepEqual(initiated, []);
  });
});
