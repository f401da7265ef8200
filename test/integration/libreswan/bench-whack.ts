/**
 * Benchmark (not a test): loading N connections (2 per endpoint) into one
 * own-mode pluto in a namespace, comparing a shell loop of single whack
 * calls, the adapter with bounded concurrency, and one addconn call.
 *   node dist/test/integration/libreswan/bench-whack.js [N=100] [label regex]
 * Needs root and libreswan. Prints one line per scenario (ms for add, route).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../../src/lib/exec/index.js';
import {
  addConnectionArgs,
  type ConnectionSpec,
  flagsFor,
  loadWithAddconn,
  routeArgs,
} from '../../../src/lib/whack/index.js';
import { OwnPluto } from '../../../drivers/libreswan/pluto/index.js';
import { ip } from '../../../lab/netns.js';
import { createLab, destroyLab, type Lab } from './lab.js';

function specsFor(lab: Lab, n: number, updown?: string): ConnectionSpec[] {
  const out: ConnectionSpec[] = [];
  for (let i = 0; out.length < n; i++) {
    const peer = `10.241.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    const base = { mode: 'transport' as const, encaps: true, ...(updown ? { updown } : {}) };
    out.push({
      ...base,
      name: `ep${i}-0`,
      left: { host: lab.ipA, protoPort: 'udp/4789' },
      right: { host: peer, protoPort: 'udp' },
    });
    out.push({
      ...base,
      name: `ep${i}-1`,
      left: { host: lab.ipA, protoPort: 'udp' },
      right: { host: peer, protoPort: 'udp/4789' },
    });
  }
  return out.slice(0, n);
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [Math.round(performance.now() - t), v];
}

function check(results: readonly { ok: boolean; error?: unknown }[]): void {
  const bad = results.find((r) => !r.ok);
  if (bad && 'error' in bad) throw bad.error;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100);
  const only = new RegExp(process.argv[3] ?? '.');
  const lab = await createLab('bench', 9);
  await ip(lab.nsA, 'route', 'add', 'default', 'via', lab.ipB);
  const rows: string[] = [];
  let k = 0;
  const scenario = async (
    label: string,
    updown: string | undefined,
    body: (p: OwnPluto, specs: ConnectionSpec[]) => Promise<[number, number]>,
  ) => {
    if (!only.test(label)) return;
    const p = new OwnPluto({ dir: join(lab.dir, `p${k++}`), netns: lab.nsA });
    await p.ready();
    try {
      const specs = specsFor(lab, n, updown);
      const [add, route] = await body(p, specs);
      const loaded = (await p.whack.connections()).size;
      rows.push(
        `${label.padEnd(44)} add ${String(add).padStart(6)} ms   route ${String(route).padStart(6)} ms   loaded ${loaded}`,
      );
    } finally {
      await p.stop();
    }
  };
  try {
    for (const updown of [undefined, '%disabled']) {
      const tag = updown ? ' [updown %disabled]' : '';
      await scenario(`shell loop of single whack calls${tag}`, updown, async (p, specs) => {
        const flags = flagsFor(await p.whack.version());
        const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
        const line = (args: string[]) =>
          `/usr/libexec/ipsec/whack --ctlsocket ${p.socket} ${args.map(q).join(' ')} >/dev/null\n`;
        const addScript = join(lab.dir, 'add.sh');
        const routeScript = join(lab.dir, 'route.sh');
        await writeFile(addScript, specs.map((s) => line(addConnectionArgs(flags, s).args)).join(''));
        await writeFile(routeScript, specs.map((s) => line(routeArgs(s.name))).join(''));
        const [add] = await timed(() => run('bash', [addScript], { timeoutMs: 600_000 }));
        const [route] = await timed(() => run('bash', [routeScript], { timeoutMs: 600_000 }));
        return [add, route];
      });
      for (const c of [1, 4, 8, 16]) {
        await scenario(`adapter, ${c} in flight${tag}`, updown, async (p, specs) => {
          const [add, r1] = await timed(() => p.whack.addConnections(specs, 'error', { concurrency: c }));
          check(r1);
          const [route, r2] = await timed(() =>
            p.whack.routeAll(
              specs.map((s) => s.name),
              { concurrency: c },
            ),
          );
          check(r2);
          return [add, route];
        });
      }
      await scenario(`one addconn call (add) + routeAll x8${tag}`, updown, async (p, specs) => {
        const [add, r] = await timed(() =>
          loadWithAddconn(p.whack, specs, { file: join(lab.dir, 'conns.conf'), auto: 'add' }),
        );
        if (r.failed.length) throw new Error(`addconn failed for ${r.failed.length}`);
        const [route, r2] = await timed(() =>
          p.whack.routeAll(
            specs.map((s) => s.name),
            { concurrency: 8 },
          ),
        );
        check(r2);
        return [add, route];
      });
      await scenario(`one addconn --autoall (auto=route; add+route)${tag}`, updown, async (p, specs) => {
        const [both, r] = await timed(() =>
          loadWithAddconn(p.whack, specs, { file: join(lab.dir, 'conns.conf'), auto: 'route' }),
        );
        if (r.failed.length) throw new Error(`addconn failed for ${r.failed.length}`);
        return [both, 0];
      });
    }
  } finally {
    await destroyLab(lab);
  }
  console.log(`N=${n} connections into one pluto (libreswan 4.10, ${lab.nsA}):\n${rows.join('\n')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
