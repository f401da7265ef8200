/**
 * Remote endpoints from a file: parsing Submariner's EndpointSpec/Endpoint
 * shapes, cable naming, and a watcher that keeps a snapshot current.
 */
export { cableName } from './naming.js';
export { parseEndpoint, EndpointError, type ParsedEndpoint } from './parse-endpoint.js';
export { parseEndpointsText, type EntriesRead } from './endpoints-file.js';
export {
  buildSnapshot,
  type EndpointsSnapshot,
  type RemoteEndpoint,
  type RejectedEndpoint,
  type SnapshotInput,
} from './snapshot.js';
export { parseRfc3339 } from './created-at.js';
export { checkIPv4, checkIPv4Cidr, blockOf, overlaps, containsIp, ipv4ToInt, type Block } from './ipv4.js';
export {
  DEFAULT_ENDPOINT_LIMITS,
  DEFAULT_POLICY,
  policyFor,
  checkRemoteIp,
  checkRemoteSubnet,
  checkClusterId,
  parseGoBool,
  clip,
  type EndpointLimits,
  type EndpointPolicy,
  type LocalGateway,
} from './endpoint-policy.js';
export { readFileBounded } from './file-size.js';
export { watchEndpointsFile, type WatchEndpointsOptions, type EndpointsWatch } from './watch-endpoints.js';
// The Kubernetes source (./watch-kube-endpoints.js) is not re-exported: importing it loads the Kubernetes client.
export { mergeSnapshots } from './merge-snapshots.js';
export {
  startEndpointSources,
  ENDPOINT_SOURCE_KINDS,
  type EndpointSourceKind,
  type EndpointSources,
  type EndpointSourcesOptions,
} from './endpoint-sources.js';
