/**
 * Parser of the connection list in `whack --status` (pure): which
 * connections pluto has loaded and how they are routed. Used to check what
 * one addconn call really loaded (4.10 addconn prints nothing per conn).
 *   4.x: "tun1": 10.10.1.0/24===10.99.0.1[@left]...10.99.0.2[@right]===10.10.2.0/24; unrouted; eroute owner: #0
 *   5.x: "a": 10.0.1.0/24===...; unrouted; my_ip=unset; their_ip=unset;
 *   5.4: "off": ...; unoriented; my_ip=unset; ...   (neither end's address is on this host, or
 *        5.4 refused to orient it: e.g. --nic-offload packet on a NIC without packet offload)
 */
import { parseWhackOutput } from './output.js';

/** One loaded connection. */
export interface LoadedConnection {
  name: string;
  instance?: number;
  /** unrouted, prospective erouted, erouted, routed-ondemand, routed-tunnel, unoriented, ... ("" when not printed). */
  routing: string;
  /** False when pluto could not orient it (5.4 prints "unoriented"): it can never be routed or initiated. */
  oriented: boolean;
}

/** Why a connection is unoriented, in words a person can act on. */
export const UNORIENTED_REASON =
  "pluto could not orient the connection (unoriented): neither end's address is on this host's interfaces, or a nic-offload mode the interface lacks (ceIPSecNicOffload=packet on a NIC without packet offload) kept pluto from using the local address; check the local IP and set ceIPSecNicOffload=no or auto";

const HEADER = /^"([^"]*)"(?:\[(\d+)\])?(?: [^:]*)?: (\S.*(?:===|\.\.\.).*)$/;

/** Loaded connections by name ("name[n]" for instances), in output order. */
export function parseConnectionList(stdout: string): Map<string, LoadedConnection> {
  const out = new Map<string, LoadedConnection>();
  for (const { text } of parseWhackOutput(stdout)) {
    const m = HEADER.exec(text.trim());
    if (!m) continue;
    const name = m[1] ?? '';
    const instance = m[2] === undefined ? undefined : Number(m[2]);
    const parts = (m[3] ?? '').split(';').map((x) => x.trim());
    const routing =
      parts.find((x) => /^(?:unrouted|unoriented|prospective erouted|erouted|routed\S*|route\S*)/.test(x)) ?? '';
    const oriented = routing !== 'unoriented';
    const key = instance === undefined ? name : `${name}[${instance}]`;
    if (!out.has(key))
      out.set(key, instance === undefined ? { name, routing, oriented } : { name, instance, routing, oriented });
  }
  return out;
}
