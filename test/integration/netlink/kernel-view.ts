/**
 * Independent, read-only views of kernel state for the namespace tests,
 * taken with iproute2's JSON output (`ip -j -d link`, `bridge -j fdb`,
 * `ip -j route`, `ip -j rule`, `ip -j addr`) rather than with the adapter
 * under test.
 */
import { bridgeJson, ipJson } from '../../../lab/netns.js';

/** `ip -j -d link show <dev>` fields the tests look at. */
export interface LinkView {
  ifindex: number;
  ifname: string;
  mtu: number;
  flags: string[];
  linkinfo?: {
    info_kind: string;
    info_data?: { id?: number; port?: number; local?: string; link?: string; learning?: boolean };
  };
}

/** The device, or undefined when absent. */
export async function linkView(ns: string, dev: string): Promise<LinkView | undefined> {
  const links = await ipJson<LinkView[]>(ns, '-d', 'link', 'show');
  return links.find((l) => l.ifname === dev);
}

/** "a.b.c.d/len" of every IPv4 address on a device. */
export async function addressesOf(ns: string, dev: string): Promise<string[]> {
  const out = await ipJson<{ addr_info: { family: string; local: string; prefixlen: number }[] }[]>(
    ns,
    'addr',
    'show',
    'dev',
    dev,
  );
  return (out[0]?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

/** "<mac> dst <ip>" of each FDB entry of a device. */
export async function fdbOf(ns: string, dev: string): Promise<string[]> {
  const out = await bridgeJson<{ mac: string; dst?: string }[]>(ns, 'fdb', 'show', 'dev', dev);
  return out
    .filter((e) => e.dst)
    .map((e) => `${e.mac} dst ${e.dst}`)
    .sort();
}

/** "<dst> via <gw> dev <dev> metric <m>" of each route in a table. */
export async function routesOf(ns: string, table: number): Promise<string[]> {
  const out = await ipJson<{ dst: string; gateway?: string; dev?: string; metric?: number; prefsrc?: string }[]>(
    ns,
    'route',
    'show',
    'table',
    String(table),
  );
  return out
    .map(
      (r) =>
        `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.prefsrc ? ` src ${r.prefsrc}` : ''}${r.metric !== undefined ? ` metric ${r.metric}` : ''}`,
    )
    .sort();
}

/** "<priority>: from <src> lookup <table>" of each rule, like `ip rule show`. */
export async function rulesOf(ns: string): Promise<string[]> {
  const out = await ipJson<{ priority: number; src: string; table: string }[]>(ns, 'rule', 'show');
  return out.map((r) => `${r.priority}: from ${r.src} lookup ${r.table}`);
}
