/**
 * Cable names, as Submariner builds them (pkg/endpoint/local_endpoint.go):
 * `submariner-cable-<clusterID>-<private IP with '.' → '-'>`. The engine uses
 * this for the local endpoint too, so both ends agree on names.
 */

/** The cable name of the endpoint of `clusterId` at `privateIp`, e.g. submariner-cable-cluster1-172-18-0-8. */
export function cableName(clusterId: string, privateIp: string): string {
  return `submariner-cable-${clusterId}-${privateIp.replaceAll('.', '-')}`;
}
