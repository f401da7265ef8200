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
export { FirstSeen, parseRfc3339 } from './created-at.js';
export { checkIPv4, checkIPv4Cidr } from './ipv4.js';
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
