/**
 * A local HTTP server that answers like the Kubernetes API server for what
 * cabled uses: nodes and pods (GET, PATCH with a JSON merge patch) and Submariner
 * Endpoints (list, per namespace or across all, and ?watch=true streams of
 * JSON lines {type, object}). It keeps a resourceVersion counter and an event
 * history, so a watch from an old resourceVersion replays what it missed;
 * after compact(), such a watch gets a 410 Expired ERROR event, as etcd
 * compaction causes. dropWatches() cuts open watch connections, endWatches()
 * ends them cleanly (the API server's watch timeout). Every request is
 * recorded so tests can assert what the client asked for.
 *
 * Writes, as the API server does them (for leader election and publication):
 * coordination.k8s.io/v1 Leases and submariner.io/v1 Gateways and Endpoints
 * can be created (POST: 409 AlreadyExists when present; the server sets
 * resourceVersion, uid and creationTimestamp), replaced (PUT: 404 when
 * absent, 409 Conflict when metadata.resourceVersion is not the stored one;
 * optimistic concurrency) and deleted. Leases can be watched
 * (fieldSelector metadata.name=...; an ADDED event of the current object
 * first, as a watch without resourceVersion does). setReachable(false)
 * makes the server hang: requests get no answer (clients must time out) and
 * watches get no events, until setReachable(true) cuts what is left open.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigForServer } from '../../src/kube/index.js';

type Obj = Record<string, unknown>;

/** One request the server received. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType?: string;
  readonly body?: unknown;
}

interface WatchEvent {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: Obj;
}

interface OpenWatch {
  readonly res: ServerResponse;
  readonly namespace?: string;
}

const ENDPOINTS = /^\/apis\/submariner\.io\/v1(?:\/namespaces\/([^/]+))?\/endpoints$/;
const ENDPOINT_ITEM = /^\/apis\/submariner\.io\/v1\/namespaces\/([^/]+)\/endpoints\/([^/]+)$/;
const LEASES = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/;
const GATEWAYS = /^\/apis\/submariner\.io\/v1\/namespaces\/([^/]+)\/gateways(?:\/([^/]+))?$/;

/** A collection the generic write handler serves. */
interface Collection {
  readonly resource: string;
  readonly items: Map<string, Obj>;
  readonly changed: (type: WatchEvent['type'], object: Obj) => void;
}

interface OpenLeaseWatch {
  readonly res: ServerResponse;
  readonly namespace: string;
  readonly name?: string;
}
const NODE = /^\/api\/v1\/nodes\/([^/]+)$/;
const POD = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/;

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Obj =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Obj) } : {};
  for (const [k, v] of Object.entries(patch as Obj)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly nodes = new Map<string, Obj>();
  private readonly pods = new Map<string, Obj>();
  private readonly endpoints = new Map<string, Obj>();
  private readonly history: WatchEvent[] = [];
  private readonly watches = new Set<OpenWatch>();
  private readonly failures: { method: string; path: RegExp; status: number }[] = [];
  private readonly leases = new Map<string, Obj>();
  private readonly gateways = new Map<string, Obj>();
  private readonly leaseWatches = new Set<OpenLeaseWatch>();
  private reachable = true;
  private readonly held = new Set<ServerResponse>();
  private uid = 0;
  private rv = 100;
  /** Watches from a resourceVersion below this get 410 Expired. */
  private oldestRv = 0;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Listens on `host` (default 127.0.0.1) on a free port. */
  async start(host = '127.0.0.1'): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, host, resolve));
  }

  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address}:${port}`;
  }

  /**
   * A kubeconfig file's text pointing at this server (for processes started
   * by tests); `server` when they reach it by another address (listening on 0.0.0.0).
   */
  kubeconfigText(server: string = this.url): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'current-context: fake',
      `clusters: [{name: fake, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: fake, user: {}}]',
      'contexts: [{name: fake, context: {cluster: fake, user: fake}}]',
      '',
    ].join('\n');
  }

  /** A client configuration pointing at this server. */
  kubeConfig(): KubeConfig {
    return kubeConfigForServer(this.url);
  }

  async close(): Promise<void> {
    for (const w of this.watches) w.res.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Adds a node with these labels and annotations. */
  addNode(name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): void {
    this.nodes.set(name, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels, annotations, resourceVersion: String(++this.rv) },
    });
  }

  /** Adds a pod (the gateway's own, whose labels it patches). */
  addPod(namespace: string, name: string, labels: Record<string, string> = {}): void {
    this.pods.set(`${namespace}/${name}`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels, resourceVersion: String(++this.rv) },
    });
  }

  /** The pod as stored. */
  pod(namespace: string, name: string): Obj | undefined {
    const p = this.pods.get(`${namespace}/${name}`);
    return p && clone(p);
  }

  /** The node as stored. */
  node(name: string): Obj | undefined {
    const n = this.nodes.get(name);
    return n && clone(n);
  }

  /** Creates or replaces an Endpoint (metadata.namespace/name), telling open watches. */
  putEndpoint(object: Obj): void {
    const meta = object.metadata as Obj;
    const key = `${String(meta.namespace)}/${String(meta.name)}`;
    const type = this.endpoints.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = clone({ ...object, metadata: { ...meta, resourceVersion: String(++this.rv) } });
    this.endpoints.set(key, stored);
    this.emit({ rv: this.rv, type, object: stored });
  }

  /** Deletes an Endpoint, telling open watches. */
  deleteEndpoint(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const old = this.endpoints.get(key);
    if (!old) return;
    this.endpoints.delete(key);
    const meta = old.metadata as Obj;
    this.emit({
      rv: ++this.rv,
      type: 'DELETED',
      object: { ...old, metadata: { ...meta, resourceVersion: String(this.rv) } },
    });
  }

  /** Forgets the history: a later watch from an older resourceVersion gets 410 Expired. */
  compact(): void {
    this.oldestRv = this.rv + 1;
    this.history.length = 0;
  }

  /** Cuts every open watch connection (no clean end), as a broken network or a restarted API server does. */
  dropWatches(): void {
    for (const w of this.watches) w.res.socket?.destroy();
    this.watches.clear();
  }

  /** Ends every open watch cleanly, as the API server does when a watch times out. */
  endWatches(): void {
    for (const w of this.watches) w.res.end();
    this.watches.clear();
  }

  /** Open watch connections. */
  get openWatches(): number {
    return this.watches.size;
  }

  /** A Lease as stored (namespace/name), or undefined. */
  lease(namespace: string, name: string): Obj | undefined {
    const l = this.leases.get(`${namespace}/${name}`);
    return l && clone(l);
  }

  /** Every Gateway resource in `namespace`. */
  gatewayObjects(namespace: string): Obj[] {
    return [...this.gateways.values()].filter((g) => (g.metadata as Obj).namespace === namespace).map(clone);
  }

  /** Every Endpoint resource stored (all namespaces). */
  endpointObjects(): Obj[] {
    return [...this.endpoints.values()].map(clone);
  }

  /**
   * false: the server hangs, as an API server behind a dead network does:
   * requests are held without an answer, watches get no events. true again:
   * what was held is cut (its clients have given up) and every watch is
   * dropped, so clients re-watch and catch up.
   */
  setReachable(reachable: boolean): void {
    this.reachable = reachable;
    if (!reachable) return;
    for (const res of this.held) res.socket?.destroy();
    this.held.clear();
    this.dropWatches();
    for (const w of this.leaseWatches) w.res.socket?.destroy();
    this.leaseWatches.clear();
  }

  /** The next request matching method and path gets this HTTP status (a Status body). */
  failNext(method: string, path: RegExp, status: number): void {
    this.failures.push({ method, path, status });
  }

  private emit(event: WatchEvent): void {
    this.history.push(event);
    if (!this.reachable) return;
    for (const w of this.watches) this.send(w, event);
  }

  private send(w: OpenWatch, e: WatchEvent): void {
    const ns = (e.object.metadata as Obj).namespace;
    if (w.namespace !== undefined && ns !== w.namespace) return;
    w.res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
    this.requests.push(record);
    if (!this.reachable) {
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    const failure = this.failures.findIndex((f) => f.method === record.method && f.path.test(record.path));
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      return this.status(res, f?.status ?? 500, 'Injected', 'injected failure');
    }
    const ep = ENDPOINTS.exec(url.pathname);
    if (ep && record.method === 'GET') {
      const ns = ep[1];
      return record.query.watch === 'true' || record.query.watch === '1'
        ? this.watch(res, ns, record.query.resourceVersion)
        : this.list(res, ns);
    }
    const node = NODE.exec(url.pathname);
    if (node?.[1]) return this.patchable(res, this.nodes, node[1], `nodes "${node[1]}"`, record);
    const pod = POD.exec(url.pathname);
    if (pod?.[2]) return this.patchable(res, this.pods, `${pod[1]}/${pod[2]}`, `pods "${pod[2]}"`, record);
    const lease = LEASES.exec(url.pathname);
    if (lease?.[1]) {
      if (record.method === 'GET' && !lease[2] && (record.query.watch === 'true' || record.query.watch === '1'))
        return this.watchLeases(res, lease[1], record.query.fieldSelector);
      return void this.write(res, this.leaseCollection(), lease[1], lease[2], record);
    }
    const gateway = GATEWAYS.exec(url.pathname);
    if (gateway?.[1]) return this.write(res, this.gatewayCollection(), gateway[1], gateway[2], record);
    const item = ENDPOINT_ITEM.exec(url.pathname);
    if (item?.[1]) return this.write(res, this.endpointCollection(), item[1], item[2], record);
    if (ep?.[1] && record.method === 'POST')
      return this.write(res, this.endpointCollection(), ep[1], undefined, record);
    this.status(
      res,
      404,
      'NotFound',
      `the server could not find the requested resource (${record.method} ${url.pathname})`,
    );
  }

  private list(res: ServerResponse, ns: string | undefined): void {
    const items = [...this.endpoints.values()].filter((o) => ns === undefined || (o.metadata as Obj).namespace === ns);
    this.json(res, 200, {
      apiVersion: 'submariner.io/v1',
      kind: 'EndpointList',
      metadata: { resourceVersion: String(this.rv) },
      items,
    });
  }

  private watch(res: ServerResponse, ns: string | undefined, from: string | undefined): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const w: OpenWatch = { res, namespace: ns };
    const since = Number(from ?? '0');
    if (from && since < this.oldestRv - 1) {
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${since} (${this.oldestRv})` } })}\n`,
      );
      return;
    }
    for (const e of this.history) if (e.rv > since) this.send(w, e);
    this.watches.add(w);
    res.on('close', () => this.watches.delete(w));
  }

  /** GET, and PATCH with a JSON merge patch, of a node or a pod. */
  private patchable(
    res: ServerResponse,
    items: Map<string, Obj>,
    key: string,
    what: string,
    req: RecordedRequest,
  ): void {
    const node = items.get(key);
    if (!node) {
      this.status(res, 404, 'NotFound', `${what} not found`);
    } else if (req.method === 'GET') {
      this.json(res, 200, node);
    } else if (req.method !== 'PATCH') {
      this.status(res, 405, 'MethodNotAllowed', `${req.method} not allowed`);
    } else if (req.contentType !== 'application/merge-patch+json') {
      this.status(res, 415, 'UnsupportedMediaType', `unsupported patch type ${String(req.contentType)}`);
    } else {
      const next = mergePatch(node, req.body) as Obj;
      next.metadata = { ...(next.metadata as Obj), resourceVersion: String(++this.rv) };
      items.set(key, next);
      this.json(res, 200, next);
    }
  }

  private leaseCollection(): Collection {
    return {
      resource: 'leases.coordination.k8s.io',
      items: this.leases,
      changed: (type, object) => {
        if (!this.reachable) return;
        const meta = object.metadata as Obj;
        for (const w of this.leaseWatches) {
          if (w.namespace !== meta.namespace || (w.name !== undefined && w.name !== meta.name)) continue;
          w.res.write(`${JSON.stringify({ type, object })}\n`);
        }
      },
    };
  }

  private gatewayCollection(): Collection {
    return { resource: 'gateways.submariner.io', items: this.gateways, changed: () => undefined };
  }

  private endpointCollection(): Collection {
    return {
      resource: 'endpoints.submariner.io',
      items: this.endpoints,
      changed: (type, object) => this.emit({ rv: this.rv, type, object }),
    };
  }

  /** GET/POST/PUT/DELETE on a namespaced collection, with the API server's conflict rules. */
  private write(
    res: ServerResponse,
    c: Collection,
    namespace: string,
    name: string | undefined,
    req: RecordedRequest,
  ): void {
    const body = req.body as Obj | undefined;
    if (req.method === 'GET' && name === undefined) {
      const items = [...c.items.values()].filter((o) => (o.metadata as Obj).namespace === namespace);
      return void this.json(res, 200, {
        kind: 'List',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(this.rv) },
        items,
      });
    }
    if (req.method === 'POST' && name === undefined) {
      const meta = (body?.metadata ?? {}) as Obj;
      const n = meta.name;
      if (typeof n !== 'string' || !n) return void this.status(res, 422, 'Invalid', 'metadata.name: Required value');
      const key = `${namespace}/${n}`;
      if (c.items.has(key)) return void this.status(res, 409, 'AlreadyExists', `${c.resource} "${n}" already exists`);
      const stored = clone({
        ...body,
        metadata: {
          ...meta,
          namespace,
          uid: `uid-${++this.uid}`,
          creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          resourceVersion: String(++this.rv),
        },
      });
      c.items.set(key, stored);
      c.changed('ADDED', stored);
      return void this.json(res, 201, stored);
    }
    if (name === undefined) return void this.status(res, 405, 'MethodNotAllowed', `${req.method} not allowed`);
    const key = `${namespace}/${name}`;
    const have = c.items.get(key);
    if (!have) return void this.status(res, 404, 'NotFound', `${c.resource} "${name}" not found`);
    const haveMeta = have.metadata as Obj;
    if (req.method === 'GET') return void this.json(res, 200, have);
    if (req.method === 'DELETE') {
      c.items.delete(key);
      const gone = { ...have, metadata: { ...haveMeta, resourceVersion: String(++this.rv) } };
      c.changed('DELETED', gone);
      return void this.json(res, 200, gone);
    }
    if (req.method === 'PUT') {
      const meta = (body?.metadata ?? {}) as Obj;
      if (meta.name !== name)
        return void this.status(res, 400, 'BadRequest', 'the name of the object does not match the URL');
      const rv = meta.resourceVersion;
      if (rv !== undefined && rv !== '' && rv !== haveMeta.resourceVersion)
        return void this.status(
          res,
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${c.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      const stored = clone({
        ...body,
        metadata: {
          ...meta,
          namespace,
          uid: haveMeta.uid,
          creationTimestamp: haveMeta.creationTimestamp,
          resourceVersion: String(++this.rv),
        },
      });
      c.items.set(key, stored);
      c.changed('MODIFIED', stored);
      return void this.json(res, 200, stored);
    }
    this.status(res, 405, 'MethodNotAllowed', `${req.method} not allowed`);
  }

  private watchLeases(res: ServerResponse, namespace: string, fieldSelector: string | undefined): void {
    const name = /^metadata\.name=(.+)$/.exec(fieldSelector ?? '')?.[1];
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    for (const l of this.leases.values()) {
      const meta = l.metadata as Obj;
      if (meta.namespace === namespace && (name === undefined || meta.name === name))
        res.write(`${JSON.stringify({ type: 'ADDED', object: l })}\n`);
    }
    const w: OpenLeaseWatch = { res, namespace, name };
    this.leaseWatches.add(w);
    res.on('close', () => this.leaseWatches.delete(w));
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    this.json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  }
}
