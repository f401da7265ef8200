/** The libreswan driver's status read through the per-refresh states index gives what the full scan gave (recorded samples). */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cableStatus, type CableSaSpec, indexStates, type PlutoView } from '../../../drivers/libreswan/status.js';
import { parseShowStates } from '../../../src/lib/whack/index.js';
import { fixture } from '../whack/fixtures.js';

const dir = fileURLToPath(new URL('../../../../test/fixtures/whack/', import.meta.url));
const samples = [
  ...readdirSync(dir).filter((f) => f.includes('showstates')),
  ...['5.2', '5.4'].flatMap((v) =>
    readdirSync(`${dir}/${v}`)
      .filter((f) => f.includes('showstates') || f.endsWith('.status.txt'))
      .map((f) => `${v}/${f}`),
  ),
];

describe('libreswan status through the states index (unit)', () => {
  it('gives every cable the same status as scanning all states, on every recorded sample', () => {
    assert.ok(samples.length >= 3, `samples: ${samples.join(', ')}`);
    for (const name of samples) {
      const states = parseShowStates(fixture(name));
      const names = [...new Set([...states.states, ...states.pending].map((s) => s.connection))];
      const cables: CableSaSpec[][] = [
        ...names.map((n) => [{ name: n, kind: 'esp-transport' as const, carries: '' }]),
        names.map((n) => ({ name: n, kind: 'esp-transport' as const, carries: '' })),
      ];
      const view: PlutoView = {
        states,
        traffic: [],
        logLines: [],
        logEvents: new Map(),
        trafficByConnection: new Map(),
      };
      for (const cable of cables) {
        const counters = () => ({ rx: 0, tx: 0 });
        assert.deepEqual(
          cableStatus(cable, { ...view, statesIndex: indexStates(states) }, counters),
          cableStatus(cable, view, counters),
          `${name}: ${cable.map((c) => c.name).join(', ')}`,
        );
      }
    }
  });
});
