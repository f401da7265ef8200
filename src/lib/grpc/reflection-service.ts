/**
 * grpc.reflection.v1 and v1alpha on a server, loaded at the first reflection
 * call instead of at start: the service is registered with raw bytes in and
 * out, and its first call imports reflection.ts (@bufbuild/protobuf and the
 * descriptors; building them cost ~0.1-0.2 s of every engine start, issue 9).
 * Requests of one call are answered in order.
 */
import { status, type ServerDuplexStream, type ServiceDefinition } from '@grpc/grpc-js';
import { errorMessage } from '../errors.js';
import type { ServiceHost } from './health.js';
import { REFLECTION_SERVICES, type ReflectionAnswerer } from './reflection-names.js';

const raw = (b: Buffer): Buffer => b;

/**
 * Adds both reflection services to `server`, listing `services` (the
 * reflection services are added). Descriptors that lack a listed service
 * (stale generated code) fail each reflection call with FAILED_PRECONDITION
 * and the reason.
 */
export function addLazyReflection(server: ServiceHost, options: { services: readonly string[] }): void {
  let answerer: Promise<ReflectionAnswerer> | undefined;
  const load = (): Promise<ReflectionAnswerer> =>
    (answerer ??= import('./reflection.js').then((m) => m.reflectionAnswerer(options.services)));
  for (const service of REFLECTION_SERVICES) {
    const definition: ServiceDefinition = {
      ServerReflectionInfo: {
        path: `/${service}/ServerReflectionInfo`,
        requestStream: true,
        responseStream: true,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    };
    server.addService(definition, {
      ServerReflectionInfo: (call: ServerDuplexStream<Buffer, Buffer>) => {
        let queue = Promise.resolve();
        let failed = false;
        call.on('data', (request: Buffer) => {
          queue = queue.then(async () => {
            if (failed) return;
            try {
              call.write(Buffer.from((await load())(service, request)));
            } catch (err) {
              failed = true;
              call.emit('error', { code: status.FAILED_PRECONDITION, details: errorMessage(err) });
            }
          });
        });
        call.on('end', () => void queue.then(() => !failed && call.end()));
        call.on('error', () => undefined);
      },
    });
  }
}
