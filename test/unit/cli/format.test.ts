/** cablectl's pure formatting: tables, sections, bytes, durations, and the domain renderers. */
import { strict as assert } from 'node:assert';
import {
  formatAge,
  formatDuration,
  formatNanos,
  humanBytes,
  renderSections,
  renderTable,
} from '../../../src/cli/format.js';
import {
  cableIkeLabel,
  capabilityLabel,
  collectsTraffic,
  connectionDetail,
  connectionsTable,
  eventLine,
  securityAssociationsTable,
  statusText,
} from '../../../src/cli/render.js';
import {
  Capability,
  ConnectionEvent_Kind,
  ConnectionStatus,
  IkeState,
  SaState,
} from '../../../src/generated/cabled/driver/v1/driver.js';
import { makeConnection, makeStatus } from '../api/fake-view.js';

describe('cablectl formatting', function () {
  describe('renderTable', function () {
    it('aligns columns three spaces apart, upper-cases headers, trims line ends', () => {
      const text = renderTable(
        ['name', 'status'],
        [
          ['cluster2', 'connected'],
          ['c3', 'error'],
        ],
      );
      assert.equal(text, ['NAME       STATUS', 'cluster2   connected', 'c3         error'].join('\n'));
    });

    it('shows "-" for empty cells and flattens newlines', () => {
      assert.equal(renderTable(['A', 'B', 'C'], [['', undefined, 'x\ny']]), ['A   B   C', '-   -   x y'].join('\n'));
    });

    it('renders only the header for no rows', () => {
      assert.equal(renderTable(['A', 'B'], []), 'A   B');
    });
  });

  describe('renderSections', function () {
    it('aligns values across sections and shows "-" for empty values', () => {
      const text = renderSections([
        {
          title: 'One',
          fields: [
            ['Name', 'x'],
            ['Longer label', ''],
          ],
        },
        { title: 'Two', fields: [['PID', 7]] },
      ]);
      assert.equal(text, ['One', '  Name:          x', '  Longer label:  -', 'Two', '  PID:           7'].join('\n'));
    });
  });

  describe('humanBytes', function () {
    const cases: [number, string][] = [
      [0, '0 B'],
      [512, '512 B'],
      [1023, '1023 B'],
      [1024, '1.0 KiB'],
      [1536, '1.5 KiB'],
      [20 * 1024, '20 KiB'],
      [3 * 1024 ** 2, '3.0 MiB'],
      [1024 ** 2 - 1, '1.0 MiB'],
      [5.25 * 1024 ** 3, '5.3 GiB'],
      [2 * 1024 ** 5, '2.0 PiB'],
    ];
    for (const [bytes, text] of cases) it(`${bytes} → ${text}`, () => assert.equal(humanBytes(bytes), text));
    it('shows "-" for nonsense', () => {
      assert.equal(humanBytes(-1), '-');
      assert.equal(humanBytes(Number.NaN), '-');
    });
  });

  describe('formatDuration', function () {
    const cases: [number, string][] = [
      [0, '0ms'],
      [850, '850ms'],
      [1000, '1s'],
      [45_000, '45s'],
      [60_000, '1m'],
      [192_000, '3m12s'],
      [3_600_000, '1h'],
      [7_500_000, '2h5m'],
      [90_000_000, '1d1h'],
      [-5000, '-5s'],
    ];
    for (const [ms, text] of cases) it(`${ms}ms → ${text}`, () => assert.equal(formatDuration(ms), text));
  });

  describe('formatNanos', function () {
    const cases: [number, string][] = [
      [850, '850ns'],
      [999.7, '1µs'],
      [12_300, '12.3µs'],
      [100_000, '100µs'],
      [999_700, '1ms'],
      [1_000_000, '1ms'],
      [1_500_000, '1.5ms'],
      [2_000_000_000, '2s'],
    ];
    for (const [ns, text] of cases) it(`${ns}ns → ${text}`, () => assert.equal(formatNanos(ns), text));
  });

  describe('formatAge', function () {
    it('reads "never", "just now" and "<duration> ago"', () => {
      const now = 1_700_000_000_000;
      assert.equal(formatAge(0, now), 'never');
      assert.equal(formatAge(now + 5000, now), 'just now');
      assert.equal(formatAge(now - 90_000, now), '1m30s ago');
    });
  });

  describe('domain renderers', function () {
    const now = 1_700_000_000_000;
    const connected = makeConnection('cluster2', { establishedUnixMs: now - 90_000 });
    const failing = makeConnection('cluster3', {
      status: ConnectionStatus.CONNECTION_STATUS_ERROR,
      statusMessage: 'no proposal chosen',
      usingNat: true,
    });

    it('renders the connections table like subctl, sorted by cluster', () => {
      const lines = connectionsTable([failing, connected], false, now).split('\n');
      assert.match(
        lines[0] ?? '',
        /^GATEWAY\s+CLUSTER\s+REMOTE-IP\s+NAT\s+CABLE-DRIVER\s+SUBNETS\s+STATUS\s+RTT-AVG\s+RX\s+TX$/,
      );
      assert.match(
        lines[1] ?? '',
        /^gw-cluster2\s+cluster2\s+10\.0\.0\.2\s+no\s+vxlan\s+10\.96\.0\.0\/16,10\.244\.0\.0\/16\s+connected\s+1\.5ms\s+1\.5 KiB\s+3\.0 MiB$/,
      );
      assert.match(lines[2] ?? '', /cluster3.*\byes\b.*\berror\b/);
    });

    it('adds ESTABLISHED, IKE and MESSAGE when wide, and lists SAs', () => {
      const wide = connectionsTable([connected, failing], true, now);
      assert.match(wide, /ESTABLISHED\s+IKE\s+MESSAGE/);
      assert.match(wide, /1m30s ago\s+-\s+all SAs established/, 'no IKE for a VXLAN cable');
      assert.match(wide, /no proposal chosen/);
      const sas = securityAssociationsTable([connected]);
      assert.match(sas, /^CLUSTER\s+SA\s+KIND\s+STATE/);
      assert.match(sas, /cluster2\s+route 10\.96\.0\.0\/16 via 10\.0\.0\.2\s+route\s+established/);
    });

    it('shows what IKE did for an IPsec cable: per SA, and for the cable in the wide view and the detail', () => {
      const sa = (name: string, ikeState: IkeState, state: SaState, message: string) => ({
        name,
        kind: 'esp-transport',
        state,
        message,
        rxBytes: 0,
        txBytes: 0,
        ikeState,
        ikePeer: '172.30.0.2',
      });
      const refused =
        "IKE established with 172.30.0.2; the peer refused the Child SA (TEMPORARY_FAILURE): its kernel could not install it (see the peer's status)";
      const ipsec = makeConnection('cluster2', {
        status: ConnectionStatus.CONNECTION_STATUS_ERROR,
        sas: [
          sa('c-0', IkeState.IKE_STATE_ESTABLISHED, SaState.SA_STATE_FAILED, refused),
          sa('c-1', IkeState.IKE_STATE_ESTABLISHED, SaState.SA_STATE_FAILED, refused),
        ],
      });
      assert.equal(cableIkeLabel(ipsec), 'established 172.30.0.2');
      assert.match(connectionsTable([ipsec], true, now), /(?:ago|now)\s+established 172\.30\.0\.2\s+/);
      const half = { ...ipsec, sas: [ipsec.sas[0]!, { ...ipsec.sas[1]!, ikeState: IkeState.IKE_STATE_DOWN }] };
      assert.equal(cableIkeLabel(half), '1/2 established 172.30.0.2');
      assert.equal(
        cableIkeLabel({ ...ipsec, sas: [{ ...ipsec.sas[0]!, ikeState: IkeState.IKE_STATE_DOWN }] }),
        'down 172.30.0.2',
      );
      const sas = securityAssociationsTable([ipsec]);
      assert.match(sas, /^CLUSTER\s+SA\s+KIND\s+STATE\s+IKE\s+RX/);
      assert.match(sas, /c-0\s+esp-transport\s+failed\s+established\s+.*the peer refused the Child SA/);
      assert.match(connectionDetail(ipsec, now), /IKE:\s+established 172\.30\.0\.2/);
    });

    it('names every capability, batch included, instead of a number', () => {
      assert.equal(capabilityLabel(Capability.CAPABILITY_BATCH), 'batch');
      assert.equal(capabilityLabel(Capability.CAPABILITY_NAT_TRAVERSAL), 'nat-traversal');
      assert.equal(capabilityLabel(99 as Capability), 'capability-99');
      const status = makeStatus();
      status.driver!.capabilities = [Capability.CAPABILITY_WATCH_CONNECTIONS, Capability.CAPABILITY_BATCH];
      assert.match(statusText(status, now), /Capabilities:\s+watch-connections, batch\n/);
      assert.doesNotMatch(statusText(status, now), /capability-\d/);
    });

    it('shows "-" for RX and TX when the driver does not collect them (no CAPABILITY_TRAFFIC_COUNTERS)', () => {
      const status = makeStatus();
      assert.equal(collectsTraffic(status), true);
      status.driver!.capabilities = [Capability.CAPABILITY_WATCH_CONNECTIONS];
      assert.equal(collectsTraffic(status), false);
      const zero = makeConnection('cluster2', { rxBytes: 0, txBytes: 0 });
      const row = connectionsTable([zero], false, now, collectsTraffic(status)).split('\n')[1] ?? '';
      assert.match(row, /connected\s+1\.5ms\s+-\s+-$/);
      assert.doesNotMatch(row, /0 B/);
      assert.match(connectionDetail(zero, now, false), /Traffic:\s+not collected by this driver/);
      assert.match(connectionsTable([zero], false, now, true), /0 B\s+0 B/);
    });

    it('renders the status with driver, rejected endpoints and config', () => {
      const text = statusText(makeStatus(), now);
      assert.match(text, /Version:\s+0\.1\.0-test/);
      assert.match(text, /PID:\s+4242/);
      assert.match(text, /Capabilities:\s+watch-connections, traffic-counters/);
      assert.match(text, /Rejected endpoints \(1\)\n {2}- cluster9/);
      assert.match(text, /reconcileInterval:\s+30s/);
      assert.doesNotMatch(text, /Endpoint sources failing/);
    });

    it('renders failing endpoint sources with what to do', () => {
      const text = statusText(
        {
          ...makeStatus(),
          endpointSourceErrors: ['Kubernetes Endpoint resources: 403 Forbidden; grant get, list and watch'],
        },
        now,
      );
      assert.match(
        text,
        /Endpoint sources failing \(the last good endpoints stay in force\)\n {2}- Kubernetes Endpoint resources: 403 Forbidden; grant get/,
      );
    });

    it('renders superseded endpoints, address-space conflicts and endpoint warnings', () => {
      const text = statusText(
        {
          ...makeStatus(),
          supersededEndpoints: ['submariner-cable-c3-10-0-0-13 (f[1]): superseded by submariner-cable-c3-10-0-0-3'],
          endpointConflicts: ['cluster c4 (x): subnets not installed: 10.2.0.0/16 overlaps 10.2.0.0/16 of cluster c2'],
          endpointWarnings: ['f[2] (cluster_id "c5"): backend_config.udp-port="x": not an integer'],
        },
        now,
      );
      assert.match(
        text,
        /Superseded endpoints \(another endpoint of the same cluster is in use\) \(1\)\n {2}- submariner-cable-c3/,
      );
      assert.match(text, /Address space held by another cluster \(not installed\) \(1\)\n {2}- cluster c4/);
      assert.match(text, /Endpoint warnings \(values left out, as Submariner does\) \(1\)\n {2}- f\[2\]/);
    });

    it('renders a watch event as one line', () => {
      const line = eventLine({ kind: ConnectionEvent_Kind.KIND_ADDED, connection: failing }, now);
      assert.match(line, /^2023-11-14T22:13:20\.000Z {2}ADDED {5}cluster3 {10}error {7}no proposal chosen$/);
    });
  });
});
