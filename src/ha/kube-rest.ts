/**
 * A small JSON client for the few Kubernetes calls leader election and
 * publication make, with a hard timeout on every call (a leader must know
 * within its renew deadline that a renewal did not go through; client-node's
 * generated clients take no per-call timeout). Credentials and TLS come from
 * the KubeConfig (applyToHTTPSOptions: CA, client certificate, token).
 * Errors carry the HTTP status as `statusCode`, so describeKubeError and
 * httpStatusOf read them like client-node's.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** An API call that got an HTTP error status (`statusCode`) or none (transport error, timeout). */
export class KubeRequestError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly reason?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    Object.defineProperty(this, 'name', { value: 'KubeRequestError', enumerable: false });
  }
}

/** A running watch. */
export interface KubeWatch {
  readonly done: Promise<void>;
  close(): void;
}

export interface KubeRequest {
  /** PATCH sends `body` as a JSON merge patch (RFC 7386). */
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query, e.g. /apis/coordination.k8s.io/v1/namespaces/x/leases/y */
  readonly path: string;
  readonly body?: unknown;
  /** Hard limit for the whole call (connect, send, answer). */
  readonly timeoutMs: number;
}

/** Largest answer accepted (a Lease, an Endpoint, a list of a few Gateways). */
const MAX_BODY = 4 * 1024 * 1024;

export class KubeRest {
  constructor(private readonly kc: KubeConfig) {}

  /** The parsed JSON answer of a 2xx call; throws KubeRequestError otherwise. */
  async json<T>(req: KubeRequest): Promise<T> {
    const { status, text } = await this.send(req);
    if (status < 200 || status > 299) {
      let message = text.slice(0, 300);
      let reason: string | undefined;
      try {
        const s = JSON.parse(text) as { message?: string; reason?: string };
        message = s.message ?? message;
        reason = s.reason;
      } catch {
        /* not a Status */
      }
      throw new KubeRequestError(`${req.method} ${pathOnly(req.path)}: HTTP ${status}: ${message}`, status, reason);
    }
    try {
      return (text ? JSON.parse(text) : {}) as T;
    } catch (err) {
      throw new KubeRequestError(`${req.method} ${pathOnly(req.path)}: answer is not JSON`, status, undefined, {
        cause: err,
      });
    }
  }

  /**
   * A watch (`path` with ?watch=true...): `onEvent` gets each JSON line.
   * `done` settles when the server ends the stream, the connection fails,
   * nothing arrives for `idleTimeoutMs`, or close() is called.
   */
  watch(path: string, onEvent: (event: { type: string; object: unknown }) => void, idleTimeoutMs: number): KubeWatch {
    let request: ReturnType<typeof httpRequest> | undefined;
    let closed = false;
    const done = (async () => {
      const { url, opts } = await this.prepare({ method: 'GET', path, timeoutMs: idleTimeoutMs });
      if (closed) return;
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      await new Promise<void>((resolve, reject) => {
        const r = send(url, { ...opts, agent: false }, (res: IncomingMessage) => {
          if ((res.statusCode ?? 0) !== 200) {
            res.resume();
            reject(new KubeRequestError(`watch ${url.pathname}: HTTP ${res.statusCode}`, res.statusCode));
            return;
          }
          let buffered = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            r.setTimeout(idleTimeoutMs);
            buffered += chunk;
            if (buffered.length > MAX_BODY) r.destroy(new KubeRequestError(`watch ${url.pathname}: line too long`));
            let nl = buffered.indexOf('\n');
            while (nl >= 0) {
              const line = buffered.slice(0, nl).trim();
              buffered = buffered.slice(nl + 1);
              if (line) {
                try {
                  onEvent(JSON.parse(line) as { type: string; object: unknown });
                } catch {
                  /* a line that is not JSON: skip it */
                }
              }
              nl = buffered.indexOf('\n');
            }
          });
          res.on('end', () => resolve());
          res.on('error', reject);
        });
        request = r;
        r.setTimeout(idleTimeoutMs, () => r.destroy(new KubeRequestError(`watch ${url.pathname}: idle`)));
        r.on('error', (err) => (closed ? resolve() : reject(err)));
        r.on('close', () => resolve());
        r.end();
      });
    })();
    return {
      done,
      close: () => {
        closed = true;
        request?.destroy();
      },
    };
  }

  private async prepare(req: KubeRequest): Promise<{ url: URL; opts: RequestOptions; body: string | undefined }> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new KubeRequestError('no current cluster in the kubeconfig');
    const base = new URL(cluster.server);
    // Keeps a path prefix of the server URL (e.g. a proxy under /k8s) and the query.
    const url = new URL(`${base.pathname.replace(/\/$/, '')}${req.path}`, base.origin);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const opts: RequestOptions = {
      method: req.method,
      headers: {
        accept: 'application/json',
        ...(body !== undefined
          ? {
              'content-type': req.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
              'content-length': Buffer.byteLength(body),
            }
          : {}),
      },
    };
    await this.kc.applyToHTTPSOptions(opts);
    return { url, opts, body };
  }

  private async send(req: KubeRequest): Promise<{ status: number; text: string }> {
    const { url, opts, body } = await this.prepare(req);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const r = send(url, { ...opts, agent: false }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) r.destroy(new KubeRequestError(`${req.method} ${url.pathname}: answer too large`));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      const timer = setTimeout(
        () => r.destroy(new KubeRequestError(`${req.method} ${url.pathname}: no answer within ${req.timeoutMs} ms`)),
        req.timeoutMs,
      );
      r.on('close', () => clearTimeout(timer));
      r.on('error', (err) =>
        reject(
          err instanceof KubeRequestError
            ? err
            : new KubeRequestError(`${req.method} ${url.pathname}: ${err.message}`, undefined, undefined, {
                cause: err,
              }),
        ),
      );
      r.end(body);
    });
  }
}

function pathOnly(path: string): string {
  return path.split('?')[0] ?? path;
}
