/**
 * The contract between the host side of the end-to-end harness (which boots
 * the guest) and the guest program (which runs the scenarios inside it): the
 * job the host writes into the results share, and the result the guest
 * writes back as `result.json`. Plain JSON, no classes.
 */

/** A scenario the guest program knows how to run. */
export type ScenarioName = 'vxlan' | 'transport' | 'tunnel' | 'transport-host' | 'ha-transport';

/** What the host asks the guest to do (`job.json` in the results share). */
export interface GuestJob {
  /** Run sequentially, namespaces cleaned between them. */
  scenarios: ScenarioName[];
  /** Also run iperf3 (5 s TCP) in each scenario. */
  perf: boolean;
  /** For `transport`: also stop one pluto and check that VXLAN fails closed. */
  failClosed: boolean;
  /** For `transport`: also kill side A's engine under a continuous ping and start it again. */
  restart?: boolean;
  /** For `transport`: also SIGKILL side A's pluto and measure how long until the cable is back. */
  plutoKill?: boolean;
  /** For `transport`: also kill gateway B's engine and pluto (SIGKILL), start its engine again, and wait for both sides. */
  peerRestart?: boolean;
}

/** DF pings at the overlay's MTU limit (issue item 4). */
export interface MtuResult {
  /** MTU of the VXLAN device in namespace A. */
  mtu: number;
  /** `ping -M do` with the largest payload the MTU allows (mtu - 28). */
  fits: PingResult;
  /** One byte more: must be refused locally ("message too long"), not sent and dropped. */
  tooBig: PingResult;
  tooBigOutput: string;
}

/** The pluto-killed phase: side A's pluto SIGKILLed; the driver restarts it and re-adds its connections. */
export interface PlutoKillResult {
  pidBefore: number;
  pidAfter: number;
  /** Seconds from the kill until cablectl showed the cable connected again (both SAs established). */
  recoveredS: number;
  pingAfter: PingResult;
}

/** The engine-restart phase: SIGKILL and restart of side A's engine under a 20/s ping. */
export interface RestartResult {
  ping: PingResult;
  /** ESP SPIs in namespace A before and after. */
  spisBefore: string[];
  spisAfter: string[];
  plutoPidBefore: number;
  plutoPidAfter: number;
  /** Seconds from the restart until the engine was in sync again. */
  backInSyncS: number;
}

/**
 * The proposal-change phase (issue 12, item 1): both sides' ConfigMaps get a
 * new ceIPSecEsp under a 20/s ping; the engines reload it and replace the
 * connection. Lost pings are the outage.
 */
export interface EspChangeResult {
  /** The ceIPSecEsp written on both sides. */
  esp: string;
  /** ESP algorithms of side A's SAs before and after (names only, never keys). */
  algorithmsBefore: string[];
  algorithmsAfter: string[];
  /** Seconds from the write until both cables were connected again with SAs of the new algorithms. */
  reconnectedS: number;
  /** The 20/s ping from before the write until after the reconnect. */
  ping: PingResult;
  /** The longest run of unanswered pings, in seconds (from icmp_seq gaps). */
  longestGapS: number;
  /** The wire during the change (egress captures on both veth ends): clear ICMP between the subnets means fail-open. */
  wire?: WireCounts;
}

/**
 * The peer-restart phase: gateway B's engine and pluto both SIGKILLed (B is
 * the IKE responder of the pair, the side that cannot bring the pair back by
 * initiating), B's engine started again; B's kernel state stays, as in a pod
 * restart.
 */
export interface PeerRestartResult {
  pidBefore: number;
  pidAfter: number;
  /** Seconds from the kill until B's engine reported its cable connected again (its new pluto holds both SAs). */
  bConnectedS: number;
  /** Seconds from the kill until both engines reported the cable connected. */
  bothConnectedS: number;
  pingAtoB: PingResult;
  pingBtoA: PingResult;
  /** ESP SPIs in namespace A before and after (renegotiated: they differ). */
  spisBefore: string[];
  spisAfter: string[];
}

/**
 * The host-pluto scenario: in each namespace a pluto started by the test
 * (standing in for the host's ipsec.service, holding a connection of "the
 * host's own") serves that namespace's engine in host mode.
 */
export interface HostModeResult {
  /** Host pluto pids (A, B) when the cables first connected, and at the end. */
  plutoPids: number[];
  plutoPidsAfter: number[];
  /** The host's own connection in each host pluto, before and after the engine's restart and stop. */
  foreignBefore: boolean[];
  foreignAfter: boolean[];
  /** Engine A SIGKILLed and started again under a 20/s ping. */
  restart: RestartResult;
  /** Connections host pluto A still holds after engine A was stopped (SIGTERM, no cleanup). */
  loadedAfterStop: string[];
  /** Pings across the overlay with engine A stopped. */
  pingAfterStop: PingResult;
}

/** Packet counts per class, from `tcpdump -Q out` captures (one line per packet). */
export interface WireCounts {
  /** Outer UDP to or from port 4789: VXLAN in the clear. */
  clearVxlan: number;
  /** IP protocol 50. */
  esp: number;
  /** UDP 4500 with a non-zero SPI (not the non-ESP marker): ESP in UDP. */
  espInUdp: number;
  /** IKE: UDP 500, or UDP 4500 behind the non-ESP marker. */
  ike: number;
  /** Outer UDP to port 5555 (the clear probe). */
  clearUdp5555: number;
  /** Outer ICMP between 10.1.0.0/16 and 10.2.0.0/16 (clear pod traffic). */
  clearIcmpSubnets: number;
  /** Outer ICMP of any kind. */
  icmp: number;
  /** Every packet captured. */
  total: number;
}

/** One ping run. */
export interface PingResult {
  from: string;
  to: string;
  transmitted: number;
  received: number;
}

/** One SA of one cable, as cablectl printed it. */
export interface SaReading {
  name: string;
  kind: string;
  state: string;
  rxBytes: number;
  txBytes: number;
}

/** One cable, as cablectl printed it (`connections -o json`). */
export interface ConnectionReading {
  /** Seconds since the scenario started. */
  at: number;
  status: string;
  statusMessage: string;
  rxBytes: number;
  txBytes: number;
  sas: SaReading[];
}

/** One iperf3 TCP run. */
export interface IperfResult {
  path: string;
  mbps: number;
  retransmits: number;
  seconds: number;
  /** Set when the run failed. */
  error?: string;
}

/** What the fail-closed phase measured. */
export interface FailClosedResult {
  /** How the pluto was stopped. */
  how: string;
  pingAtoB: PingResult;
  pingBtoA: PingResult;
  wire: WireCounts;
}

/** One wait of the guest: how long it took, against its ceiling (kept at least 3x the time on an idle machine). */
export interface WaitRecord {
  what: string;
  seconds: number;
  ceilingS: number;
}

/**
 * Where the time went on one side between "engines started" and "both cables
 * connected": seconds after the engines were started at which each step was
 * logged. Absent: not seen (e.g. no pluto with the VXLAN driver).
 */
export interface StartBreakdown {
  side: string;
  /** The engine process is up: Node started, the gateway's modules loaded, flags parsed. */
  gatewayStarting?: number;
  /** The driver process printed its handshake. */
  driverServing?: number;
  /** The engine connected to the driver and checked its health. */
  driverReady?: number;
  /** The engine API answers. */
  apiServing?: number;
  /** pluto's first log line (own mode). */
  plutoStarted?: number;
  /** The first IKE_SA_INIT, sent or received. */
  ikeInitiated?: number;
  /** The first Child SA established. */
  ikeEstablished?: number;
  /** The driver installed the cable (after its connections were added and, libreswan, initiated). */
  cableInstalled?: number;
}

/**
 * The HA scenario (`ha-transport`): two cluster1 gateways electing through the
 * API stand-in, VXLAN over transport mode towards one cluster2 gateway.
 * Seconds are from the crash or the stop; -1: not reached.
 */
export interface FailoverResult {
  /** Every process of the active gateway's namespace SIGKILLed: to the first ping answered through the standby. */
  crashS: number;
  /** ... to the standby reporting itself active (lease expiry bounds it). */
  crashActiveS: number;
  /** SIGTERM of the active gateway (it releases the Lease): to the first ping answered through the other. */
  gracefulS: number;
  gracefulActiveS: number;
  /** Role samples (one a second) in which both cluster1 gateways said active, and how many samples. */
  bothActive: number;
  samples: number;
  /** Each cluster1 gateway's HA role and message at the end, as its API reports it. */
  statusLines: string[];
  /** `ip xfrm state` in cluster2's namespace once the ping went through the new gateway after the crash. */
  xfrmAfterCrash: string;
  /** The cluster1 gateway elected first ('a' or 'b'; the three engines start at once): crashed, then back as standby. */
  first: string;
  /** Where each handover's time went, from the gateways' own logs (test/e2e/guest/handover.ts). */
  crashSteps: HandoverStep[];
  gracefulSteps: HandoverStep[];
}

/** One step of a handover: seconds after the crash or stop. */
export interface HandoverStep {
  what: string;
  s: number;
}

/** Everything one scenario measured. */
export interface ScenarioResult {
  name: ScenarioName;
  /** False when the scenario threw; `error` says why. Measurements taken before remain. */
  completed: boolean;
  error?: string;
  /** Seconds, per step (e.g. `engines connected`). */
  timings: Record<string, number>;
  /** Every wait of the scenario, with its ceiling. */
  waits: WaitRecord[];
  /** Per side, where the time to "both cables connected" went. */
  breakdown?: StartBreakdown[];
  pings: PingResult[];
  /** Summed over both veth ends, captured from before the engines started until after the probes. */
  wire?: WireCounts;
  /** Per veth end (`a`, `b`). */
  wirePerEnd?: Record<string, WireCounts>;
  /** Side A's cable towards B, read twice with pings in between. */
  connections: ConnectionReading[];
  /** `ip xfrm state` in namespace A. */
  xfrmState?: string;
  /** `ip xfrm policy` in namespace A. */
  xfrmPolicy?: string;
  /** Notes on what the test had to do itself (e.g. a route the driver did not add). */
  notes: string[];
  failClosed?: FailClosedResult;
  restart?: RestartResult;
  plutoKill?: PlutoKillResult;
  peerRestart?: PeerRestartResult;
  hostMode?: HostModeResult;
  espChange?: EspChangeResult;
  failover?: FailoverResult;
  mtu?: MtuResult;
  iperf: IperfResult[];
}

/** `result.json`: written by the guest after every scenario. */
export interface GuestResult {
  kernel: string;
  /** `whack --version` as the guest sees it ("Libreswan 4.10"; the CI matrix runs qemu under 5.4). */
  libreswan?: string;
  startedAt: string;
  /** Seconds from guest program start to the last write. */
  elapsed: number;
  /** True once every scenario ran (successfully or not). */
  finished: boolean;
  scenarios: ScenarioResult[];
}
