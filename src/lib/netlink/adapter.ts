/**
 * `openNetlink()`: the real NetlinkAdapter, one rtnetlink socket in the
 * caller's network namespace. Each method delegates to the per-object module
 * (links, addresses, fdb, routes, rules); this file only wires them together.
 */
import * as addresses from './addresses.js';
import { writeBatch } from './batch.js';
import * as fdb from './fdb.js';
import * as links from './links.js';
import * as routes from './routes.js';
import * as rules from './rules.js';
import { openSession, type NetlinkSession, type SessionOptions } from './session.js';
import type { NetlinkAdapter } from './types.js';

/** Options for {@link openNetlink}. */
export type OpenNetlinkOptions = SessionOptions;

class RtNetlinkAdapter implements NetlinkAdapter {
  constructor(private readonly s: NetlinkSession) {}

  getLink = (ref: string | number) => links.getLink(this.s, ref);
  listLinks = () => links.listLinks(this.s);
  createVxlan = (spec: Parameters<NetlinkAdapter['createVxlan']>[0]) => links.createVxlan(this.s, spec);
  deleteLink = (ref: string | number) => links.deleteLink(this.s, ref);
  setLinkUp = (index: number, up: boolean) => links.setLinkUp(this.s, index, up);
  setLinkMtu = (index: number, mtu: number) => links.setLinkMtu(this.s, index, mtu);

  listAddresses = (linkIndex?: number) => addresses.listAddresses(this.s, linkIndex);
  ensureAddress = (linkIndex: number, cidr: string) => addresses.ensureAddress(this.s, linkIndex, cidr);
  deleteAddress = (linkIndex: number, cidr: string) => addresses.deleteAddress(this.s, linkIndex, cidr);

  listFdb = (linkIndex: number) => fdb.listFdb(this.s, linkIndex);
  appendFdb = (linkIndex: number, dst: string, mac?: string) => fdb.appendFdb(this.s, linkIndex, dst, mac);
  deleteFdb = (linkIndex: number, dst: string, mac?: string) => fdb.deleteFdb(this.s, linkIndex, dst, mac);

  listRoutes = (table: number) => routes.listRoutes(this.s, table);
  replaceRoute = (spec: Parameters<NetlinkAdapter['replaceRoute']>[0]) => routes.replaceRoute(this.s, spec);
  deleteRoute = (match: Parameters<NetlinkAdapter['deleteRoute']>[0]) => routes.deleteRoute(this.s, match);
  routeTo = (ip: string) => routes.routeTo(this.s, ip);
  getDefaultRoute = () => routes.getDefaultRoute(this.s);
  writeBatch = (writes: Parameters<NetlinkAdapter['writeBatch']>[0]) => writeBatch(this.s, writes);

  listRules = () => rules.listRules(this.s);
  ensureRule = (rule: Parameters<NetlinkAdapter['ensureRule']>[0]) => rules.ensureRule(this.s, rule);
  deleteRule = (rule: Parameters<NetlinkAdapter['deleteRule']>[0]) => rules.deleteRule(this.s, rule);

  close = () => this.s.close();
}

/**
 * Opens an rtnetlink socket in the current network namespace. The socket does
 * not keep the event loop alive while idle; call `close()` when done.
 */
export function openNetlink(options: OpenNetlinkOptions = {}): NetlinkAdapter {
  return new RtNetlinkAdapter(openSession(options));
}
