/**
 * The remote gateways the libreswan benchmarks install (bench/p1-libreswan.ts,
 * bench/libreswan-200.ts): the i-th remote endpoint, and the local side's
 * endpoint, address and PSK, so every libreswan bench loads the same work.
 */
import type { Endpoint } from '../src/generated/cabled/driver/v1/driver.js';

export const LOCAL_IP = '10.201.255.254';
export const PSK = 'bench-psk-0123456789abcdef0123456789abcdef';

/** Remote i: its own cluster, a /24 of its own, an address in 10.201.0.0/16. */
export function remote(i: number): Endpoint {
  const ip = `10.201.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
  const cluster = `c${String(i).padStart(4, '0')}`;
  return {
    clusterId: cluster,
    cableName: `submariner-cable-${cluster}-${ip.replaceAll('.', '-')}`,
    hostname: cluster,
    subnets: [`10.${100 + (i >> 8)}.${i & 255}.0/24`],
    privateIp: ip,
    publicIp: '',
    natEnabled: false,
    backend: 'libreswan',
    backendConfig: {},
    healthCheckIp: '',
  };
}

/** This gateway: cluster "a-local", which sorts before "c0001", so it initiates every pair. */
export function localEndpoint(): Endpoint {
  return {
    ...remote(0),
    clusterId: 'a-local',
    cableName: `submariner-cable-a-local-${LOCAL_IP.replaceAll('.', '-')}`,
    privateIp: LOCAL_IP,
    subnets: ['10.99.0.0/24'],
  };
}
