/**
 * gRPC server reflection (`grpcurl -unix /run/cabled/engine.sock list`), from
 * the repo's .proto files. Finds proto/ from CABLED_PROTO_DIR, else by walking
 * up from this compiled file (dist/src/lib/grpc/ → the repo root is 4 levels up).
 */
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FailedPreconditionError } from '../errors.js';
import type { ServiceHost } from './health.js';

/** Environment variable naming the proto/ directory, overriding the search. */
export const PROTO_DIR_ENV = 'CABLED_PROTO_DIR';

const MARKER = join('cabled', 'engine', 'v1', 'engine.proto');

/**
 * The directory holding cabled/…/*.proto: $CABLED_PROTO_DIR when set, else the
 * first `proto/` found walking up from this module. Throws
 * FailedPreconditionError saying where it looked.
 */
export function findProtoDir(
  env: NodeJS.ProcessEnv = process.env,
  from: string = dirname(fileURLToPath(import.meta.url)),
): string {
  const override = env[PROTO_DIR_ENV];
  if (override) {
    const dir = resolve(override);
    if (!existsSync(join(dir, MARKER))) {
      throw new FailedPreconditionError(
        `${PROTO_DIR_ENV}=${override} does not hold ${MARKER}; point it at the repo's proto/ directory`,
      );
    }
    return dir;
  }
  const looked: string[] = [];
  for (let dir = from, i = 0; i < 8; i++) {
    const candidate = join(dir, 'proto');
    looked.push(candidate);
    if (existsSync(join(candidate, MARKER))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new FailedPreconditionError(
    `cannot find the .proto files (looked in ${looked.join(', ')}); set ${PROTO_DIR_ENV}`,
  );
}

/**
 * Adds server reflection to `server` for `protoFiles`: paths relative to the
 * proto/ directory (e.g. "cabled/engine/v1/engine.proto") or absolute
 * (e.g. HEALTH_PROTO_PATH). Imports resolve against proto/.
 */
export function addReflection(
  server: ServiceHost,
  protoFiles: readonly string[],
  protoDir: string = findProtoDir(),
): ReflectionService {
  const files = protoFiles.map((f) => (isAbsolute(f) ? f : join(protoDir, f)));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length)
    throw new FailedPreconditionError(`cannot load .proto files for reflection: missing ${missing.join(', ')}`);
  const definition = loadSync(files, { includeDirs: [protoDir] });
  const reflection = new ReflectionService(definition);
  reflection.addToServer(server);
  return reflection;
}
