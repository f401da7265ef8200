/**
 * `openXfrm()`: a small XFRM policy API on its own NETLINK_XFRM socket (the
 * rtnetlink session in session.ts cannot carry it), with the same rules:
 * one request at a time, a timeout on each, errors that name the operation
 * and the policy, ENOENT absorbed where the intent is met. Codec: xfrm-codec.ts.
 *
 * Why it exists: the libreswan transport-mode driver keeps, per remote
 * gateway, a low-precedence BLOCK policy for clear VXLAN (src local/32, dst
 * remote/32, proto udp, dport 4789, dir out), so that VXLAN never leaves the
 * node unencrypted while the IPsec SA or pluto's trap policy is missing
 * ("fail closed", like OVS's prevent_unencrypted_vxlan). pluto's policies for
 * the same traffic must win; in XFRM the LOWER priority value wins, hence
 * VXLAN_BLOCK_PRIORITY.
 *
 * Same selector, two policies: the kernel keys a policy by (dir, type,
 * selector, mark, if_id), not by priority. A block policy with exactly
 * pluto's selector would share pluto's slot: seen with pluto 4.10, our
 * update replaces pluto's trap policy, pluto's `--route` (UPDPOLICY) replaces
 * ours, and `--unroute` deletes ours, which is the very moment it is needed.
 * So cabled writes its selectors with `xfrm_selector.user` set to
 * CABLED_SELECTOR_TAG. The kernel compares that field when it looks a policy
 * up by key (add/update/get/delete) but never when it matches packets, so
 * cabled's policy blocks the same traffic and both coexist, ordered by
 * priority. `ip xfrm policy` shows two entries with the same selector; it
 * does not print the tag, and deleting by selector there removes pluto's
 * (untagged) entry. Delete cabled's with `deletePolicy` or
 * `ip xfrm policy delete index N dir out`.
 */
import netlink from 'netlink';
import type { NetlinkMessage, NetlinkSocket } from 'netlink';
import { InvalidArgumentError } from '../errors.js';
import { isErrno, toNetlinkError } from './errors.js';
import type { XfrmAdapter, XfrmBlockPolicySpec, XfrmPolicy, XfrmPolicyKey, XfrmState } from './types.js';
import {
  XFRM_ACTION,
  XFRM_INF,
  XFRM_MSG,
  decodePolicyMessage,
  describeKey,
  dirNumber,
  encodePolicyId,
  encodePolicyMessage,
  selectorFromSpec,
  toXfrmPolicy,
  toXfrmState,
} from './xfrm-codec.js';

/**
 * Priority for the per-remote VXLAN block policy (lower wins).
 *
 * Measured with pluto 4.10 on this kernel: the VXLAN transport connection
 * (`--host L --clientprotoport udp --to --host R --clientprotoport udp/4789`,
 * `--route`) installs `src L/32 dst R/32 proto udp dport 4789 dir out
 * priority 1360065` (0x14C0C1) with template `proto esp reqid 0 mode
 * transport`; the reverse (udp/4789 -> udp) gets 1360065 too, udp without
 * ports 1622209, host-to-host 1753281, a /24 tunnel 1757393. These follow
 * libreswan's calculate_kernel_priority: base<<20 | wildcard-ports<<18 |
 * wildcard-proto<<17 | (128-srclen)<<9 | (128-dstlen)<<1 | template, with
 * base 1 for static connections (at most 0x1B0101 = 1769729) and 2-3 for
 * opportunistic groups (at least 0x200000 = 2097152). 2000000 sits between:
 * every static connection, pluto's trap and IPsec policies included, beats
 * the block; an opportunistic clear/pass group does not, so it cannot leak
 * VXLAN in the clear.
 */
export const VXLAN_BLOCK_PRIORITY = 2_000_000;

/** Value cabled writes in `xfrm_selector.user` of its policies ("cbld"). */
export const CABLED_SELECTOR_TAG = 0x63626c64;

/** Options for {@link openXfrm}. */
export interface XfrmOptions {
  /** Per-request timeout in milliseconds. @default 5000 */
  timeoutMs?: number;
}

class XfrmNetlinkAdapter implements XfrmAdapter {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly sock: NetlinkSocket,
    private readonly timeoutMs: number,
  ) {}

  /** One request after the previous one; failures become NetlinkErrors naming `what`. */
  private async request(what: string, type: number, data: Buffer, flags = 0): Promise<NetlinkMessage[]> {
    const send = () => this.sock.request(type, data, { flags, timeout: this.timeoutMs });
    const result = this.queue.then(send, send);
    this.queue = result.catch(() => undefined);
    try {
      return (await result)[0];
    } catch (err) {
      throw toNetlinkError(what, err, this.timeoutMs);
    }
  }

  async listPolicies(): Promise<XfrmPolicy[]> {
    const msgs = await this.request('list XFRM policies', XFRM_MSG.GETPOLICY, Buffer.alloc(0), netlink.FlagsGet.DUMP);
    return msgs.flatMap((m) => {
      const p =
        m.type === XFRM_MSG.NEWPOLICY ? toXfrmPolicy(decodePolicyMessage(m.data), CABLED_SELECTOR_TAG) : undefined;
      return p ? [p] : [];
    });
  }

  async listStates(): Promise<XfrmState[]> {
    const msgs = await this.request('list XFRM states', XFRM_MSG.GETSA, Buffer.alloc(0), netlink.FlagsGet.DUMP);
    return msgs.flatMap((m) => {
      const st = m.type === XFRM_MSG.NEWSA ? toXfrmState(m.data) : undefined;
      return st ? [st] : [];
    });
  }

  /** cabled's policy for this key, or undefined. */
  private async getOwned(key: XfrmPolicyKey): Promise<XfrmPolicy | undefined> {
    const id = encodePolicyId(selectorFromSpec(key, CABLED_SELECTOR_TAG), dirNumber(key.dir));
    try {
      const [msg] = await this.request(`get XFRM policy ${describeKey(key)}`, XFRM_MSG.GETPOLICY, id);
      return msg?.type === XFRM_MSG.NEWPOLICY
        ? toXfrmPolicy(decodePolicyMessage(msg.data), CABLED_SELECTOR_TAG)
        : undefined;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async ensureBlockPolicy(spec: XfrmBlockPolicySpec): Promise<boolean> {
    const { priority } = spec;
    if (!Number.isInteger(priority) || priority < 0 || priority > 0xffffffff) {
      throw new InvalidArgumentError(`invalid XFRM policy priority ${priority}: 0 to 4294967295`);
    }
    const sel = selectorFromSpec(spec, CABLED_SELECTOR_TAG);
    const dir = dirNumber(spec.dir);
    const current = await this.getOwned(spec);
    if (current?.action === 'block' && current.priority === priority && !current.hasTemplates) return false;
    const info = {
      sel,
      lft: [XFRM_INF, XFRM_INF, XFRM_INF, XFRM_INF, 0n, 0n, 0n, 0n],
      curlft: [0n, 0n, 0n, 0n],
      priority,
      index: 0,
      dir,
      action: XFRM_ACTION.block,
      flags: 0,
      share: 0,
    };
    // UPDPOLICY creates or replaces, and only ever matches cabled's tagged key.
    await this.request(
      `${current ? 'update' : 'add'} XFRM block policy ${describeKey(spec)} priority ${priority}`,
      XFRM_MSG.UPDPOLICY,
      encodePolicyMessage({ info, templates: [] }),
    );
    return true;
  }

  async deletePolicy(key: XfrmPolicyKey): Promise<void> {
    const id = encodePolicyId(selectorFromSpec(key, CABLED_SELECTOR_TAG), dirNumber(key.dir));
    try {
      await this.request(`delete XFRM policy ${describeKey(key)}`, XFRM_MSG.DELPOLICY, id);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
  }
}

/**
 * Opens a NETLINK_XFRM socket in the current network namespace (needs
 * CAP_NET_ADMIN for writes and dumps). The socket does not keep the event
 * loop alive while idle; call `close()` when done.
 */
export function openXfrm(options: XfrmOptions = {}): XfrmAdapter {
  return new XfrmNetlinkAdapter(netlink.createNetlink(netlink.Protocol.XFRM), options.timeoutMs ?? 5000);
}
