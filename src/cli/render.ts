/**
 * How cablectl shows gateway objects as text: connection tables (like
 * `subctl show connections`), one connection in detail, the gateway status,
 * watch event lines. Pure: data in, text out.
 */
import {
  Capability,
  ConnectionEvent_Kind,
  ConnectionStatus,
  IkeState,
  SaState,
  type Connection,
  type ConnectionEvent,
  type SecurityAssociation,
} from '../generated/cabled/driver/v1/driver.js';
import type { GatewayStatus } from '../generated/cabled/engine/v1/engine.js';
import {
  formatAge,
  formatNanos,
  humanBytes,
  renderSections,
  renderTable,
  yesNo,
  type Cell,
  type Section,
} from './format.js';

/** "connected", "connecting", "error", "none" (subctl's words). */
export function connectionStatusLabel(s: ConnectionStatus): string {
  switch (s) {
    case ConnectionStatus.CONNECTION_STATUS_CONNECTED:
      return 'connected';
    case ConnectionStatus.CONNECTION_STATUS_CONNECTING:
      return 'connecting';
    case ConnectionStatus.CONNECTION_STATUS_ERROR:
      return 'error';
    case ConnectionStatus.CONNECTION_STATUS_NONE:
      return 'none';
    default:
      return 'unknown';
  }
}

/** "established", "pending", "failed", "absent". */
export function saStateLabel(s: SaState): string {
  const labels: Partial<Record<SaState, string>> = {
    [SaState.SA_STATE_ESTABLISHED]: 'established',
    [SaState.SA_STATE_PENDING]: 'pending',
    [SaState.SA_STATE_FAILED]: 'failed',
    [SaState.SA_STATE_ABSENT]: 'absent',
  };
  return labels[s] ?? 'unknown';
}

/** "established", "negotiating", "down", "" (not an IPsec SA). */
export function ikeStateLabel(s: IkeState): string {
  const labels: Partial<Record<IkeState, string>> = {
    [IkeState.IKE_STATE_ESTABLISHED]: 'established',
    [IkeState.IKE_STATE_NEGOTIATING]: 'negotiating',
    [IkeState.IKE_STATE_DOWN]: 'down',
  };
  return labels[s] ?? '';
}

/**
 * The IKE state of a cable, from its SAs: "established 172.30.0.2" when every
 * IPsec SA's IKE SA is up, "1/2 established 172.30.0.2" when some are,
 * "negotiating ..." / "down ..." otherwise; "" for drivers without IKE.
 */
export function cableIkeLabel(c: Connection): string {
  const ipsec = c.sas.filter((sa) => sa.ikeState !== IkeState.IKE_STATE_UNSPECIFIED);
  if (!ipsec.length) return '';
  const peer = ipsec.find((sa) => sa.ikePeer)?.ikePeer;
  const up = ipsec.filter((sa) => sa.ikeState === IkeState.IKE_STATE_ESTABLISHED).length;
  const word =
    up === ipsec.length
      ? 'established'
      : up > 0
        ? `${up}/${ipsec.length} established`
        : ipsec.some((sa) => sa.ikeState === IkeState.IKE_STATE_NEGOTIATING)
          ? 'negotiating'
          : 'down';
  return peer ? `${word} ${peer}` : word;
}

/**
 * "watch-connections", "traffic-counters", "encryption", "nat-traversal",
 * "batch": the enum name without its prefix, so a new capability is named
 * too; only a number this cablectl does not know stays a number.
 */
export function capabilityLabel(c: Capability): string {
  const name = Capability[c] as string | undefined;
  if (!name || c === Capability.UNRECOGNIZED) return `capability-${c}`;
  return name
    .replace(/^CAPABILITY_/, '')
    .toLowerCase()
    .replaceAll('_', '-');
}

/**
 * Whether the driver collects rx/tx bytes (CAPABILITY_TRAFFIC_COUNTERS). A
 * driver without it reports 0, which must not read as "no traffic": its
 * counters show as "-". Unknown (no status) counts as collected.
 */
export function collectsTraffic(status: GatewayStatus | undefined): boolean {
  const caps = status?.driver?.capabilities;
  return caps === undefined || caps.includes(Capability.CAPABILITY_TRAFFIC_COUNTERS);
}

/** Byte count, or "-" when the driver does not collect it. */
function trafficCell(bytes: number, collected: boolean): string {
  return collected ? humanBytes(bytes) : '-';
}

/** "SNAPSHOT", "ADDED", "UPDATED", "REMOVED". */
export function eventKindLabel(k: ConnectionEvent_Kind): string {
  return ConnectionEvent_Kind[k]?.replace(/^KIND_/, '') ?? 'UNKNOWN';
}

function remoteIp(c: Connection): string {
  return c.usingIp || c.endpoint?.privateIp || c.endpoint?.publicIp || '';
}

function byCluster(connections: readonly Connection[]): Connection[] {
  const key = (c: Connection): string => `${c.endpoint?.clusterId ?? ''}\u0000${c.endpoint?.cableName ?? ''}`;
  return [...connections].sort((a, b) => key(a).localeCompare(key(b)));
}

/**
 * The connections table; `wide` adds ESTABLISHED, IKE (IPsec drivers) and MESSAGE columns. RX and
 * TX show "-" when the driver does not collect them (`traffic` false).
 */
export function connectionsTable(
  connections: readonly Connection[],
  wide: boolean,
  now: number = Date.now(),
  traffic = true,
): string {
  const headers = [
    'GATEWAY',
    'CLUSTER',
    'REMOTE-IP',
    'NAT',
    'CABLE-DRIVER',
    'SUBNETS',
    'STATUS',
    'RTT-AVG',
    'RX',
    'TX',
  ];
  if (wide) headers.push('ESTABLISHED', 'IKE', 'MESSAGE');
  const rows = byCluster(connections).map((c) => {
    const row: Cell[] = [
      c.endpoint?.hostname,
      c.endpoint?.clusterId,
      remoteIp(c),
      yesNo(c.usingNat),
      c.endpoint?.backend,
      c.endpoint?.subnets.join(','),
      connectionStatusLabel(c.status),
      c.latencyRtt?.averageNs ? formatNanos(c.latencyRtt.averageNs) : '',
      trafficCell(c.rxBytes, traffic),
      trafficCell(c.txBytes, traffic),
    ];
    if (wide) row.push(formatAge(c.establishedUnixMs, now), cableIkeLabel(c), c.statusMessage);
    return row;
  });
  return renderTable(headers, rows);
}

/** Every SA of every connection, one row each, led by the cluster it belongs to. */
export function securityAssociationsTable(connections: readonly Connection[]): string {
  const rows = byCluster(connections).flatMap((c) => c.sas.map((sa) => [c.endpoint?.clusterId, ...saCells(sa)]));
  return renderTable(['CLUSTER', 'SA', 'KIND', 'STATE', 'IKE', 'RX', 'TX', 'MESSAGE'], rows);
}

function saCells(sa: SecurityAssociation): Cell[] {
  return [
    sa.name,
    sa.kind,
    saStateLabel(sa.state),
    ikeStateLabel(sa.ikeState),
    humanBytes(sa.rxBytes),
    humanBytes(sa.txBytes),
    sa.message,
  ];
}

/** One connection in detail: where it goes, how it is, and every SA behind it. */
export function connectionDetail(c: Connection, now: number = Date.now(), traffic = true): string {
  const e = c.endpoint;
  const rtt = c.latencyRtt;
  const fields: [string, Cell][] = [
    ['Cluster', e?.clusterId],
    ['Cable', e?.cableName],
    ['Gateway', e?.hostname],
    ['Status', connectionStatusLabel(c.status)],
    ['Message', c.statusMessage],
    ['Cable driver', e?.backend],
    ['Remote IP', `${remoteIp(c)} (private ${e?.privateIp || '-'}, public ${e?.publicIp || '-'})`],
    ['NAT', `${yesNo(c.usingNat)} (endpoint NAT ${e?.natEnabled ? 'enabled' : 'disabled'})`],
    ['Subnets', e?.subnets.join(', ')],
    ['Established', formatAge(c.establishedUnixMs, now)],
    [
      'RTT',
      rtt?.averageNs
        ? `avg ${formatNanos(rtt.averageNs)}, last ${formatNanos(rtt.lastNs)}, min ${formatNanos(rtt.minNs)}, max ${formatNanos(rtt.maxNs)}, stddev ${formatNanos(rtt.stddevNs)}`
        : '',
    ],
    ['Traffic', traffic ? `rx ${humanBytes(c.rxBytes)}, tx ${humanBytes(c.txBytes)}` : 'not collected by this driver'],
  ];
  const ike = cableIkeLabel(c);
  if (ike) fields.splice(5, 0, ['IKE', ike]);
  const backendConfig = Object.entries(e?.backendConfig ?? {}).map(([k, v]) => `${k}=${v}`);
  if (backendConfig.length) fields.push(['Backend config', backendConfig.join(', ')]);
  const head = renderSections([{ title: `Connection to ${e?.clusterId || '?'}`, fields }]);
  const sas = c.sas.length
    ? renderTable(['SA', 'KIND', 'STATE', 'IKE', 'RX', 'TX', 'MESSAGE'], c.sas.map(saCells))
    : '  (none reported)';
  return `${head}\n\nSecurity associations (${c.sas.length})\n${sas}`;
}

/** The gateway status: version, HA, local endpoint, driver, reconcile, config and problems. */
export function statusText(s: GatewayStatus, now: number = Date.now()): string {
  const e = s.localEndpoint;
  const d = s.driver;
  const sections: Section[] = [
    {
      title: 'Gateway',
      fields: [
        ['Version', s.version],
        ['HA status', s.ha ? `${s.haStatus} (${s.ha.role})` : s.haStatus],
        ['Health', s.statusFailure ? `failing: ${s.statusFailure}` : 'ok'],
      ],
    },
    {
      title: 'Local endpoint',
      fields: [
        ['Cluster', e?.clusterId],
        ['Cable', e?.cableName],
        ['Hostname', e?.hostname],
        ['Private IP', e?.privateIp],
        ['Public IP', e?.publicIp],
        ['NAT', e ? yesNo(e.natEnabled) : ''],
        ['Subnets', e?.subnets.join(', ')],
      ],
    },
    {
      title: 'Driver',
      fields: d
        ? [
            ['Name', d.name],
            ['Version', d.version],
            ['State', d.state],
            ['PID', d.pid ? String(d.pid) : 'external'],
            ['Restarts', String(d.restarts)],
            ['Capabilities', d.capabilities.map(capabilityLabel).join(', ')],
            ['Socket', d.socket],
            ...(d.lastError ? [['Last error', d.lastError] as const] : []),
          ]
        : [['State', 'no driver']],
    },
    {
      title: 'Reconcile',
      fields: [
        ['Desired endpoints', String(s.desiredEndpoints)],
        [
          'Last reconcile',
          s.lastReconcileUnixMs
            ? `${formatAge(s.lastReconcileUnixMs, now)} (${new Date(s.lastReconcileUnixMs).toISOString()})`
            : 'never',
        ],
        ['In sync', yesNo(s.inSync)],
      ],
    },
  ];
  if (s.ha) {
    const ha = s.ha;
    sections.push({
      title: 'Leader election',
      fields: [
        ['Role', ha.role],
        ['Active gateway', ha.leader ? `${ha.leader}${ha.leader === ha.identity ? ' (this gateway)' : ''}` : 'none'],
        ['Why', ha.message],
        [
          'Since',
          ha.sinceUnixMs ? `${formatAge(ha.sinceUnixMs, now)} (${new Date(ha.sinceUnixMs).toISOString()})` : '',
        ],
        ['Lease', ha.lease],
        ['Identity', ha.identity],
        ...(ha.lastError ? [['Last API error', ha.lastError] as const] : []),
      ],
    });
  }
  const config = Object.entries(s.config).sort(([a], [b]) => a.localeCompare(b));
  sections.push({
    title: 'Config',
    fields: config.length ? config.map(([k, v]) => [k, v] as const) : [['(none)', '']],
  });
  if (s.configError) sections.push({ title: 'Config error', fields: [['Reload failed', s.configError]] });
  let text = renderSections(sections);
  if (s.rejectedEndpoints.length) {
    text += `\nRejected endpoints (${s.rejectedEndpoints.length})\n${s.rejectedEndpoints.map((r) => `  - ${r}`).join('\n')}`;
  }
  const list = (title: string, items: readonly string[]): string =>
    items.length ? `\n${title} (${items.length})\n${items.map((r) => `  - ${r}`).join('\n')}` : '';
  text += list('Superseded endpoints (another endpoint of the same cluster is in use)', s.supersededEndpoints);
  text += list('Address space held by another cluster (not installed)', s.endpointConflicts);
  text += list('Endpoint warnings (values left out, as Submariner does)', s.endpointWarnings);
  if (s.endpointSourceErrors.length) {
    text += `\nEndpoint sources failing (the last good endpoints stay in force)\n${s.endpointSourceErrors.map((r) => `  - ${r}`).join('\n')}`;
  }
  return text;
}

/** One watch event as a line: time, kind, cluster, status, message. */
export function eventLine(event: ConnectionEvent, now: number = Date.now()): string {
  const c = event.connection;
  const cells = [
    new Date(now).toISOString(),
    eventKindLabel(event.kind).padEnd(8),
    (c?.endpoint?.clusterId || '-').padEnd(16),
    (c ? connectionStatusLabel(c.status) : '-').padEnd(10),
    c?.statusMessage ?? '',
  ];
  return cells.join('  ').trimEnd();
}
