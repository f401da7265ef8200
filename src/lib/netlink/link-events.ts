/**
 * Link change notifications: a separate rtnetlink socket joined to the
 * RTNLGRP_LINK multicast group. Every RTM_NEWLINK/RTM_DELLINK (a link added,
 * removed, renamed, set up or down, features changed) calls onChange. The
 * socket does not keep the event loop alive.
 */
import netlink from 'netlink';

/** A running subscription. */
export interface LinkEvents {
  close(): void;
}

/** Calls `onChange` on every link message the kernel multicasts in this namespace. */
export function watchLinkEvents(onChange: () => void): LinkEvents {
  const sock = netlink.createRtNetlink();
  sock.addMembership('LINK');
  sock.on('message', () => onChange());
  sock.socket.unref();
  return { close: () => sock.socket.close() };
}
