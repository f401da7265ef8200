/**
 * The gateway's metrics, scraped over HTTP from a real metrics server (node:http
 * on 127.0.0.1:0) that reads an in-memory GatewayView: Submariner's names and
 * labels, series that follow connections as they come, change and go, and
 * seed 000's IPsec telemetry.
 */
import assert from 'node:assert/strict';
import { Capability, ConnectionStatus } from '../../../src/generated/cabled/driver/v1/driver.js';
import { GatewayMetrics } from '../../../src/metrics/gateway-metrics.js';
import { startMetricsServer, type MetricsServer } from '../../../src/metrics/metrics-server.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { httpGet, samplesOf, scrape, type PromSample } from '../../helpers/prometheus-text.js';
import { FakeGatewayView, makeConnection } from '../api/fake-view.js';

const STARTED = Date.UTC(2026, 0, 2, 3, 4, 5);
const CABLE2 = {
  cable_driver: 'vxlan',
  local_cluster: 'cluster1',
  local_hostname: 'gw-cluster1',
  local_endpoint_ip: '198.51.100.1',
  remote_cluster: 'cluster2',
  remote_hostname: 'gw-cluster2',
  remote_endpoint_ip: '203.0.113.7',
};

describe('gateway metrics over HTTP (in-memory gateway view)', () => {
  let view: FakeGatewayView;
  let server: MetricsServer;
  let url: string;
  const get = async (name: string): Promise<PromSample[]> => samplesOf(await scrape(url), name);

  beforeEach(async () => {
    view = new FakeGatewayView([makeConnection('cluster2', { establishedUnixMs: STARTED + 60_000 })]);
    server = await startMetricsServer({
      listen: '127.0.0.1:0',
      metrics: new GatewayMetrics(view, STARTED),
      logger: silentLogger(),
    });
    url = `http://${server.address}/metrics`;
  });
  afterEach(async () => server.close());

  it('should serve the Prometheus text format at /metrics and 404 elsewhere', async () => {
    const ok = await httpGet(url);
    assert.equal(ok.status, 200);
    assert.match(ok.contentType, /^text\/plain; version=0\.0\.4/);
    assert.match(
      ok.body,
      /# HELP submariner_connections Number of connections and corresponding status \(by cable driver and cable\)\n# TYPE submariner_connections gauge/,
    );
    assert.equal((await httpGet(url.replace('/metrics', '/'))).status, 404);
  });

  it("should expose a connection under Submariner's names and labels", async () => {
    assert.deepEqual(await get('submariner_connections'), [
      { name: 'submariner_connections', labels: { ...CABLE2, status: 'connected' }, value: 1 },
    ]);
    assert.deepEqual(await get('submariner_connections_short'), [
      { name: 'submariner_connections_short', labels: { cable_driver: 'vxlan', status: 'connected' }, value: 1 },
    ]);
    assert.deepEqual(
      (await get('submariner_gateway_rx_bytes')).map((s) => [s.labels, s.value]),
      [[CABLE2, 1536]],
    );
    assert.deepEqual(
      (await get('submariner_gateway_tx_bytes')).map((s) => [s.labels, s.value]),
      [[CABLE2, 3 * 1024 * 1024]],
    );
    assert.deepEqual(
      (await get('submariner_connection_established_timestamp')).map((s) => [s.labels, s.value]),
      [[CABLE2, STARTED / 1000 + 60]],
    );
    assert.deepEqual(
      (await get('submariner_connection_latency_seconds')).map((s) => [s.labels, s.value]),
      [[CABLE2, 0.0012]],
    );
    assert.deepEqual(
      (await get('submariner_requested_connections')).map((s) => [s.labels, s.value]),
      [
        [
          {
            local_cluster: 'cluster1',
            local_hostname: 'gw-cluster1',
            remote_cluster: 'cluster2',
            remote_hostname: 'gw-cluster2',
            status: 'connected',
          },
          1,
        ],
      ],
    );
  });

  it('should expose the gateway itself: one active gateway and its creation time', async () => {
    assert.deepEqual(
      (await get('submariner_gateways')).map((s) => s.value),
      [1],
    );
    assert.deepEqual(
      (await get('submariner_gateway_creation_timestamp')).map((s) => [s.labels, s.value]),
      [[{ local_cluster: 'cluster1', local_hostname: 'gw-cluster1' }, STARTED / 1000]],
    );
  });

  it('should say which gateway is active: 1/0 in submariner_gateways and the HA status label set of a standby', async () => {
    assert.deepEqual(
      (await get('cabled_gateway_ha_status')).map((s) => [s.labels, s.value]),
      [[{ local_cluster: 'cluster1', local_hostname: 'gw-cluster1', ha_status: 'active', role: 'active' }, 1]],
    );
    view.gatewayStatus.haStatus = 'passive';
    view.gatewayStatus.ha = {
      lease: 'ns/submariner-gateway-lock',
      identity: 'gw-b-submariner-gateway',
      leader: 'gw-a-submariner-gateway',
      role: 'standby',
      message: 'standing by',
      sinceUnixMs: STARTED,
      lastError: '',
    };
    assert.deepEqual(
      (await get('submariner_gateways')).map((s) => s.value),
      [0],
    );
    assert.deepEqual(
      (await get('cabled_gateway_ha_status')).map((s) => [s.labels, s.value]),
      [[{ local_cluster: 'cluster1', local_hostname: 'gw-cluster1', ha_status: 'passive', role: 'standby' }, 1]],
      'the active label set is gone',
    );
  });

  it('should add and remove every series of a connection as it comes and goes', async () => {
    view.add(
      makeConnection('cluster3', {
        status: ConnectionStatus.CONNECTION_STATUS_CONNECTING,
        latencyRtt: undefined,
        establishedUnixMs: 0,
      }),
    );
    const remotes = async (name: string) =>
      (await get(name)).map((s) => `${s.labels.remote_cluster}${s.labels.status ? `:${s.labels.status}` : ''}`).sort();
    assert.deepEqual(await remotes('submariner_connections'), ['cluster2:connected', 'cluster3:connecting']);
    assert.deepEqual(await remotes('submariner_gateway_rx_bytes'), ['cluster2', 'cluster3']);
    assert.deepEqual(
      await remotes('submariner_connection_latency_seconds'),
      ['cluster2'],
      'no latency for a cable not connected',
    );
    assert.deepEqual(
      await remotes('submariner_connection_established_timestamp'),
      ['cluster2'],
      'never established: no timestamp',
    );
    assert.deepEqual((await get('submariner_connections_short')).map((s) => `${s.labels.status}=${s.value}`).sort(), [
      'connected=1',
      'connecting=1',
    ]);
    view.remove('cluster2');
    for (const name of [
      'submariner_connections',
      'submariner_gateway_rx_bytes',
      'submariner_gateway_tx_bytes',
      'submariner_connection_latency_seconds',
      'submariner_connection_established_timestamp',
      'submariner_requested_connections',
    ]) {
      assert.ok(
        (await remotes(name)).every((r) => r.startsWith('cluster3')),
        `${name} no longer lists cluster2`,
      );
    }
    assert.deepEqual(
      (await get('submariner_connections_short')).map((s) => `${s.labels.status}=${s.value}`),
      ['connecting=1'],
    );
  });

  it('should move a connection to its new status label rather than keep both', async () => {
    view.remove('cluster2');
    view.add(makeConnection('cluster2', { status: ConnectionStatus.CONNECTION_STATUS_ERROR }));
    assert.deepEqual(
      (await get('submariner_connections')).map((s) => s.labels.status),
      ['error'],
    );
    assert.deepEqual(await get('submariner_connection_latency_seconds'), []);
  });

  it('should report no rx/tx bytes for a driver without traffic counters (plain VXLAN), rather than a false 0', async () => {
    view.gatewayStatus.driver!.capabilities = [Capability.CAPABILITY_WATCH_CONNECTIONS];
    assert.deepEqual(await get('submariner_gateway_rx_bytes'), []);
    assert.deepEqual(await get('submariner_gateway_tx_bytes'), []);
  });

  context("seed 000's IPsec telemetry", () => {
    const telemetry = async () => [
      (await get('cabled_ipsec_east_west_enabled'))[0]?.value,
      (await get('cabled_ipsec_north_south_enabled'))[0]?.value,
    ];
    it('should say off/off for the plain VXLAN driver', async () => {
      assert.deepEqual(await telemetry(), [0, 0]);
    });
    it('should say east-west on when the libreswan driver runs with its own pluto', async () => {
      view.gatewayStatus.driver!.name = 'libreswan';
      view.gatewayStatus.config = { ceIPSecPlutoMode: 'own' };
      assert.deepEqual(await telemetry(), [1, 0]);
    });
    it("should say both on when the libreswan driver uses the host's pluto", async () => {
      view.gatewayStatus.driver!.name = 'libreswan';
      view.gatewayStatus.config = { ceIPSecPlutoMode: 'host' };
      assert.deepEqual(await telemetry(), [1, 1]);
    });
    it('should say off while the libreswan driver is not running', async () => {
      view.gatewayStatus.driver!.name = 'libreswan';
      view.gatewayStatus.driver!.state = 'restarting';
      view.gatewayStatus.config = { ceIPSecPlutoMode: 'host' };
      assert.deepEqual(await telemetry(), [0, 0]);
    });
  });

  it('should refuse a metrics address that is not host:port', async () => {
    await assert.rejects(
      startMetricsServer({ listen: 'unix:///run/x.sock', metrics: new GatewayMetrics(view), logger: silentLogger() }),
      /metrics address "unix:\/\/\/run\/x\.sock": expected host:port/,
    );
  });
});
