/**
 * Test and bench scaffolding: the full datapath state of a gateway namespace
 * as a set of comparable lines -- pluto's connections, cabled's XFRM block
 * policies and any other policy's peer, the overlay's FDB entries, table-100
 * routes and the rule -- and the same set computed from the desired remotes,
 * so a test can say "0 leaked, 0 missing" exactly.
 */
import { WHACK_PATH } from '../src/lib/whack/index.js';
import { run, waitFor } from './netns.js';

export interface DesiredRemote {
  cableName: string;
  /** The remote's private (= used) IP. */
  ip: string;
  subnets: string[];
}

/** 241.b.c.d: the remote VTEP for a private IP a.b.c.d (the overlay's default prefix). */
export function vtepOf(ip: string): string {
  return `241.${ip.split('.').slice(1).join('.')}`;
}

/** The overlay part: FDB entry, routes, rule. */
export function desiredVxlanState(remotes: readonly DesiredRemote[]): Set<string> {
  const out = new Set<string>(['rule 100 lookup 100']);
  for (const r of remotes) {
    out.add(`fdb ${r.ip}`);
    for (const s of r.subnets) out.add(`route ${s} via ${vtepOf(r.ip)}`);
  }
  return out;
}

/** Transport mode: the overlay, plus per remote both connections and the block policy. */
export function desiredTransportState(opts: {
  localIp: string;
  vxlanPort: number;
  remotes: readonly DesiredRemote[];
}): Set<string> {
  const out = desiredVxlanState(opts.remotes);
  for (const r of opts.remotes) {
    out.add(`conn ${r.cableName}-0`);
    out.add(`conn ${r.cableName}-1`);
    out.add(`block ${opts.localIp}/32 -> ${r.ip}/32 udp/${opts.vxlanPort}`);
  }
  return out;
}

/**
 * What is in the namespace. Other (pluto's) XFRM policies appear as
 * `xfrm-peer <ip>` lines: a test checks they only name desired remotes.
 */
export async function observeState(ns: string, plutoCtl?: string): Promise<Set<string>> {
  const out = new Set<string>();
  const text = async (cmd: string, args: string[]) => (await run(cmd, args, 15000)).stdout;
  const fdb = JSON.parse(
    (await text('bridge', ['-j', '-n', ns, 'fdb', 'show', 'dev', 'vxlan-tunnel']).catch(() => '[]')) || '[]',
  ) as { mac: string; dst?: string }[];
  for (const e of fdb) if (e.mac === '00:00:00:00:00:00' && e.dst) out.add(`fdb ${e.dst}`);
  const routes = JSON.parse((await text('ip', ['-j', '-n', ns, 'route', 'show', 'table', '100'])) || '[]') as {
    dst: string;
    gateway?: string;
  }[];
  for (const r of routes) out.add(`route ${r.dst} via ${r.gateway ?? '-'}`);
  const rules = JSON.parse((await text('ip', ['-j', '-n', ns, 'rule', 'show'])) || '[]') as {
    priority: number;
    table: string;
  }[];
  for (const r of rules) if (r.table === '100') out.add(`rule ${r.priority} lookup 100`);
  for (const p of parseXfrmPolicies(await text('ip', ['-n', ns, 'xfrm', 'policy', 'show']))) {
    if (p.action === 'block') out.add(`block ${p.src} -> ${p.dst} ${p.proto ?? 'any'}/${p.dport ?? 'any'}`);
    else if (p.dir !== 'fwd') {
      // Pluto's own catch-all policies (e.g. IPv6 neighbour discovery bypass) name no peer.
      const peer = p.dir === 'in' ? p.src : p.dst;
      if (peer !== '0.0.0.0/0' && peer !== '::/0') out.add(`xfrm-peer ${peer}`);
    }
  }
  if (plutoCtl) for (const name of await plutoConnections(plutoCtl)) out.add(`conn ${name}`);
  return out;
}

/** The names of the connections pluto at `plutoCtl` holds (`whack --status`). */
async function plutoConnections(plutoCtl: string): Promise<string[]> {
  const status = (await run(WHACK_PATH, ['--ctlsocket', plutoCtl, '--status'], 15000)).stdout;
  const out: string[] = [];
  for (const line of status.split('\n')) {
    const m = /^(?:000 )?"([^"]+)"(?:\[\d+\])?:/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/**
 * Tunnel mode: per remote, one connection per local x remote subnet pair
 * (`<cable>-<l>-<r>`), and on the routing side pluto's trap policy on each
 * pair's selector (`trap <local subnet> -> <remote subnet>`). Nothing else:
 * no overlay, no block or guard policy.
 */
export function desiredTunnelState(opts: {
  localSubnets: readonly string[];
  remotes: readonly DesiredRemote[];
  routed: boolean;
}): Set<string> {
  const out = new Set<string>();
  for (const r of opts.remotes)
    opts.localSubnets.forEach((l, li) => {
      r.subnets.forEach((rs, ri) => {
        out.add(`conn ${r.cableName}-${li}-${ri}`);
        if (opts.routed) out.add(`trap ${l} -> ${rs}`);
      });
    });
  return out;
}

/**
 * What a tunnel-mode gateway namespace holds: pluto's connections, its
 * outbound policies with a template (`trap src -> dst`; 4.10 installs them
 * with action allow, 5.x turns them to block while it negotiates), any other block policy
 * (cabled's guards), and anything in the overlay's table 100 or pluto's
 * table 220 and the FDB (there should be none). Pluto's catch-all policies
 * (IPv6 neighbour discovery, per-socket bypasses) are left out.
 */
export async function observeTunnelState(ns: string, plutoCtl: string): Promise<Set<string>> {
  const out = new Set<string>();
  const text = async (cmd: string, args: string[]) => (await run(cmd, args, 15000)).stdout;
  for (const table of ['100', '220']) {
    const routes = JSON.parse(
      (await text('ip', ['-j', '-n', ns, 'route', 'show', 'table', table]).catch(() => '[]')) || '[]',
    ) as { dst: string; gateway?: string }[];
    for (const r of routes) out.add(`route ${r.dst} via ${r.gateway ?? '-'} table ${table}`);
  }
  for (const p of parseXfrmPolicies(await text('ip', ['-n', ns, 'xfrm', 'policy', 'show']))) {
    // pluto's policy on a routed connection's selectors keeps its template: "allow" while it waits for
    // traffic, "block" (5.x) while it negotiates. cabled's own block policies (guards) have none.
    if (p.dir === 'out' && p.template) out.add(`trap ${p.src} -> ${p.dst}`);
    else if (p.action === 'block') out.add(`block ${p.src} -> ${p.dst} ${p.proto ?? 'any'}/${p.dport ?? 'any'}`);
    else if (p.src === '::/0' || p.src === '0.0.0.0/0') continue;
    else out.add(`policy ${p.dir} ${p.src} -> ${p.dst}`);
  }
  for (const name of await plutoConnections(plutoCtl)) out.add(`conn ${name}`);
  return out;
}

/** Polls until the tunnel-mode namespace `ns` and its pluto hold exactly `desired`. */
export async function waitForExactTunnelState(
  what: string,
  ns: string,
  plutoCtl: string,
  desired: Set<string>,
  timeoutMs: number,
  intervalMs: number,
): Promise<void> {
  await waitForExact(
    `${what}: the policies and pluto exactly as desired`,
    () => observeTunnelState(ns, plutoCtl),
    desired,
    timeoutMs,
    intervalMs,
  );
}

interface PolicyText {
  src: string;
  dst: string;
  proto?: string;
  dport?: string;
  dir?: string;
  action?: string;
  /** Whether the policy has a template (`tmpl` line). */
  template?: boolean;
}

export function parseXfrmPolicies(text: string): PolicyText[] {
  const out: PolicyText[] = [];
  let cur: PolicyText | undefined;
  for (const line of text.split('\n')) {
    const head = /^src (\S+) dst (\S+)(?: proto (\S+))?(?:.* dport (\d+))?/.exec(line);
    if (head) {
      cur = { src: head[1]!, dst: head[2]!, proto: head[3], dport: head[4] };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const dir = /\bdir (\w+)/.exec(line);
    if (dir) cur.dir = dir[1];
    const action = /\baction (\w+)/.exec(line);
    if (action) cur.action = action[1];
    if (/^\s+tmpl /.test(line)) cur.template = true;
  }
  return out;
}

/**
 * The differences, one line each: `leaked: ...` (observed, not desired),
 * `missing: ...` (desired, not observed). `xfrm-peer` lines leak only when
 * they name an IP that no desired remote has.
 */
export function diffStates(desired: Set<string>, observed: Set<string>): string[] {
  const peers = new Set([...desired].filter((l) => l.startsWith('fdb ')).map((l) => l.slice(4)));
  const out: string[] = [];
  for (const l of observed) {
    if (l.startsWith('xfrm-peer ')) {
      if (!peers.has(l.slice(10).replace(/\/32$/, ''))) out.push(`leaked: ${l}`);
    } else if (!desired.has(l)) out.push(`leaked: ${l}`);
  }
  for (const l of desired) if (!observed.has(l)) out.push(`missing: ${l}`);
  return out.sort();
}

/** Counts of a diff: leaked and missing. */
export function countDiff(diff: readonly string[]): { leaked: number; missing: number } {
  return {
    leaked: diff.filter((d) => d.startsWith('leaked')).length,
    missing: diff.filter((d) => d.startsWith('missing')).length,
  };
}

/**
 * Polls until namespace `ns` (and pluto at `plutoCtl`) hold exactly `desired`;
 * on timeout the error lists the last differences, one per line.
 */
export async function waitForExactState(
  what: string,
  ns: string,
  plutoCtl: string | undefined,
  desired: Set<string>,
  timeoutMs: number,
  intervalMs: number,
): Promise<void> {
  await waitForExact(
    `${what}: the datapath and pluto exactly as desired`,
    () => observeState(ns, plutoCtl),
    desired,
    timeoutMs,
    intervalMs,
  );
}

/** Polls `observe` until it gives exactly `desired` (diffStates); on timeout the error lists the last differences. */
async function waitForExact(
  what: string,
  observe: () => Promise<Set<string>>,
  desired: Set<string>,
  timeoutMs: number,
  intervalMs: number,
): Promise<void> {
  let diff: string[] = [];
  await waitFor(
    what,
    async () => {
      diff = diffStates(desired, await observe());
      return diff.length === 0;
    },
    timeoutMs,
    intervalMs,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\n  differences: ${diff.join('\n  ')}`);
  });
}
