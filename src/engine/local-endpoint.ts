/**
 * This gateway's own Endpoint, from the engine settings. The private IP, when
 * not given, is the source address of the default route (what Submariner gets
 * from a UDP "dial" to 8.8.8.8, without sending anything); when given, it
 * must be an address of this host.
 */
import { hostname } from 'node:os';
import type { Endpoint } from '../generated/cabled/driver/v1/driver.js';
import { cableName } from '../endpoints/naming.js';
import { publishableHostname } from '../endpoints/parse-endpoint.js';
import { FailedPreconditionError } from '../lib/errors.js';
import type { NetlinkAdapter } from '../lib/netlink/index.js';
import type { EngineSettings } from './options.js';
import { checkPrivateIp } from './preflight.js';

export async function localEndpoint(settings: EngineSettings, netlink: NetlinkAdapter): Promise<Endpoint> {
  if (settings.privateIp) await checkPrivateIp(settings.privateIp, netlink);
  const privateIp = settings.privateIp || (await detectPrivateIp(netlink));
  const cable = cableName(settings.clusterId, privateIp);
  return {
    clusterId: settings.clusterId,
    cableName: cable,
    // Published to the other clusters (HA): always a name their parsers accept.
    hostname: publishableHostname(hostname(), cable),
    subnets: settings.subnets,
    privateIp,
    publicIp: settings.publicIp,
    natEnabled: settings.natEnabled,
    backend: settings.driver,
    backendConfig: settings.backendConfig,
    healthCheckIp: settings.healthCheckIp,
  };
}

async function detectPrivateIp(netlink: NetlinkAdapter): Promise<string> {
  const route = await netlink.routeTo('8.8.8.8');
  if (!route?.src) {
    throw new FailedPreconditionError(
      'cannot autodetect the private IP: no default route with a source address; pass --private-ip',
    );
  }
  return route.src;
}
