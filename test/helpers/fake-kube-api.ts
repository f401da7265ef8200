/**
 * A local HTTP server that answers like the Kubernetes API server for what
 * cabled uses: nodes (GET, PATCH with a JSON merge patch) and Submariner
 * Endpoints (list, per namespace or across all, and ?watch=true streams of
 * JSON lines {type, object}). It keeps a resourceVersion counter and an event
 * history, so a watch from an old resourceVersion replays what it missed;
 * after compact(), such a watch gets a 410 Expired ERROR event, as etcd
 * compaction causes. dropWatches() cuts open watch connections, endWatches()
 * ends them cleanly (the API server's watch timeout). Every request is
 * recorded so tests can assert what the client asked for.
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
const NODE = /^\/api\/v1\/nodes\/([^/]+)$/;

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
  private readonly endpoints = new Map<string, Obj>();
  private readonly history: WatchEvent[] = [];
  private readonly watches = new Set<OpenWatch>();
  private readonly failures: { method: string; path: RegExp; status: number }[] = [];
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

  /** A kubeconfig file's text pointing at this server (for processes started by tests). */
  kubeconfigText(): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'current-context: fake',
      `clusters: [{name: fake, cluster: {server: "${this.url}", insecure-skip-tls-verify: true}}]`,
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

  /** The next request matching method and path gets this HTTP status (a Status body). */
  failNext(method: string, path: RegExp, status: number): void {
    this.failures.push({ method, path, status });
  }

  private emit(event: WatchEvent): void {
    this.history.push(event);
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
    if (node?.[1]) return this.nodeRequest(res, node[1], record);
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

  private nodeRequest(res: ServerResponse, name: string, req: RecordedRequest): void {
    const node = this.nodes.get(name);
    if (!node) {
      this.status(res, 404, 'NotFound', `nodes "${name}" not found`);
    } else if (req.method === 'GET') {
      this.json(res, 200, node);
    } else if (req.method !== 'PATCH') {
      this.status(res, 405, 'MethodNotAllowed', `${req.method} not allowed`);
    } else if (req.contentType !== 'application/merge-patch+json') {
      this.status(res, 415, 'UnsupportedMediaType', `unsupported patch type ${String(req.contentType)}`);
    } else {
      const next = mergePatch(node, req.body) as Obj;
      next.metadata = { ...(next.metadata as Obj), resourceVersion: String(++this.rv) };
      this.nodes.set(name, next);
      this.json(res, 200, next);
    }
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    this.json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  }
}
