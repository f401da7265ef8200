/**
 * IPv4 interface addresses (RTM_*ADDR): list, ensure present, delete.
 * Dumps are filtered here: without NETLINK_GET_STRICT_CHK the kernel ignores
 * the header's family/index and returns every address.
 */
import { isErrno } from './errors.js';
import { bufferToIpv4, ipv4ToBuffer, parseCidr } from './ip.js';
import { AF_INET, NLM_F, type NetlinkSession } from './session.js';
import type { AddressInfo } from './types.js';

/** IPv4 addresses of one link, or of every link when `linkIndex` is omitted. */
export async function listAddresses(s: NetlinkSession, linkIndex?: number): Promise<AddressInfo[]> {
  const msgs = await s.run(
    () => 'list IPv4 addresses',
    () => s.sock.getAddresses({ family: AF_INET }, {}, s.opts()),
  );
  const out: AddressInfo[] = [];
  for (const m of msgs) {
    if (m.data.family !== AF_INET) continue;
    if (linkIndex !== undefined && m.data.index !== linkIndex) continue;
    const address = bufferToIpv4(m.attrs.local ?? m.attrs.address);
    if (!address) continue;
    const prefixLength = m.data.prefixlen ?? 32;
    out.push({ linkIndex: m.data.index ?? 0, address, prefixLength, cidr: `${address}/${prefixLength}` });
  }
  return out;
}

/** Adds `cidr` ("241.1.2.3/8") to the link unless it is already there; true when added. */
export async function ensureAddress(s: NetlinkSession, linkIndex: number, cidr: string): Promise<boolean> {
  const { address, prefixLength } = parseCidr(cidr, 'interface address');
  const present = await listAddresses(s, linkIndex);
  if (present.some((a) => a.address === address && a.prefixLength === prefixLength)) return false;
  const ip = ipv4ToBuffer(address);
  try {
    await s.run(
      async () => `add address ${cidr} on ${await s.linkLabel(linkIndex)}`,
      () =>
        s.sock.newAddress(
          { family: AF_INET, prefixlen: prefixLength, index: linkIndex },
          { local: ip, address: ip },
          s.opts(NLM_F.CREATE | NLM_F.EXCL),
        ),
    );
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw err;
  }
}

/** Removes `cidr` from the link; an absent address is fine. */
export async function deleteAddress(s: NetlinkSession, linkIndex: number, cidr: string): Promise<void> {
  const { address, prefixLength } = parseCidr(cidr, 'interface address');
  const ip = ipv4ToBuffer(address);
  try {
    await s.run(
      async () => `delete address ${cidr} from ${await s.linkLabel(linkIndex)}`,
      () =>
        s.sock.delAddress(
          { family: AF_INET, prefixlen: prefixLength, index: linkIndex },
          { local: ip, address: ip },
          s.opts(),
        ),
    );
  } catch (err) {
    if (!isErrno(err, 'EADDRNOTAVAIL', 'ENOENT')) throw err;
  }
}
